import Foundation
import Logging
import NIOCore
import NIOPosix
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
package final class PostgresStore: WorkflowRunner {
    let dialect = StoreDialect.postgres
    /// The connection pool. A ServiceLifecycle `Service`: `parcelgate serve` runs it in its ServiceGroup,
    /// beside the HTTP application, so it starts first and stops last.
    package let client: PostgresClient
    let logger: Logger
    /// The task running `client` when the store runs it itself (tools and tests); `nil` when the caller runs
    /// it as a Service.
    private let runner: Task<Void, Never>?
    let settings: PostgresSettings
    /// Concurrent callbacks ride one transaction (``IngestGroupCommitter``).
    private let groups: IngestGroupCommitter
    /// The store's own event-loop thread: its connections' I/O and the group leaders run there, never queued
    /// behind the HTTP server's channels and handlers (measured: README, "PostgreSQL group commit").
    private let loops: MultiThreadedEventLoopGroup

    /// A store whose client the caller runs (``client`` in its ServiceGroup), or that runs it itself
    /// (`runsOwnClient`). Nothing is connected until the client runs; then ``prepare()``.
    package init(settings: PostgresSettings, logger: Logger, runsOwnClient: Bool, grouping: PostgresGrouping = PostgresGrouping()) {
        self.settings = settings
        self.logger = logger
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loops = loops
        let client = PostgresClient(configuration: settings.clientConfiguration, eventLoopGroup: loops, backgroundLogger: logger)
        self.client = client
        runner = runsOwnClient ? Task { await client.run() } : nil
        groups = IngestGroupCommitter(grouping: grouping, dialect: .postgres, loop: loops.next()) { workflow throws(GatewayError) in
            try await Self.perform(workflow, client: client, logger: logger)
        }
    }

    /// Runs its own client, connects, fails with a clear message when the database cannot be reached, and
    /// migrates: for tools and tests.
    convenience init(settings: PostgresSettings, logger: Logger, grouping: PostgresGrouping = PostgresGrouping()) async throws(GatewayError) {
        self.init(settings: settings, logger: logger, runsOwnClient: true, grouping: grouping)
        do {
            try await prepare()
        } catch {
            await close()
            throw error
        }
    }

    /// Waits for the database (at most `connect_timeout`), with a clear message when it cannot be reached,
    /// then migrates. The client must be running.
    package func prepare() async throws(GatewayError) {
        let client = self.client, logger = self.logger
        do {
            _ = try await Self.withTimeout(seconds: settings.connectTimeoutSeconds) { try await client.query("SELECT 1", logger: logger) }
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

    /// Waits for the commit groups in flight, stops the client when the store runs it (a client run as a
    /// Service stops with its ServiceGroup: call this after), then the store's event-loop thread.
    package func close() async {
        await groups.close()
        runner?.cancel()
        _ = await runner?.value
        try? await loops.shutdownGracefully()
    }

    package func ping() async throws(GatewayError) {
        _ = try await run { try await self.client.query("SELECT 1", logger: self.logger) }
    }

    // MARK: Running queries

    /// Runs `work`, classifying any failure (docs/architecture.md, "The retry queue", ``PostgresErrorClassification``): connection trouble,
    /// an unavailable server and serialization failures are transient, constraint violations conflicts, our
    /// own errors pass through, and anything else (a decoding error, say) is an internal error.
    func run<T: Sendable>(_ work: () async throws -> T) async throws(GatewayError) -> T {
        try await Self.run(work)
    }

    static func run<T: Sendable>(_ work: () async throws -> T) async throws(GatewayError) -> T {
        do {
            return try await work()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw Self.classify(error)
        }
    }

    /// Runs a workflow on one pooled connection: in a transaction for writes (rolled back when a step throws),
    /// in a read-only repeatable-read transaction for a snapshot, and as it comes for plain reads.
    func perform<Output: Sendable>(_ workflow: Workflow<Output>) async throws(GatewayError) -> Output {
        try await Self.perform(workflow, client: client, logger: logger)
    }

    static func perform<Output: Sendable>(_ workflow: Workflow<Output>, client: PostgresClient, logger: Logger) async throws(GatewayError) -> Output {
        let first = workflow.first
        switch workflow.access {
        case .write:
            return try await run { try await client.withTransaction(logger: logger) { try await $0.drive(first, logger: logger) } }
        case .snapshot:
            return try await run {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                    return try await connection.drive(first, logger: logger)
                }
            }
        case .read:
            return try await run { try await client.withConnection { try await $0.drive(first, logger: logger) } }
        }
    }

    /// A callback from a carrier joins the next commit group (``IngestGroupCommitter``); a retry, which has no
    /// receipt to store, and a callback the group left out run by themselves, as on SQLite.
    package func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome {
        if IngestGroupWorkflow.canJoin(callback), case .settled(let outcome) = await groups.submit(callback) {
            return outcome
        }
        return try await perform(IngestWorkflow.make(callback, dialect: dialect))
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
}
