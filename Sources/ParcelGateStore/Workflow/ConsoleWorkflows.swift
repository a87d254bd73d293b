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
}
