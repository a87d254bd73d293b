import ParcelGateCore

/// A statement's SQL: a literal (the common case, cached by SQLite by its address) or text built at run time
/// (a list of placeholders, a column chosen by a filter).
enum SQLText: Sendable {
    case literal(StaticString)
    case built(String)

    var string: String {
        switch self {
        case .literal(let text): return text.description
        case .built(let text): return text
        }
    }
}

/// One named statement of the store, as a value: its SQL for each dialect, its `?` bindings, and what its
/// result means (docs/architecture.md, "The store seam").
///
/// Every statement is made by a factory in `Statements/` (``FulfillmentStatements``, ``RetryStatements``,
/// ``DirectoryStatements``), the only place that holds SQL. Most statements have one text for both dialects;
/// where SQLite and PostgreSQL differ (a row lock, an index hint, `SKIP LOCKED`), the same statement carries
/// both texts. Placeholders are `?` in both: the PostgreSQL backend numbers them.
struct Statement: Sendable {
    /// What the statement gives back.
    enum Yield: Sendable {
        /// Nothing the workflow reads.
        case nothing
        /// How many rows it inserted, updated or deleted.
        case changes
        /// Its rows, decoded by one of the shared decoders.
        case rows(RowDecoder)
    }

    var sqlite: SQLText
    var postgres: SQLText
    var binds: [SQLValue]
    var yield: Yield

    init(_ sql: StaticString, _ binds: [SQLValue] = [], yield: Yield = .nothing) {
        self.init(sqlite: .literal(sql), postgres: .literal(sql), binds, yield: yield)
    }

    init(sqlite: SQLText, postgres: SQLText, _ binds: [SQLValue] = [], yield: Yield = .nothing) {
        self.sqlite = sqlite
        self.postgres = postgres
        self.binds = binds
        self.yield = yield
    }

    /// One text for both dialects, built at run time.
    init(built sql: String, _ binds: [SQLValue] = [], yield: Yield = .nothing) {
        self.init(sqlite: .built(sql), postgres: .built(sql), binds, yield: yield)
    }

    /// `count` comma-separated placeholders, for an `IN (...)` list.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: max(count, 0)).joined(separator: ", ")
    }
}

/// What running one ``Statement`` gave: a change count, or its decoded rows.
struct StatementResult: Sendable {
    var changes: Int
    var rows: [DecodedRow]

    init(changes: Int = 0, rows: [DecodedRow] = []) {
        self.changes = changes
        self.rows = rows
    }

    var fulfillments: [Fulfillment] { rows.compactMap { if case .fulfillment(let value) = $0 { value } else { nil } } }
    var historyEntries: [(fulfillmentId: String, entry: TrackingHistoryEntry)] {
        rows.compactMap { if case .historyEntry(let id, let entry) = $0 { (id, entry) } else { nil } }
    }
    var refusedEvents: [RefusedEventRef] { rows.compactMap { if case .refused(let value) = $0 { value } else { nil } } }
    var texts: [String] { rows.compactMap { if case .text(let value) = $0 { value } else { nil } } }
    var integers: [Int64] { rows.compactMap { if case .integer(let value) = $0 { value } else { nil } } }
    var retryEntries: [RetryEntry] { rows.compactMap { if case .retryEntry(let value) = $0 { value } else { nil } } }
    var statusCounts: [(String, Int64)] { rows.compactMap { if case .statusCount(let status, let count) = $0 { (status, count) } else { nil } } }
    var tenants: [TenantRecord] { rows.compactMap { if case .tenant(let value) = $0 { value } else { nil } } }
    var sources: [SourceRecord] { rows.compactMap { if case .source(let value) = $0 { value } else { nil } } }
    var secrets: [(tenant: String, carrier: String, secret: SecretRecord)] {
        rows.compactMap { if case .secret(let tenant, let carrier, let secret) = $0 { (tenant, carrier, secret) } else { nil } }
    }
    var apiKeys: [APIKeyRecord] { rows.compactMap { if case .apiKey(let value) = $0 { value } else { nil } } }
    var endpoints: [EndpointRecord] { rows.compactMap { if case .endpoint(let value) = $0 { value } else { nil } } }
    var deliveries: [DeliveryRecord] { rows.compactMap { if case .delivery(let value) = $0 { value } else { nil } } }
    var attempts: [AttemptRecord] { rows.compactMap { if case .attempt(let value) = $0 { value } else { nil } } }
    var attemptSamples: [AttemptSample] { rows.compactMap { if case .attemptSample(let value) = $0 { value } else { nil } } }
    var consoleSessions: [ConsoleSessionRecord] { rows.compactMap { if case .consoleSession(let value) = $0 { value } else { nil } } }
    var outboxEvents: [OutboxEvent] { rows.compactMap { if case .outboxEvent(let value) = $0 { value } else { nil } } }
    var carrierCounts: [CarrierStats] { rows.compactMap { if case .carrierCount(let value) = $0 { value } else { nil } } }
    var transitBuckets: [(carrier: String, serviceLevel: String, bucket: Int, count: Int64)] {
        rows.compactMap { if case .transitBucket(let carrier, let level, let bucket, let count) = $0 { (carrier, level, bucket, count) } else { nil } }
    }
    var dailyCounts: [DailyCounts] { rows.compactMap { if case .dailyCount(let value) = $0 { value } else { nil } } }
    var ingestCounts: [IngestCount] { rows.compactMap { if case .ingestCount(let value) = $0 { value } else { nil } } }
    var queueStats: [(status: String, count: Int64, attempts: Int64, oldest: Timestamp?)] {
        rows.compactMap { if case .queueStat(let status, let count, let attempts, let oldest) = $0 { (status, count, attempts, oldest) } else { nil } }
    }
    var retryAttempts: [RetryAttempt] { rows.compactMap { if case .retryAttempt(let value) = $0 { value } else { nil } } }
}

extension Array where Element == StatementResult {
    /// The `index`th result of a batch; a batch answered short is a driver bug, reported rather than trapped.
    func result(_ index: Int) throws(GatewayError) -> StatementResult {
        guard indices.contains(index) else { throw .internalError("A store step expected \(index + 1) results, got \(count)") }
        return self[index]
    }
}
