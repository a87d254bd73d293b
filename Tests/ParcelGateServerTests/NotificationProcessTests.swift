import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Issue 15 across processes: `parcelgate serve` killed mid-delivery, and two replicas sharing one
/// PostgreSQL delivery queue.
@Suite(.timeLimit(.minutes(5))) struct NotificationProcessTests {
    static let apiKey = "notify-api-key-0123456789"

    static func config(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("config.json").path
        try """
            {"tenants": [{"slug": "notify", "api_keys": ["\(apiKey)"], "sources": [{"carrier": "generic", "secrets": ["notify-generic-secret"]}]}],
             "notifications": {"allowed_networks": ["127.0.0.0/8"], "allow_http": true, "timeout_ms": 5000, "connect_timeout_ms": 1000,
                               "worker": {"poll_interval_ms": 50, "lease_s": 6, "concurrency": 16, "per_endpoint_concurrency": 8}},
             "database": {"pool_size": 8}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func workspace(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func api(_ gateway: GatewayProcess, _ method: String, _ path: String, _ json: String? = nil) async throws -> HTTPClientResponse {
        try await gateway.request(method, path, headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
                                  body: json.map { Array($0.utf8) })
    }

    static func eventually(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// SIGKILL while a delivery is on the wire (the receiver holds its answer): after a restart every event is
    /// still delivered, and the one redelivered carries the same `webhook-id` as before the kill.
    @Test(arguments: NotificationBackend.available)
    func aKilledGatewayDeliversEverythingAfterRestartWithTheSameWebhookId(backend: NotificationBackend) async throws {
        let dir = try Self.workspace("notify-kill")
        let config = try Self.config(dir)
        let database: String
        if let adminURL = backend.postgresURL {
            database = try await PostgresStore.createDatabase(adminURL: adminURL, name: "parcelgate_kill_" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        } else {
            database = dir.appendingPathComponent("gateway.sqlite").path
        }
        let hold = NIOLockedValueBox(true)
        let receiver = try await LoopbackReceiver.start { _ in hold.withLockedValue { $0 } ? .silent : .respond(status: 200) }
        defer { Task { await receiver.stop() } }

        let first = try await GatewayProcess.start(config: config, database: database)
        try await Self.api(first, "POST", "/v1/webhook-endpoints", #"{"url":"\#(receiver.url)/hooks"}"#).expect(201)
        try await Self.api(first, "POST", "/v1/fulfillments", #"{"order_id":"o","id":"k1"}"#).expect(201)
        for command in ["pick", "pack", "ready"] { try await Self.api(first, "PUT", "/v1/fulfillments/k1/\(command)").expect(200) }
        #expect(try await Self.eventually(seconds: 10) { receiver.requests.count >= 1 })
        let onTheWire = try #require(receiver.requests.first?.header("webhook-id"))
        first.kill()

        hold.withLockedValue { $0 = false }
        let second = try await GatewayProcess.start(config: config, database: database)
        defer { second.terminate() }
        // The first delivery's lease (6 s) runs out, it is sent again, then the rest follow in order.
        #expect(try await Self.eventually(seconds: 30) {
            Set(receiver.requests.compactMap { $0.header("webhook-id") }).count >= 3
        })
        let answered = receiver.requests.dropFirst()
        #expect(answered.first?.header("webhook-id") == onTheWire, "the redelivery keeps its webhook-id")
        let list = try await Self.api(second, "GET", "/v1/deliveries?status=delivered").expect(200)
        #expect(list["deliveries"].array.count == 3)
    }

    /// Two replicas on one PostgreSQL database share the delivery queue: a 1,000-event run reaches the
    /// receiver complete, each `webhook-id` accepted once by its dedupe, each fulfillment's events in order,
    /// and both replicas sent some.
    @Test(.enabled(if: testPostgresURL != nil, "needs PARCELGATE_TEST_POSTGRES_URL"))
    func twoReplicasDeliverEveryEventOfAThousandOnce() async throws {
        let adminURL = try #require(testPostgresURL)
        let database = try await PostgresStore.createDatabase(adminURL: adminURL, name: "parcelgate_notify_" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        let dir = try Self.workspace("notify-replicas")
        let config = try Self.config(dir)
        struct Accepted: Sendable { var ids: Set<String> = []; var duplicates = 0; var sequences: [String: [Int]] = [:] }
        let accepted = NIOLockedValueBox(Accepted())
        let receiver = try await LoopbackReceiver.start { request in
            let id = request.header("webhook-id") ?? ""
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            let data = body["data"] as? [String: Any] ?? [:]
            accepted.withLockedValue { state in
                guard state.ids.insert(id).inserted else { state.duplicates += 1; return }
                if let fulfillment = data["fulfillment_id"] as? String, let sequence = (data["sequence"] as? NSNumber)?.intValue {
                    state.sequences[fulfillment, default: []].append(sequence)
                }
            }
            return .respond(status: 200)
        }
        defer { Task { await receiver.stop() } }
        async let startA = GatewayProcess.start(config: config, database: database, logFile: dir.appendingPathComponent("a.log").path)
        async let startB = GatewayProcess.start(config: config, database: database, logFile: dir.appendingPathComponent("b.log").path)
        let replicas = try await [startA, startB]
        defer { replicas.forEach { $0.terminate() } }
        try await Self.api(replicas[0], "POST", "/v1/webhook-endpoints", #"{"url":"\#(receiver.url)/hooks"}"#).expect(201)

        // 250 fulfillments walked to SHIPPED through both replicas, 8 at a time: 1,000 status changes.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for index in stride(from: lane, to: 250, by: 8) {
                        let replica = replicas[index % 2]
                        #expect(try await Self.api(replica, "POST", "/v1/fulfillments", #"{"order_id":"o","id":"n\#(index)"}"#).status == 201)
                        for command in ["pick", "pack", "ready"] { _ = try await Self.api(replica, "PUT", "/v1/fulfillments/n\(index)/\(command)") }
                        _ = try await Self.api(replica, "PUT", "/v1/fulfillments/n\(index)/ship", #"{"carrier":"generic","tracking_number":"N-\#(index)"}"#)
                    }
                }
            }
            try await group.waitForAll()
        }
        let complete = try await Self.eventually(seconds: 120) { accepted.withLockedValue { $0.ids.count } >= 1000 }
        let state = accepted.withLockedValue { $0 }
        #expect(complete, "accepted \(state.ids.count)")
        #expect(state.ids.count == 1000)
        #expect(state.sequences.count == 250 && state.sequences.values.allSatisfy { $0 == [1, 2, 3, 4] })
        // Redeliveries beyond at-least-once would show here; a lease expiry is the only cause and none is expected.
        #expect(state.duplicates == 0, "\(state.duplicates) duplicate deliveries")
        // Each attempt is logged once recorded, just after the receiver answered it.
        func attemptsLogged() throws -> [Int] {
            try ["a.log", "b.log"].map { name in
                try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").filter { $0.hasSuffix("Webhook attempt") }.count
            }
        }
        _ = try await Self.eventually(seconds: 15) { try attemptsLogged().reduce(0, +) >= 1000 }
        let sentBy = try attemptsLogged()
        // At least one attempt per delivery; more when an attempt failed (a slow machine's timeout) and was retried.
        #expect(sentBy.allSatisfy { $0 > 0 } && sentBy.reduce(0, +) >= 1000, "attempts per replica: \(sentBy)")
    }
}
