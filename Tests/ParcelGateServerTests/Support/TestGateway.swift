import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import ServiceLifecycle
import Testing

/// A clock the test moves by hand.
final class ManualClock: GatewayClock, @unchecked Sendable {
    private let lock = NIOLock()
    private var current: Timestamp

    init(_ start: Timestamp = SystemClock().now()) { current = start }

    func now() -> Timestamp { lock.withLock { current } }

    func advance(seconds: Int64) { lock.withLock { current = current.adding(milliseconds: seconds * 1000) } }
}

/// A real gateway listening on a loopback port over a real SQLite file in a temporary directory.
struct TestGateway: Sendable {
    let port: Int
    let databasePath: String
    let clock: ManualClock
    /// The store the gateway runs on, for assertions on what was persisted.
    let store: any GatewayStore
    /// The same store when it is SQLite (for its test hooks).
    var sqlite: SQLiteStore? { store as? SQLiteStore }
    let worker: RetryWorker
    let directory: DirectoryProvider
    let routes: [String]

    static let apiKey = "test-api-key-shopstream-0001"
    static let otherApiKey = "test-api-key-otherplatform-01"
    static let secret = "test-generic-secret"
    static let operatorKey = "test-operator-key-0123456789"

    /// Config with two tenants: `shopstream` (generic source, HMAC hex) and `other` (generic, its own secret).
    static func defaultConfig(secrets: [String] = [TestGateway.secret], maxBodyBytes: Int = 1_048_576) -> GatewayConfig {
        GatewayConfig(
            tenants: [
                TenantConfig(slug: "shopstream", apiKeys: [apiKey], sources: [
                    SourceConfig(carrier: "generic", scheme: "hmac-sha256-hex", secrets: secrets),
                ]),
                TenantConfig(slug: "other", apiKeys: [otherApiKey], sources: [
                    SourceConfig(carrier: "generic", secrets: ["other-generic-secret"]),
                ]),
            ],
            server: ServerConfig(maxBodyBytes: maxBodyBytes),
            retry: RetryConfig(baseDelaySeconds: 10, maxDelaySeconds: 600, multiplier: 2, maxAttempts: 3, jitter: false),
            worker: WorkerConfig(pollIntervalMilliseconds: 20)
        )
    }

