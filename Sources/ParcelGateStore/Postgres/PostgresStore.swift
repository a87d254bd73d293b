import Foundation
import Logging
import NIOCore
import NIOSSL
import ParcelGateCore
import PostgresNIO

/// How to reach PostgreSQL: parsed from `postgres://user:password@host:port/database?sslmode=...&pool=N`.
package struct PostgresSettings: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    /// `disable` (default), `prefer` or `require`.
    var sslMode: String
    /// Most connections the pool opens.
    var poolSize: Int
    /// Seconds to wait for the server at start-up before failing with a clear error (libpq's `connect_timeout`).
    var connectTimeoutSeconds: Int

    package init(url: String, poolSize: Int? = nil) throws(GatewayError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else { throw .badRequest("Not a PostgreSQL URL (postgres://user:password@host:port/database): \(Self.redacted(url))") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        self.sslMode = query["sslmode"] ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else { throw .badRequest("sslmode must be disable, prefer or require") }
        let size = poolSize ?? query["pool"].flatMap { StrictNumber.int($0, in: 0...Int(Int32.max)) } ?? 10
        guard (1...500).contains(size) else { throw .badRequest("The PostgreSQL pool size must be between 1 and 500") }
        self.poolSize = size
        let timeout = query["connect_timeout"].map { StrictNumber.int($0, in: 0...Int(Int32.max)) } ?? 10
        guard let timeout, (1...600).contains(timeout) else { throw .badRequest("connect_timeout must be between 1 and 600 seconds") }
        self.connectTimeoutSeconds = timeout
    }

    /// Where the database is, for messages: never the password.
    var location: String { "\(username)@\(host):\(port)/\(database)" }

    /// `url` with everything between `://` and its last `@` blanked: by text, not through a URL parser, so a
    /// URL no parser accepts (a password with a space, a `/` or a `?`) is blanked all the same. An `@` later
    /// in the URL (a query) blanks more than needed, never less.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(rest[at...])
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        return configuration
    }
}

