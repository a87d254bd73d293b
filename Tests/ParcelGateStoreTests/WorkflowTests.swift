@testable import ParcelGateCore
import Testing

@testable import ParcelGateStore

/// What the shared workflows ask of a backend, step by step, read without a database: the properties no
/// store result shows (lock order, how many round trips a callback costs). The store contract suite runs
/// the same workflows on real SQLite and PostgreSQL.
@Suite struct WorkflowTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    /// Walks `first`, answering each statement with `answer`; returns the output and every batch asked for.
    func walk<Output>(_ first: Step<Output>, answer: (Statement) -> StatementResult) throws -> (Output, [[Statement]]) {
        var cursor = StepCursor(first)
        var batches: [[Statement]] = []
        while let statements = cursor.pending {
            batches.append(statements)
            try cursor.resume(with: statements.map(answer))
        }
        return (try cursor.output(), batches)
    }

    static func strings(_ value: SQLValue) -> [String] {
        switch value {
        case .text(let text): [text]
        case .textArray(let texts): texts
        default: []
        }
    }

    func shipped(_ id: String, tracking: String) -> Fulfillment {
        Fulfillment(id: id, tenant: "acme", orderId: "o", status: .shipped, carrier: "ups", trackingNumber: tracking, createdAt: t0, updatedAt: t0)
    }

    func callback(_ trackingNumbers: [String]) -> IngestCallback {
        IngestCallback(tenant: "acme", carrier: "ups", receiptKey: "r1", events: trackingNumbers.enumerated().map { index, number in
            TrackingEvent(tenant: "acme", carrier: "ups", trackingNumber: number, status: .inTransit, carrierStatusCode: "IT",
                          description: "in transit", occurredAt: t0.adding(milliseconds: Int64(index) * 1000), providerEventId: "e\(index)")
        }, receivedAt: t0)
    }

    /// Answers like a database holding `fulfillments`: receipts are new, lookups by id or tracking number find them.
    func database(_ fulfillments: [Fulfillment]) -> (Statement) -> StatementResult {
        { statement in
            switch statement.yield {
            case .changes: return StatementResult(changes: 1)
            case .rows(.fulfillment):
                let keys = statement.binds.compactMap { if case .text(let text) = $0 { text } else { nil } }
                return StatementResult(rows: fulfillments.filter { keys.contains($0.id) || keys.contains($0.trackingNumber ?? "") }.map { .fulfillment($0) })
            default: return StatementResult()
            }
        }
    }

    /// Where rows are locked (PostgreSQL), a callback locks its fulfillments with one statement in byte order of
    /// their ids, whatever the order of its events, so two replicas applying to the same ones cannot deadlock;
    /// a commit group locks with the very same statement, so a group and a lone callback share one order.
    /// SQLite reads no row twice.
    @Test func fulfillmentsAreLockedInIdOrderWhereRowsAreLocked() throws {
        let rows = [shipped("f-b", tracking: "TB"), shipped("f-a", tracking: "TA")]
        let (outcome, batches) = try walk(IngestWorkflow.make(callback(["TB", "TA"]), dialect: .postgres).first, answer: database(rows))
        #expect(outcome == .applied(fulfillmentId: "f-a", status: .inTransit, recorded: 2))
        let locks = batches[2].filter { $0.postgres.string.contains("FOR UPDATE") }
        #expect(locks.map { $0.binds.map { if case .text(let text) = $0 { text } else { "" } } } == [["acme", "f-a", "f-b"]])
        // PostgreSQL takes the ids as one array in byte order and locks them one by one in that order, with a
        // text prepared once per connection.
        #expect(locks.allSatisfy { if case .prepared(let sql) = $0.postgres { sql == FulfillmentStatements.Prepared.LockFulfillments.self } else { false } })
        #expect(locks.map { ($0.postgresBinds ?? []).map(Self.strings) } == [[["acme"], ["f-a", "f-b"]]])

        // A retry (no queue closure) is left out of a group, and a group of nothing stores nothing.
        let (alone, nothing) = try walk(IngestGroupWorkflow.make([callback(["TB", "TA"])], dialect: .postgres).first, answer: database(rows))
        #expect(alone == [.alone] && nothing.allSatisfy { $0.allSatisfy { !$0.postgres.string.hasPrefix("INSERT") } })
        var fromCarrier = callback(["TB", "TA"])
        fromCarrier.queueIfUnmatched = { RetryEntry(id: "q", tenant: "acme", carrier: "ups", body: [], headers: [], reason: .unmatched, receiptKey: "r1",
                                                   matchKey: nil, nextAttemptAt: self.t0, createdAt: self.t0, updatedAt: self.t0) }
        let (members, group) = try walk(IngestGroupWorkflow.make([fromCarrier], dialect: .postgres).first) { statement in
            if case .rows(.texts(3)) = statement.yield { return StatementResult(rows: [.texts(["acme", "ups", "r1"])]) }
            return database(rows)(statement)
        }
        #expect(members == [.settled(.applied(fulfillmentId: "f-a", status: .inTransit, recorded: 2))])
        let groupLocks = group.flatMap { $0 }.filter { $0.postgres.string.contains("FOR UPDATE") }
        #expect(groupLocks.map(\.postgres.string) == locks.map(\.postgres.string))

        let (_, sqlite) = try walk(IngestWorkflow.make(callback(["TB", "TA"]), dialect: .sqlite).first, answer: database(rows))
        #expect(sqlite[2].allSatisfy { if case .rows(.fulfillment) = $0.yield { false } else { true } })
    }

    /// A matched callback costs four batches on either backend (receipt, match, state, writes), however many
    /// events it carries: what bounds PostgreSQL's round trips once a batch is sent at once.
    @Test(arguments: [1, 5, 50]) func aCallbackTakesFourBatches(events: Int) throws {
        let (_, batches) = try walk(IngestWorkflow.make(callback(Array(repeating: "TA", count: events)), dialect: .postgres).first,
                                    answer: database([shipped("f-a", tracking: "TA")]))
        #expect(batches.count == 4)
        #expect(batches[1].count == 1, "one lookup per distinct tracking number")
    }

    /// A receipt already stored ends the callback after one statement.
    @Test func aDuplicateReceiptStopsAtOnce() throws {
        let (outcome, batches) = try walk(IngestWorkflow.make(callback(["TA"]), dialect: .sqlite).first) { _ in StatementResult(changes: 0) }
        #expect(outcome == .duplicate && batches.count == 1)
    }
}