    static func temporaryDatabasePath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("gateway.sqlite").path
    }

    /// Starts a gateway, runs `body` against it, and shuts it down gracefully.
    static func run<T: Sendable>(
        config: GatewayConfig = defaultConfig(), databasePath: String = temporaryDatabasePath(),
        clock: ManualClock = ManualClock(), operatorKey: String? = TestGateway.operatorKey, masterKey: String? = nil,
        logHandler: (@Sendable (String) -> any LogHandler)? = nil, readinessInterval: Duration = .milliseconds(50),
        postgres: String? = nil, webhookSender: (any WebhookSending)? = nil, keySets: KeySetCache.Settings = KeySetCache.Settings(),
        _ body: @Sendable (TestGateway) async throws -> T
    ) async throws -> T {
        let metrics = GatewayMetrics()
        // A fresh PostgreSQL database on the test server when `postgres` names one, else a SQLite file.
        let store: any GatewayStore
        if let postgres {
            let url = try await PostgresStore.createDatabase(adminURL: postgres, name: "parcelgate_gw_" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
            store = try await StoreLocation.open(url, durability: .normal, poolSize: 8, logger: Logger(label: "test-store"))
        } else {
            store = try SQLiteStore(path: databasePath, batching: WriteBatching(onCommit: { metrics.commitBatch(size: $0) }))
        }
        var logger = logHandler.map { Logger(label: "parcelgate-test", factory: $0) } ?? Logger(label: "parcelgate-test")
        logger.logLevel = logHandler == nil ? .warning : .trace
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let gateway = try await GatewayApplication.build(
            settings: GatewaySettings(host: "127.0.0.1", port: 0, config: config, clock: clock, operatorKey: operatorKey, masterKey: masterKey,
                                      directoryRefreshInterval: .milliseconds(100), metrics: metrics, readinessInterval: readinessInterval,
                                      webhookSender: webhookSender, keySets: keySets),
            store: store, logger: logger
        ) { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [gateway.application], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HTTPClientError.connectionClosed }
            let testGateway = TestGateway(port: port, databasePath: databasePath, clock: clock, store: store, worker: gateway.worker, directory: gateway.directory, routes: gateway.routes)
            do {
                let result = try await body(testGateway)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                await store.close()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                await store.close()
                throw error
            }
        }
    }

    // MARK: Requests

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil, chunked: Bool = false) async throws -> HTTPClientResponse {
        let connection = try await HTTPConnection.connect(host: "127.0.0.1", port: port)
        defer { Task { await connection.close() } }
        return try await connection.send(method: method, path: path, headers: headers, body: body, chunked: chunked)
    }

    /// An operator API call.
    func admin(_ method: String, _ path: String, json: String? = nil, key: String = TestGateway.operatorKey) async throws -> HTTPClientResponse {
        var headers = [("Authorization", "Bearer \(key)")]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try await request(method, "/v1/admin" + path, headers: headers, body: json.map { Array($0.utf8) })
    }

    /// A platform API call with the tenant's key and a JSON body.
    func api(_ method: String, _ path: String, json: String? = nil, key: String = TestGateway.apiKey) async throws -> HTTPClientResponse {
        var headers = [("Authorization", "Bearer \(key)")]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try await request(method, path, headers: headers, body: json.map { Array($0.utf8) })
    }

    /// Posts a generic callback signed as the generic carrier would sign it.
    func callback(_ json: String, tenant: String = "shopstream", secret: String = TestGateway.secret) async throws -> HTTPClientResponse {
        let body = Array(json.utf8)
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: secret)
        let headers = try signer.headers(for: Data(body), now: clock.now()) + [("Content-Type", "application/json")]
        return try await request("POST", "/v1/hooks/\(tenant)/generic", headers: headers, body: body)
    }

    /// Creates a fulfillment and walks it to SHIPPED with `trackingNumber`.
    @discardableResult
    func shippedFulfillment(id: String, trackingNumber: String, carrier: String = "generic") async throws -> JSON {
        try await api("POST", "/v1/fulfillments", json: #"{"order_id":"order-\#(id)","id":"\#(id)"}"#).expect(201)
        for command in ["pick", "pack", "ready"] {
            try await api("PUT", "/v1/fulfillments/\(id)/\(command)").expect(200)
        }
        return try await api("PUT", "/v1/fulfillments/\(id)/ship", json: #"{"carrier":"\#(carrier)","tracking_number":"\#(trackingNumber)","service_level":"ground"}"#).expect(200)
    }

    func fulfillment(_ id: String, key: String = TestGateway.apiKey) async throws -> JSON {
        try await api("GET", "/v1/fulfillments/\(id)", key: key).expect(200)
    }

    /// Whether `/readyz` answers 200 `ready` within `seconds`. Readiness is the monitor's last check
    /// (ReadinessMonitor): on a starved machine (CI once ran one such test for 37 s) a check can come late and read
    /// as stale for a moment, and the next one answers.
    func becomesReady(seconds: Double = 30) async throws -> Bool {
        try await eventually(seconds: seconds) {
            let ready = try await request("GET", "/readyz")
            return ready.status == 200 && (try? ready.json["status"].string) == "ready"
        }
    }

    /// Polls `condition` until it holds or `seconds` pass; the retry worker runs on its own schedule.
    func eventually(seconds: Double = 10, _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// A parsed JSON response body with terse accessors for assertions.
struct JSON: @unchecked Sendable {
    let value: Any

    init(_ bytes: [UInt8]) throws {
        value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    init(value: Any) { self.value = value }

    subscript(key: String) -> JSON { JSON(value: (value as? [String: Any])?[key] ?? NSNull()) }
    subscript(index: Int) -> JSON {
        guard let array = value as? [Any], index >= 0, index < array.count else { return JSON(value: NSNull()) }
        return JSON(value: array[index])
    }

    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber)?.intValue }
    var bool: Bool? { (value as? NSNumber)?.boolValue }
    var array: [JSON] { (value as? [Any])?.map { JSON(value: $0) } ?? [] }
    var isNull: Bool { value is NSNull }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
}

extension HTTPClientResponse {
    var json: JSON { (try? JSON(body)) ?? JSON(value: NSNull()) }

    /// Asserts the status and returns the JSON body.
    @discardableResult
    func expect(_ status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        #expect(self.status == status, "expected \(status), got \(self.status): \(text)", sourceLocation: sourceLocation)
        return json
    }

    /// Asserts a documented error: the status, the code, and the `{"code","detail","request_id"}` shape.
    @discardableResult
    func expectError(_ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        let body = json
        #expect(self.status == status, "expected \(status) \(code), got \(self.status): \(text)", sourceLocation: sourceLocation)
        #expect(body["code"].string == code, "body: \(text)", sourceLocation: sourceLocation)
        #expect(body.keys == ["code", "detail", "request_id"], "body: \(text)", sourceLocation: sourceLocation)
        #expect(!(body["detail"].string ?? "").isEmpty, sourceLocation: sourceLocation)
        #expect(!(body["request_id"].string ?? "").isEmpty, sourceLocation: sourceLocation)
        #expect(header("Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        return body
    }
}
