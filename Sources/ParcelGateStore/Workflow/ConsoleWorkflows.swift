import ParcelGateCore

/// The console's sessions and reads (README, "Console").
enum ConsoleWorkflows {
    /// Stores a new session and, in the same transaction, deletes the expired ones (an indexed range).
    static func createSession(_ session: ConsoleSessionRecord, purgeBefore: Timestamp) -> Workflow<Void> {
        Workflow(.write, .run([ConsoleStatements.purgeSessions(before: purgeBefore), ConsoleStatements.insertSession(session)], finishing: ()))
    }

    static func session(digest: String, now: Timestamp) -> Workflow<ConsoleSessionRecord?> {
        Workflow(.read, .run(ConsoleStatements.findSession(digest: digest, now: now)) { rows throws(GatewayError) in
            .done(rows.consoleSessions.first)
        })
    }

    static func deleteSession(digest: String) -> Workflow<Void> {
        Workflow(.write, .run([ConsoleStatements.deleteSession(digest: digest)], finishing: ()))
    }

    static func fulfillmentPage(tenant: String, after: String?, limit: Int) -> Workflow<[Fulfillment]> {
        Workflow(.read, .run(ConsoleStatements.fulfillmentPage(tenant: tenant, after: after ?? "", limit: limit)) { rows throws(GatewayError) in
            .done(rows.fulfillments)
        })
    }

    /// The overview's counts, from one snapshot.
    static func counts(tenant: String) -> Workflow<ConsoleCounts> {
        Workflow(.snapshot, .run([ConsoleStatements.fulfillmentsByStatus(tenant: tenant), ConsoleStatements.exceptionsByCarrier(tenant: tenant),
                                  ConsoleStatements.retriesByStatus(tenant: tenant), ConsoleStatements.deliveriesByStatus(tenant: tenant)]) {
            results throws(GatewayError) in
            func dictionary(_ result: StatementResult) -> [String: Int] {
                Dictionary(result.statusCounts.map { ($0.0, Int(truncatingIfNeeded: $0.1)) }, uniquingKeysWith: +)
            }
            var counts = ConsoleCounts()
            counts.fulfillmentsByStatus = dictionary(try results.result(0))
            counts.exceptionsByCarrier = dictionary(try results.result(1))
            counts.retriesByStatus = dictionary(try results.result(2))
            counts.deliveriesByStatus = dictionary(try results.result(3))
            return .done(counts)
        })
    }
}
