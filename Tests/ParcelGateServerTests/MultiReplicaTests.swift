import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// The PostgreSQL server CI starts for the tests, if any.
var testPostgresURL: String? { ProcessInfo.processInfo.environment["PARCELGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

/// Two real `parcelgate serve` processes on one PostgreSQL database (README "Several replicas on PostgreSQL": several replicas share dedupe,
/// fulfillments and the retry queue). Runs whenever `PARCELGATE_TEST_POSTGRES_URL` is set, as in CI.
@Suite(.enabled(if: testPostgresURL != nil, "needs PARCELGATE_TEST_POSTGRES_URL"), .timeLimit(.minutes(5)))
struct MultiReplicaTests {
    static let apiKey = "replica-api-key-0123456789"
    static let secret = "replica-generic-secret"

    struct Sent: Sendable {
        let replica: Int
        let status: Int
        let outcome: String
    }

    /// `parcelgate serve` on PostgreSQL runs the connection pool as a Service of its ServiceGroup: the gateway
    /// becomes ready once the pool runs and the schema is migrated, and SIGTERM stops both, cleanly.
    @Test func thePoolRunsAsAServiceAndStopsWithTheGateway() async throws {
        let adminURL = try #require(testPostgresURL)
        let database = try await PostgresStore.createDatabase(adminURL: adminURL, name: "parcelgate_lifecycle_" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        let (_, configPath, _) = try GatewayProcess.workspace("lifecycle", config: CrashRecoveryTests.config)
        let server = try await GatewayProcess.start(config: configPath, database: database)
        #expect(try await server.request("GET", "/readyz").status == 200)
        server.terminate()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0)
    }

    @Test func twoReplicasApplyEveryCallbackExactlyOnce() async throws {
        let adminURL = try #require(testPostgresURL)
        let database = try await PostgresStore.createDatabase(adminURL: adminURL, name: "parcelgate_replicas_" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.json").path
        try """
            {"tenants": [{"slug": "multi", "api_keys": ["\(Self.apiKey)"], "sources": [{"carrier": "generic", "secrets": ["\(Self.secret)"]}]}],
             "worker": {"poll_interval_ms": 50, "batch_size": 16}, "database": {"pool_size": 8}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        // Both start together: migrations run once, under the advisory lock.
        async let startA = GatewayProcess.start(config: config, database: database, logFile: dir.appendingPathComponent("a.log").path)
        async let startB = GatewayProcess.start(config: config, database: database, logFile: dir.appendingPathComponent("b.log").path)
        let replicas = try await [startA, startB]
        defer { replicas.forEach { $0.terminate() } }

        let auth = [("Authorization", "Bearer \(Self.apiKey)"), ("Content-Type", "application/json")]
        func api(_ replica: Int, _ method: String, _ path: String, _ json: String? = nil) async throws -> HTTPClientResponse {
            try await replicas[replica].request(method, path, headers: auth, body: json.map { Array($0.utf8) })
        }
        // 100 shipped fulfillments, registered alternately through both replicas.
        for index in 0..<100 {
            let replica = index % 2
            #expect(try await api(replica, "POST", "/v1/fulfillments", #"{"order_id":"o\#(index)","id":"t\#(index)"}"#).status == 201)
            for command in ["pick", "pack", "ready"] { _ = try await api(replica, "PUT", "/v1/fulfillments/t\(index)/\(command)") }
            #expect(try await api(replica, "PUT", "/v1/fulfillments/t\(index)/ship", #"{"carrier":"generic","tracking_number":"T-\#(index)"}"#).status == 200)
        }

        // The callbacks: 1800 distinct scans spread over both replicas, 100 sent to both at once,
        // and 100 for 50 shipments nobody has registered yet.
        struct Callback: Sendable { let body: [UInt8]; let replicas: [Int] }
        var callbacks: [Callback] = []
        for index in 0..<1800 {
            callbacks.append(Callback(body: Self.body(tracking: "T-\(index % 100)", event: "scan-\(index)", second: index), replicas: [index % 2]))
        }
        for index in 0..<100 {
            callbacks.append(Callback(body: Self.body(tracking: "T-\(index)", event: "both-\(index)", second: 5_000 + index), replicas: [0, 1]))
        }
        for index in 0..<100 {
            callbacks.append(Callback(body: Self.body(tracking: "U-\(index % 50)", event: "early-\(index)", second: 6_000 + index), replicas: [index % 2]))
        }
        callbacks.shuffle()
        let planned = callbacks

        let results = NIOLockedValueBox<[String: [Sent]]>([:])
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: Self.secret)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let workers = 16
            for worker in 0..<workers {
                group.addTask {
                    var connections: [Int: HTTPConnection] = [:]
                    defer { for connection in connections.values { Task { await connection.close() } } }
                    for (index, callback) in planned.enumerated() where index % workers == worker {
                        let key = String(decoding: callback.body, as: UTF8.self)
                        let headers = try signer.headers(for: Data(callback.body), now: SystemClock().now())
                        try await withThrowingTaskGroup(of: Sent.self) { sends in
                            for replica in callback.replicas {
                                // The same callback to both replicas at once: separate connections, concurrently.
                                let connection: HTTPConnection
                                if callback.replicas.count == 1, let open = connections[replica] {
                                    connection = open
                                } else {
                                    connection = try await HTTPConnection.connect(host: "127.0.0.1", port: replicas[replica].port)
                                    if callback.replicas.count == 1 { connections[replica] = connection }
                                }
                                let shared = callback.replicas.count > 1
                                sends.addTask {
                                    defer { if shared { Task { await connection.close() } } }
                                    let response = try await connection.send(method: "POST", path: "/v1/hooks/multi/generic", headers: headers, body: callback.body)
                                    return Sent(replica: replica, status: response.status, outcome: response.json["status"].string ?? response.text)
                                }
                            }
                            for try await sent in sends { results.withLockedValue { $0[key, default: []].append(sent) } }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }

        let sent = results.withLockedValue { $0 }
        #expect(sent.count == 2000)
        var applied = 0, queued = 0
        for (body, responses) in sent {
            if body.contains("both-") {
                #expect(responses.map(\.outcome).sorted() == ["applied", "duplicate"], "one replica applies, the other answers duplicate: \(responses)")
            } else {
                #expect(responses.count == 1 && [200, 202].contains(responses[0].status), "\(responses)")
            }
            applied += responses.filter { $0.outcome == "applied" }.count
            queued += responses.filter { $0.outcome == "queued" }.count
        }
        #expect(applied == 1900)
        #expect(queued == 100)

        // The 50 unknown shipments are registered now; both workers drain the queue.
        for index in 0..<50 {
            let replica = index % 2
            _ = try await api(replica, "POST", "/v1/fulfillments", #"{"order_id":"u\#(index)","id":"u\#(index)"}"#)
            for command in ["pick", "pack", "ready"] { _ = try await api(replica, "PUT", "/v1/fulfillments/u\(index)/\(command)") }
            _ = try await api(replica, "PUT", "/v1/fulfillments/u\(index)/ship", #"{"carrier":"generic","tracking_number":"U-\#(index)"}"#)
        }
        var succeeded = 0
        for _ in 0..<400 {
            succeeded = try await api(0, "GET", "/v1/retries?status=succeeded&limit=1000").json["retries"].array.count
            if succeeded == 100 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(succeeded == 100)

        // Every callback applied exactly once: 19 scans on each shipped fulfillment, 2 on each late one.
        for index in 0..<100 {
            let events = try await api(index % 2, "GET", "/v1/fulfillments/t\(index)").json["tracking_events"].array
            #expect(events.count == 19, "t\(index)")
        }
        for index in 0..<50 {
            let fulfillment = try await api(1 - index % 2, "GET", "/v1/fulfillments/u\(index)").json
            #expect(fulfillment["tracking_events"].array.count == 2, "u\(index)")
            #expect(fulfillment["status"].string == "IN_TRANSIT")
        }

        // Every retry attempt was made by exactly one replica.
        replicas.forEach { $0.terminate() }
        var attempts: [String: Int] = [:]
        var byReplica = [0, 0]
        for (replica, name) in ["a.log", "b.log"].enumerated() {
            let log = (try? String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8)) ?? ""
            for line in log.split(separator: "\n") where line.contains("Retry succeeded") || line.contains("Retry failed") {
                guard let id = line.firstMatch(of: /retry\.id=(rt_[0-9a-f]+)/)?.1, let attempt = line.firstMatch(of: /\sattempt=(\d+)/)?.1 else { continue }
                attempts["\(id)#\(attempt)", default: 0] += 1
                byReplica[replica] += 1
            }
        }
        #expect(attempts.count >= 100, "every entry's attempts are logged")
        #expect(attempts.values.allSatisfy { $0 == 1 }, "an attempt made twice: \(attempts.filter { $0.value > 1 })")
        #expect(Set(attempts.keys.map { $0.split(separator: "#")[0] }).count == 100)
    }

    static func body(tracking: String, event: String, second: Int) -> [UInt8] {
        let time = Timestamp(seconds: 1_700_000_000 + Int64(second)).rfc3339
        return Array(#"{"tracking_number":"\#(tracking)","status":"in_transit","event_id":"\#(event)","occurred_at":"\#(time)"}"#.utf8)
    }
}