/// The shared backend for several gateway replicas: every ``GatewayStore`` operation on PostgreSQL through
/// a PostgresNIO connection pool.
///
/// Concurrency between replicas rests on the database: dedupe receipts and per-scan keys are unique
/// constraints, a callback locks the fulfillments it touches (`FOR UPDATE`), and `claimDue` takes due
/// entries with `FOR UPDATE SKIP LOCKED`, so two replicas never claim the same entry.
package final class PostgresStore: GatewayStore {
    /// The connection pool. A ServiceLifecycle `Service`: `parcelgate serve` runs it in its ServiceGroup,
    /// beside the HTTP application, so it starts first and stops last.
    package let client: PostgresClient
    let logger: Logger
    /// The task running `client` when the store runs it itself (tools and tests); `nil` when the caller runs
    /// it as a Service.
    private let runner: Task<Void, Never>?
    let settings: PostgresSettings

    /// A store whose client the caller runs (``client`` in its ServiceGroup), or that runs it itself
    /// (`runsOwnClient`). Nothing is connected until the client runs; then ``prepare()``.
    package init(settings: PostgresSettings, logger: Logger, runsOwnClient: Bool) {
        self.settings = settings
        self.logger = logger
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        runner = runsOwnClient ? Task { await client.run() } : nil
    }

    /// Runs its own client, connects, fails with a clear message when the database cannot be reached, and
    /// migrates: for tools and tests.
    convenience init(settings: PostgresSettings, logger: Logger) async throws(GatewayError) {
        self.init(settings: settings, logger: logger, runsOwnClient: true)
        do {
            try await prepare()
        } catch {
            runner?.cancel()
            throw error
        }
    }

    /// Waits for the database (at most `connect_timeout`), with a clear message when it cannot be reached,
    /// then migrates. The client must be running.
    package func prepare() async throws(GatewayError) {
        let client = self.client, logger = self.logger
        do {
            try await Self.withTimeout(seconds: settings.connectTimeoutSeconds) { try await client.query("SELECT 1", logger: logger) }
        } catch {
            throw .storeUnavailable("Cannot reach PostgreSQL at \(settings.location): \(Self.describe(error))")
        }
        do {
            try await PostgresMigrations.migrate(client, logger: logger)
        } catch {
            throw .storeUnavailable("PostgreSQL migrations failed at \(settings.location): \(Self.describe(error))")
        }
    }

    /// Creates an empty database `name` on the server `adminURL` points at, and returns the new database's URL.
    /// For tests and first-time set-up; a gateway only ever connects to an existing database.
    static func createDatabase(adminURL: String, name: String) async throws(GatewayError) -> String {
        guard name.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }), !name.isEmpty else {
            throw .badRequest("A database name must be lowercase letters, digits and '_'")
        }
        let settings = try PostgresSettings(url: adminURL)
        let client = PostgresClient(configuration: settings.clientConfiguration)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        do {
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        } catch {
            throw classify(error)
        }
        guard var components = URLComponents(string: adminURL) else { throw .badRequest("Not a URL") }
        components.path = "/" + name
        return components.string ?? adminURL
    }

    /// Stops the client when the store runs it; a client run as a Service stops with its ServiceGroup.
    package func close() async {
        runner?.cancel()
        _ = await runner?.value
    }

    package func ping() async throws(GatewayError) {
        try await run { try await self.client.query("SELECT 1", logger: self.logger) }
    }

    // MARK: Running queries

    /// Runs `work`, classifying any failure (docs/architecture.md, "The retry queue", ``PostgresErrorClassification``): connection trouble,
    /// an unavailable server and serialization failures are transient, constraint violations conflicts, our
    /// own errors pass through, and anything else (a decoding error, say) is an internal error.
    func run<T: Sendable>(_ work: () async throws -> T) async throws(GatewayError) -> T {
        do {
            return try await work()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw Self.classify(error)
        }
    }

    /// Runs `work` in one transaction, classified like `run`.
    func transaction<T: Sendable>(_ work: @escaping (PostgresConnection) async throws -> T) async throws(GatewayError) -> T {
        try await run { try await self.client.withTransaction(logger: self.logger) { connection in try await work(connection) } }
    }

    /// See ``PostgresErrorClassification``.
    static func classify(_ error: any Error) -> GatewayError { PostgresErrorClassification.classify(error) }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    static func withTimeout<T: Sendable>(seconds: Int, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw GatewayError.storeUnavailable("timed out after \(seconds) s")
            }
            guard let first = try await group.next() else { throw GatewayError.storeUnavailable("no result") }
            group.cancelAll()
            return first
        }
    }

    // MARK: Fulfillments

    package func createFulfillment(_ new: NewFulfillment) async throws(GatewayError) -> Fulfillment {
        try await transaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO fulfillments (tenant, id, order_id, status, created_at, updated_at)
                VALUES (\(new.tenant), \(new.id), \(new.orderId), \(FulfillmentStatus.pending.rawValue), \(new.createdAt.milliseconds), \(new.createdAt.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """, logger: self.logger).collect()
            guard !inserted.isEmpty else { throw GatewayError.conflict("A fulfillment with id '\(new.id)' already exists") }
            try await PostgresRetryRows.expedite(connection, tenant: new.tenant, matchKey: new.id, now: new.createdAt, logger: self.logger)
            return Fulfillment(id: new.id, tenant: new.tenant, orderId: new.orderId, createdAt: new.createdAt, updatedAt: new.createdAt)
        }
    }

    package func fulfillment(tenant: String, id: String) async throws(GatewayError) -> Fulfillment? {
        try await run {
            try await self.client.withConnection { connection in
                try await PostgresFulfillmentRows.load(connection, tenant: tenant, id: id, withHistory: true, forUpdate: false, logger: self.logger)
            }
        }
    }

    package func fulfillments(tenant: String, where filter: FulfillmentFilter) async throws(GatewayError) -> [Fulfillment] {
        // Both queries in one snapshot, so a fulfillment's status and its history agree (as on SQLite's reader).
        try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            return try await PostgresFulfillmentRows.list(connection, tenant: tenant, filter: filter, logger: self.logger)
        }
    }

    package func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at now: Timestamp) async throws(GatewayError) -> Fulfillment {
        try await transaction { connection in
            guard var fulfillment = try await PostgresFulfillmentRows.load(connection, tenant: tenant, id: fulfillmentId, withHistory: false, forUpdate: true, logger: self.logger) else {
                throw GatewayError.notFound("Fulfillment '\(fulfillmentId)' not found")
            }
            let change = try PlatformCommand.apply(command, to: &fulfillment, at: now)
            if case .ship(_, let trackingNumber, _) = command {
                try await PostgresRetryRows.expedite(connection, tenant: tenant, matchKey: trackingNumber, now: now, logger: self.logger)
            }
            if let entry = change.historyEntry {
                try await PostgresFulfillmentRows.insertEvent(connection, tenant: tenant, fulfillmentId: fulfillmentId, entry: entry, logger: self.logger)
            }
            try await PostgresFulfillmentRows.update(connection, fulfillment, logger: self.logger)
            try await PostgresFulfillmentRows.recordDomainEvent(connection, change.domainEvent, recordedAt: now, logger: self.logger)
            guard let updated = try await PostgresFulfillmentRows.load(connection, tenant: tenant, id: fulfillmentId, withHistory: true, forUpdate: false, logger: self.logger) else {
                throw GatewayError.internalError("Fulfillment vanished during its own transaction")
            }
            return updated
        }
    }

    // MARK: Ingest

    package func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome {
        try await transaction { connection in
            if let receiptKey = callback.receiptKey {
                let inserted = try await connection.query("""
                    INSERT INTO receipts (tenant, carrier, receipt_key, received_at)
                    VALUES (\(callback.tenant), \(callback.carrier), \(receiptKey), \(callback.receivedAt.milliseconds))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: self.logger).collect()
                if inserted.isEmpty { return IngestOutcome.duplicate }
            }
            var matches: [String] = []
            var cache: [String: String?] = [:]
            for event in callback.events {
                let key = LedgerMatching.key(event)
                let id: String?
                if let cached = cache[key] { id = cached } else {
                    id = try await PostgresFulfillmentRows.match(connection, event: event, carrier: callback.carrier, logger: self.logger)
                    cache[key] = id
                }
                guard let id else {
                    guard let makeEntry = callback.queueIfUnmatched else { throw GatewayError.unmatched(LedgerMatching.unmatchedDetail(event)) }
                    // The receipt and the raw callback commit together: a 202 loses nothing.
                    let entry = makeEntry()
                    try await PostgresRetryRows.insert(connection, entry, logger: self.logger)
                    return IngestOutcome.queued(retryId: entry.id)
                }
                matches.append(id)
            }
            var state = LedgerState(fulfillments: [:], knownScans: [], refused: [:])
            // Lock the fulfillments in a stable order so two replicas applying to the same ones cannot deadlock.
            for id in Set(matches).sorted() {
                guard let fulfillment = try await PostgresFulfillmentRows.load(connection, tenant: callback.tenant, id: id, withHistory: false, forUpdate: true, logger: self.logger) else {
                    throw GatewayError.unmatched("No fulfillment '\(id)'")
                }
                state.fulfillments[id] = fulfillment
                state.refused[id] = try await PostgresFulfillmentRows.refusedEvents(connection, tenant: callback.tenant, fulfillmentId: id, logger: self.logger)
                let scanKeys = zip(callback.events, matches).filter { $0.1 == id }.map { $0.0.scanKey }
                for key in try await PostgresFulfillmentRows.knownScans(connection, tenant: callback.tenant, fulfillmentId: id, scanKeys: scanKeys, logger: self.logger) {
                    state.knownScans.insert(LedgerState.scanRef(id, key))
                }
            }
            let plan = LedgerPlanner.plan(events: callback.events, matches: matches, state: state, receivedAt: callback.receivedAt)
            for new in plan.newEvents {
                try await PostgresFulfillmentRows.insertEvent(connection, tenant: callback.tenant, fulfillmentId: new.fulfillmentId, entry: HistoryInsert(new, receivedAt: callback.receivedAt), logger: self.logger)
            }
            for (rowId, status) in plan.reapplied {
                try await connection.query("UPDATE tracking_events SET applied = TRUE, outcome = 'applied', fulfillment_status = \(status.rawValue) WHERE id = \(rowId)", logger: self.logger)
            }
            for fulfillment in plan.updatedFulfillments { try await PostgresFulfillmentRows.update(connection, fulfillment, logger: self.logger) }
            for domain in plan.domainEvents {
                try await PostgresFulfillmentRows.recordDomainEvent(connection, domain, recordedAt: callback.receivedAt, logger: self.logger)
            }
            return plan.outcome
        }
    }
}
