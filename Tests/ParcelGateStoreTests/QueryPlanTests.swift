import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// SQLite's plans for the statements that run on a timer or on every callback, read with `EXPLAIN QUERY PLAN`
/// on a migrated file. A full scan of a table that grows with traffic costs nothing in a small test and
/// everything after a month: the outbox poll once walked every domain event ever recorded, once a second.
@Suite(.timeLimit(.minutes(1))) struct QueryPlanTests {
    let now = Timestamp(seconds: 1_763_500_000)

    /// Tables that stay small whatever the traffic (configuration, counters): scanning them is fine. Any other
    /// name in a `SCAN` line is a table that grows (fulfillments, events, receipts, the queues, deliveries...)
    /// or an alias SQLite prints in its place (`SCAN d`), which is read as growing too.
    static let small: Set<String> = [
        "tenants", "sources", "source_secrets", "api_keys", "directory_version", "webhook_endpoints", "schema_migrations",
        "projection_status_counts", "projection_carrier_counts", "projection_transit_buckets", "projection_daily_counts", "projection_meta",
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

    /// A line that reads a table row by row, not a small one: `SCAN t` without an index, or through an index that
    /// is not partial (a partial index holds only the few rows still waiting).
    /// A subquery's rows (`CO-ROUTINE ranked`, `MATERIALIZE (subquery-3)`) are scanned as they are produced; those
    /// scans read no table and are not counted.
    static func fullScans(_ details: [String]) -> [String] {
        let derived = Set(details.compactMap { line -> String? in
            for prefix in ["CO-ROUTINE ", "MATERIALIZE "] where line.hasPrefix(prefix) { return String(line.dropFirst(prefix.count)) }
            return nil
        })
        return details.filter { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 2, words[0] == "SCAN", !small.contains(words[1]), !derived.contains(String(line.dropFirst(5))) else { return false }
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

    /// PostgreSQL's cached (generic) plan of each prepared array read, on tables of 5,000 fulfillments and
    /// 20,000 tracking events it last analyzed when they held 10 and 40. A connection runs a prepared statement
    /// on its generic plan once PostgreSQL finds it no dearer than the custom ones (after five runs), so each is
    /// prepared and explained with the generic plan forced.
    /// Every plan must probe per array element (a nested loop over `unnest`), the one shape no estimate can
    /// turn into a walk of the tenant's range. Written with `= ANY($2)` (no `unnest`, so this fails), a read is
    /// left to the estimates: in a benchmark's database it read all 500 of a tenant's fulfillments for 32 ids.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func postgresArrayReadsProbePerElementBeforeAnyAnalyze() async throws {
        let store = try await StoreBackend.postgres.open()
        // Analyzed while small, as autovacuum would analyze a new deployment's first rows, then grown 500-fold.
        for (first, last) in [(1, 10), (11, 5000)] {
            try await StoreBackend.execute(store, """
                INSERT INTO fulfillments (tenant, id, order_id, status, carrier, tracking_number, created_at, updated_at)
                SELECT 'acme', 'f' || n, 'o' || n, 'IN_TRANSIT', 'ups', 'T' || n, n, n FROM generate_series(\(first), \(last)) AS n
                """)
            try await StoreBackend.execute(store, """
                INSERT INTO tracking_events (tenant, fulfillment_id, scan_key, status, fulfillment_status, description, occurred_at, received_at, applied, outcome)
                SELECT 'acme', 'f' || (n % 5000), 's' || n, 'IN_TRANSIT', 'IN_TRANSIT', 'scan', n, n, TRUE, 'applied' FROM generate_series(\(first * 4), \(last * 4)) AS n
                """)
            if first == 1 { try await StoreBackend.execute(store, "ANALYZE fulfillments, tracking_events") }
        }
        let runner = try #require(store as? any WorkflowRunner)
        let ids = "ARRAY['f1', 'f20', 'f300', 'f4000']", numbers = "ARRAY['T1', 'T20', 'T300']", keys = "ARRAY['s1', 's2', 's3', 's4']"
        typealias Read = (prepared: any PreparedSQL.Type, types: String, arguments: String)
        let reads: [Read] = [
            (FulfillmentStatements.Prepared.FindFulfillments.self, "text, text[]", "'acme', \(ids)"),
            (FulfillmentStatements.Prepared.LockFulfillments.self, "text, text[]", "'acme', \(ids)"),
            (FulfillmentStatements.Prepared.FindByTrackingNumbers.self, "text, text, text[]", "'ups', 'acme', \(numbers)"),
            (FulfillmentStatements.Prepared.RefusedEvents.self, "text, text[]", "'acme', \(ids)"),
            (FulfillmentStatements.Prepared.KnownScans.self, "text, text[], text[]", "'acme', \(ids), \(keys)"),
        ]
        func genericPlan(_ name: String, _ sql: String, types: String, arguments: String) async throws -> String {
            // The generic plan, whichever PostgreSQL would pick after its five custom ones: what the guard is about.
            let runs = (0..<6).map { _ in Statement(built: "EXECUTE \(name)(\(arguments))", yield: .rows(.texts(0))) }
            let prepare = [Statement(built: "SET LOCAL plan_cache_mode = force_generic_plan"), Statement(built: "PREPARE \(name)(\(types)) AS \(sql)")]
            let step: Step<[String]> = .run(prepare + runs) { _ throws(GatewayError) in
                .run(Statement(built: "EXPLAIN EXECUTE \(name)(\(arguments))", yield: .rows(.text))) { rows throws(GatewayError) in .done(rows.texts) }
            }
            return try await runner.perform(Workflow(.write, step)).joined(separator: "\n")
        }
        for (offset, read) in reads.enumerated() {
            let plan = try await genericPlan("probe\(offset)", read.prepared.sql, types: read.types, arguments: read.arguments)
            #expect(plan.contains("Nested Loop") && plan.contains("Function Scan"), "\(read.prepared.name):\n\(plan)")
            #expect(!plan.contains("Seq Scan") && !plan.contains("Bitmap Heap Scan"), "\(read.prepared.name):\n\(plan)")
        }
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
