import ParcelGateCore

/// A statement's SQL: a literal (the common case, cached by SQLite by its address), text built at run time
/// (a list of placeholders, a column chosen by a filter), or PostgreSQL text prepared once per connection.
enum SQLText: Sendable {
    case literal(StaticString)
    case built(String)
    /// PostgreSQL only: fixed text that takes arrays where the other dialect takes a list of placeholders
    /// (``Statement/postgresBinds``), prepared by name on each connection at its first use and run by name
    /// after that, so PostgreSQL parses and plans it once per connection instead of once per run.
    case prepared(any PreparedSQL.Type)

    var string: String {
        switch self {
        case .literal(let text): return text.description
        case .built(let text): return text
        case .prepared(let statement): return statement.sql
        }
    }
}

/// A PostgreSQL statement whose text never varies (its lists are array bindings, `= ANY($2::text[])`), named
/// for the connection's prepared-statement cache. Its placeholders are numbered in the text (`$1`).
///
/// Why: a commit group's reads took an `IN` list as long as the group, so each run's text was new to
/// PostgreSQL, which parsed and planned it every time: about a fifth of its CPU per callback (issue 19).
protocol PreparedSQL: Sendable {
    /// Unique among the store's prepared statements.
    static var name: String { get }
    static var sql: String { get }
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
    /// PostgreSQL's bindings where they differ from ``binds`` (a ``SQLText/prepared(_:)`` text's arrays).
    var postgresBinds: [SQLValue]?
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

    /// SQLite's text with its bindings, and a prepared PostgreSQL text with its own (arrays for SQLite's lists).
    init(sqlite: SQLText, _ binds: [SQLValue], postgres: any PreparedSQL.Type, _ postgresBinds: [SQLValue], yield: Yield) {
        self.init(sqlite: sqlite, postgres: .prepared(postgres), binds, yield: yield)
        self.postgresBinds = postgresBinds
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
    var textRows: [[String]] { rows.compactMap { if case .texts(let value) = $0 { value } else { nil } } }
    /// Rows of a ``RowDecoder/keyed(_:)`` read: each row's key and its record.
    var keyed: [(key: String, row: DecodedRow)] { rows.compactMap { if case .keyed(let key, let row) = $0 { (key, row) } else { nil } } }
}

extension Array where Element == StatementResult {
    /// The `index`th result of a batch; a batch answered short is a driver bug, reported rather than trapped.
    func result(_ index: Int) throws(GatewayError) -> StatementResult {
        guard indices.contains(index) else { throw .internalError("A store step expected \(index + 1) results, got \(count)") }
        return self[index]
    }
}

// MARK: Multi-row inserts

extension Statement {
    /// Most bindings one merged statement carries: under SQLite's 32,766 and PostgreSQL's 65,535.
    static let mergedBindLimit = 16_000

    /// Single-row inserts of one text as multi-row inserts: one round trip where there were many.
    ///
    /// Each run of consecutive statements with the same SQL, no result read (`yield: .nothing`) and one
    /// `VALUES (...)` tuple becomes one statement with the tuple repeated, in the same order, so a run that was
    /// sorted to take row locks in one order still does. The columns stay where they are written, in the
    /// single-row factory: nothing here knows a table. Anything else passes through unchanged.
    static func coalesced(_ statements: [Statement]) -> [Statement] {
        guard statements.count > 1 else { return statements }
        var out: [Statement] = []
        var index = 0
        while index < statements.count {
            let first = statements[index]
            var end = index + 1
            if case .nothing = first.yield {
                let text = first.postgres.string, sqliteText = first.sqlite.string
                while end < statements.count, case .nothing = statements[end].yield,
                      statements[end].postgres.string == text, statements[end].sqlite.string == sqliteText {
                    end += 1
                }
            }
            if end - index > 1, let merged = multiRow(Array(statements[index..<end])) {
                out += merged
            } else {
                out += statements[index..<end]
            }
            index = end
        }
        return out
    }

    /// `inserts` (single-row, one text) as multi-row inserts of at most ``mergedBindLimit`` bindings, each
    /// ending with `RETURNING returning` when given; `nil` when the text is not one `INSERT ... VALUES (...)`.
    static func multiRow(_ inserts: [Statement], returning: String? = nil, yield: Yield = .nothing) -> [Statement]? {
        guard let first = inserts.first,
              let sqliteParts = InsertShape(first.sqlite.string), let postgresParts = InsertShape(first.postgres.string) else { return nil }
        let perRow = max(first.binds.count, 1)
        let rowsPerStatement = max(1, min(1_000, mergedBindLimit / perRow))
        var statements: [Statement] = []
        var start = 0
        while start < inserts.count {
            let chunk = inserts[start..<min(start + rowsPerStatement, inserts.count)]
            let tail = returning.map { " RETURNING " + $0 } ?? ""
            statements.append(Statement(
                sqlite: .built(sqliteParts.repeated(chunk.count) + tail), postgres: .built(postgresParts.repeated(chunk.count) + tail),
                chunk.flatMap(\.binds), yield: yield
            ))
            start += chunk.count
        }
        return statements
    }
}

/// A single-row `INSERT ... VALUES (tuple) rest`, split around its tuple.
private struct InsertShape {
    let head: Substring
    let tuple: Substring
    let rest: Substring

    /// The tuple is found by its balanced parentheses (it may hold a subquery), skipping quoted text. Read as
    /// UTF-8 bytes (every byte looked for is ASCII, never inside a multi-byte sequence): with Foundation's
    /// `range(of:)` and Character steps, this ran for every merged statement of every commit group.
    init?(_ sql: String) {
        let bytes = Array(sql.utf8)
        let marker = Array("VALUES (".utf8)
        guard sql.hasPrefix("INSERT"), let start = Self.firstIndex(of: marker, in: bytes, from: 0) else { return nil }
        let open = start + marker.count - 1
        var depth = 0
        var quoted = false
        var close: Int?
        for index in open..<bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "'") { quoted.toggle() }
            guard !quoted else { continue }
            if byte == UInt8(ascii: "(") { depth += 1 }
            if byte == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { close = index; break }
            }
        }
        guard let close, Self.firstIndex(of: Array("VALUES".utf8), in: bytes, from: close + 1) == nil else { return nil }
        let utf8 = sql.utf8
        let openIndex = utf8.index(utf8.startIndex, offsetBy: open), afterClose = utf8.index(utf8.startIndex, offsetBy: close + 1)
        head = sql[..<openIndex]
        tuple = sql[openIndex..<afterClose]
        rest = sql[afterClose...]
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        for index in start...(bytes.count - needle.count) where bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }

    func repeated(_ count: Int) -> String {
        var text = String(head)
        for row in 0..<count {
            if row > 0 { text += ", " }
            text += tuple
        }
        return text + rest
    }
}
