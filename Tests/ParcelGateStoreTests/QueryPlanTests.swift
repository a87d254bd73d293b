import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// SQLite's plans for the statements that run on a timer or on every callback, read with `EXPLAIN QUERY PLAN`
/// on a migrated file. A full scan of a table that grows with traffic costs nothing in a small test and
/// everything after a month: the outbox poll once walked every domain event ever recorded, once a second.
@Suite(.timeLimit(.minutes(1))) struct QueryPlanTests {
    let now = Timestamp(seconds: 1_763_500_000)

    /// Tables whose rows accumulate with traffic (kept until a retention purge, or for ever).
    static let growing: Set<String> = [
        "fulfillments", "tracking_events", "domain_events", "receipts", "retry_entries", "retry_attempts",
        "webhook_deliveries", "webhook_attempts", "ingest_counts", "console_sessions",
    ]

    /// The plan's detail lines (`SCAN t`, `SEARCH t USING INDEX i (...)`, ...).
    static func plan(_ statement: Statement, on connection: SQLiteConnection) throws -> [String] {
        let explain = try connection.statement(sql: "EXPLAIN QUERY PLAN " + statement.sqlite.string)
        for (offset, value) in statement.binds.enumerated() { explain.bind(value, at: Int32(offset + 1)) }
        var details: [String] = []
        while try explain.step() { details.append(explain.text(3)) }
        connection.finishStatements()
        return details
    }

    /// A line that reads a growing table row by row: `SCAN t` without an index, or through an index that is
    /// not partial (a partial index holds only the few rows still waiting).
    static func fullScans(_ details: [String]) -> [String] {
        details.filter { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 2, words[0] == "SCAN", growing.contains(words[1]) else { return false }
            guard let using = words.firstIndex(of: "INDEX"), using + 1 < words.count else { return true }
            return !partialIndexes.contains(words[using + 1])
        }
    }

    static let partialIndexes: Set<String> = [
        "domain_events_undispatched", "domain_events_outbox", "retry_entries_due", "retry_entries_by_match", "retry_entries_exhausted",
        "webhook_deliveries_due", "webhook_deliveries_exhausted", "tracking_events_refused",
    ]

    /// The statements a gateway runs without anyone asking: the outbox, retry and delivery pollers, the
    /// retention purges, and every statement of the ingest path.
    var timedAndHot: [(String, Statement)] {
        let entry = RetryEntry(id: "r1", tenant: "acme", carrier: "generic", body: [], headers: [], reason: .unmatched, receiptKey: "k",
                               matchKey: "tn:T1", nextAttemptAt: now, createdAt: now, updatedAt: now)
        return [
            ("outbox poll", WebhookStatements.undispatched(limit: 100)),
            ("delivery claim", WebhookStatements.claimCandidates(now: now, perEndpoint: 4, limit: 64)),
            ("retry claim", RetryStatements.claimDue(now: now, limit: 16, leaseUntil: now, token: "t")),
            ("retry expedite", RetryStatements.expedite(tenant: "acme", matchKey: "tn:T1", now: now)),
            ("purge succeeded retries", RetryStatements.purgeSucceeded(before: now)),
            ("purge dead retries", RetryStatements.purgeExhausted(before: now)),
            ("purge delivered", WebhookStatements.purgeDelivered(before: now)),
            ("purge dead deliveries", WebhookStatements.purgeExhausted(before: now)),
            ("purge attempts", WebhookStatements.purgeAttempts(before: now)),
            ("purge ingest counts", ProjectionStatements.purgeIngest(beforeMinute: 1)),
            ("purge console sessions", ConsoleStatements.purgeSessions(before: now)),
            ("receipt", FulfillmentStatements.insertReceipt(tenant: "acme", carrier: "generic", key: "k", at: now)),
            ("match by id", FulfillmentStatements.find(tenant: "acme", id: "f1")),
            ("match by tracking number", FulfillmentStatements.findByTrackingNumbers(tenant: "acme", trackingNumbers: ["T1", "T2"], carrier: "generic")),
            ("lock", FulfillmentStatements.findMany(tenant: "acme", ids: ["f1", "f2"], lock: true)),
            ("refused events", FulfillmentStatements.refusedEvents(tenant: "acme", fulfillmentId: "f1")),
            ("known scans", FulfillmentStatements.knownScans(tenant: "acme", fulfillmentId: "f1", scanKeys: ["a", "b"])),
            ("queue unmatched", RetryStatements.insert(entry)),
        ]
    }

    @Test func noTimedOrHotStatementScansAGrowingTable() throws {
        let connection = try SQLiteConnection(path: temporaryDatabase())
        try SQLiteMigrations.migrate(connection)
        var scanning: [String] = []
        for (name, statement) in timedAndHot {
            // A plain INSERT has no plan lines: it reads nothing.
            let details = try Self.plan(statement, on: connection)
            let scans = Self.fullScans(details)
            if !scans.isEmpty { scanning.append("\(name): \(scans.joined(separator: "; "))") }
        }
        #expect(scanning.isEmpty, "\(scanning.joined(separator: "\n"))")
    }

    /// PostgreSQL plans with the statistics it has, and a table that grew since its last `ANALYZE` has none
    /// worth the name: with 20,000 dispatched domain events never analyzed, it walked the primary key past
    /// all of them for the outbox poll until migration 12 gave it an index in id order.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func postgresPollsTheOutboxThroughItsIndexBeforeAnyAnalyze() async throws {
        let store = try await StoreBackend.postgres.open()
        try await StoreBackend.execute(store, """
            INSERT INTO domain_events (tenant, fulfillment_id, type, from_status, to_status, occurred_at, recorded_at, order_id, sequence, dispatched)
            SELECT 'acme', 'f' || n, 'fulfillment.status_changed', 'shipped', 'in_transit', n, n, 'o', 1, TRUE FROM generate_series(1, 20000) AS n
            """)
        let runner = try #require(store as? any WorkflowRunner)
        let poll = WebhookStatements.undispatched(limit: 100)
        let explain = Statement(built: "EXPLAIN " + poll.postgres.string, poll.binds, yield: .rows(.text))
        let plan = try await runner.perform(Workflow(.read, .run(explain) { rows throws(GatewayError) in .done(rows.texts) }))
        #expect(plan.contains { $0.contains("domain_events_outbox") }, "\(plan.joined(separator: "\n"))")
        #expect(!plan.contains { $0.contains("domain_events_pkey") || $0.contains("Seq Scan") }, "\(plan.joined(separator: "\n"))")
        await store.close()
    }

    /// The check itself: a statement with no index to use is reported, one through a partial index is not.
    @Test func theCheckSeesAFullScan() throws {
        let connection = try SQLiteConnection(path: temporaryDatabase())
        try SQLiteMigrations.migrate(connection)
        let scan = Statement(built: "SELECT id FROM domain_events WHERE recorded_at > ? ORDER BY id LIMIT ?", [.int(0), .int(100)])
        #expect(Self.fullScans(try Self.plan(scan, on: connection)) == ["SCAN domain_events"])
        #expect(Self.fullScans(try Self.plan(WebhookStatements.undispatched(limit: 100), on: connection)).isEmpty)
    }
}
