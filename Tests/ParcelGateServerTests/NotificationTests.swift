import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import Testing

/// Where a notification test's gateway keeps its data: SQLite always, PostgreSQL when CI names a server.
enum NotificationBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    static var available: [NotificationBackend] { testPostgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
    var postgresURL: String? { self == .postgres ? testPostgresURL : nil }
    var testDescription: String { rawValue }
}

/// Issue 15 end to end: a real gateway, the real AsyncHTTPClient sender, and real receivers on loopback.
@Suite(.timeLimit(.minutes(3))) struct NotificationTests {
    /// Loopback opened for the receivers; plain HTTP allowed for them.
    static func config(pollMilliseconds: Int = 20, failureThreshold: Int = 5, cooldownSeconds: Int = 60, disableAfterSeconds: Int = 432_000) -> GatewayConfig {
        var config = TestGateway.defaultConfig()
        config.notifications.allowedNetworks = ["127.0.0.0/8"]
        config.notifications.allowHTTP = true
        config.notifications.timeoutMilliseconds = 2_000
        config.notifications.connectTimeoutMilliseconds = 1_000
        config.notifications.worker.pollIntervalMilliseconds = pollMilliseconds
        config.notifications.worker.leaseSeconds = 10
        config.notifications.circuit.failureThreshold = failureThreshold
        config.notifications.circuit.cooldownSeconds = cooldownSeconds
        config.notifications.circuit.maxCooldownSeconds = max(cooldownSeconds, 60)
        config.notifications.circuit.disableAfterSeconds = disableAfterSeconds
        return config
    }

    /// A delivery as a receiver saw it, its signature checked with the endpoint's secret(s).
    struct Seen: Sendable {
        var id: String
        var type: String
        var fulfillment: String?
        var sequence: Int?
        var verified: Bool
    }

    static func decode(_ request: LoopbackReceiver.Received, secrets: [String], now: Timestamp) -> Seen {
        let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        let data = body["data"] as? [String: Any] ?? [:]
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        let verified = (try? SignatureVerifier(settings: settings, secrets: secrets)
            .verify(body: Data(request.body), headers: HeaderList(request.headers), now: now)) != nil
        return Seen(id: request.header("webhook-id") ?? "", type: body["type"] as? String ?? "", fulfillment: data["fulfillment_id"] as? String,
                    sequence: (data["sequence"] as? NSNumber)?.intValue, verified: verified)
    }

    func endpoint(_ gateway: TestGateway, url: String, types: String? = nil, retry: String = #"{"schedule_s":[1,1,1,1,1],"max_attempts":5}"#,
                  key: String = TestGateway.apiKey) async throws -> (id: String, secret: String) {
        let typesField = types.map { #","event_types":\#($0)"# } ?? ""
        let created = try await gateway.api("POST", "/v1/webhook-endpoints", json: #"{"url":"\#(url)/hooks","retry":\#(retry)\#(typesField)}"#, key: key).expect(201)
        return (created["id"].string ?? "", created["secret"].string ?? "")
    }

    /// Every event type of the product story arrives signed, in sequence order per fulfillment, each
    /// `webhook-id` once; `ping` on request; and the delivery's attempts are recorded.
    @Test(arguments: NotificationBackend.available)
    func everyEventTypeIsDeliveredSignedAndInOrder(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 204) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let (endpointId, secret) = try await endpoint(gateway, url: receiver.url)
            #expect(secret.hasPrefix("whsec_"))
            try await gateway.shippedFulfillment(id: "f1", trackingNumber: "TN-1")
            try await gateway.callback(#"{"event_id":"e1","tracking_number":"TN-1","status":"in_transit","occurred_at":"2026-11-27T10:00:00Z","location":"Memphis, TN","description":"Departed facility"}"#).expect(200)
            try await gateway.callback(#"{"event_id":"e2","tracking_number":"TN-1","status":"delivery_failed","occurred_at":"2026-11-27T11:00:00Z","description":"Address not found"}"#).expect(200)
            try await gateway.callback(#"{"event_id":"e3","tracking_number":"TN-1","status":"delivered","occurred_at":"2026-11-27T12:00:00Z"}"#).expect(200)
            // pick, pack, ready, ship: 4 status changes; in transit, exception, delivered: 3 typed events and 3 status changes.
            #expect(try await gateway.eventually { receiver.requests.count >= 10 }, "got \(receiver.requests.count)")
            let seen = receiver.requests.map { Self.decode($0, secrets: [secret], now: gateway.clock.now()) }
            #expect(seen.allSatisfy { $0.verified })
            #expect(Set(seen.map(\.id)).count == seen.count)
            #expect(seen.map(\.type) == [
                "fulfillment.status_changed", "fulfillment.status_changed", "fulfillment.status_changed", "fulfillment.status_changed",
                "tracking.event_received", "fulfillment.status_changed", "delivery.exception", "fulfillment.status_changed",
                "delivery.confirmed", "fulfillment.status_changed",
            ])
            let sequences = seen.compactMap(\.sequence)
            #expect(sequences == sequences.sorted() && sequences.first == 1)
            // The scan behind a notification travels with it: status, code, description, place.
            let scanBody = try #require(receiver.requests.first { String(decoding: $0.body, as: UTF8.self).contains("tracking.event_received") })
            let scanned = try #require(((try JSONSerialization.jsonObject(with: Data(scanBody.body)) as? [String: Any])?["data"] as? [String: Any])?["tracking_event"] as? [String: Any])
            #expect(scanned["description"] as? String == "Departed facility" && scanned["status"] as? String == "in_transit")
            #expect(String(describing: scanned["location"] ?? "").contains("Memphis"))
            let exception = try #require(receiver.requests.first { String(decoding: $0.body, as: UTF8.self).contains("delivery.exception") })
            #expect(String(decoding: exception.body, as: UTF8.self).contains(#""reason":"Address not found""#))
            let request = try #require(receiver.requests.first)
            #expect(request.header("content-type") == "application/json")
            #expect(request.header("user-agent")?.hasPrefix("ParcelGate/") == true)
            #expect(request.header("accept-encoding") == nil)

            let ping = try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/test").expect(200)
            #expect(ping["status"].string == "delivered" && ping["type"].string == "ping")
            #expect(ping["attempts"][0]["trigger"].string == "manual" && ping["attempts"][0]["status_code"].int == 204)
            let list = try await gateway.api("GET", "/v1/deliveries?endpoint_id=\(endpointId)&status=delivered&limit=100").expect(200)
            #expect(list["deliveries"].array.count == 11)
            let scan = try #require(list["deliveries"].array.first { $0["type"].string == "tracking.event_received" })
            let one = try await gateway.api("GET", "/v1/deliveries/\(scan["id"].string ?? "")").expect(200)
            #expect(one["payload"].string?.contains(#""tracking_number":"TN-1""#) == true)
            #expect(one["attempts"].array.count == 1 && one["attempts"][0]["trigger"].string == "scheduled")
        }
    }

    /// A receiver failing at random (503, seeded) still gets each fulfillment's notifications in sequence
    /// order, every one of them, each accepted once; retries wait for the schedule (the test's clock).
    @Test(arguments: NotificationBackend.available)
    func orderIsKeptPerFulfillmentWhileTheReceiverFailsAtRandom(backend: NotificationBackend) async throws {
        let random = NIOLockedValueBox(SplitMix64(seed: 15))
        // What the receiver accepted, deduplicated by webhook-id as a receiver should (an attempt whose answer
        // the gateway did not get in time is sent again: at least once).
        let accepted = NIOLockedValueBox<(ids: Set<String>, order: [(String, Int)])>(([], []))
        let receiver = try await LoopbackReceiver.start { request in
            let fails = random.withLockedValue { $0.next() % 3 == 0 }
            if fails { return .respond(status: 503) }
            let seen = Self.decode(request, secrets: [], now: Timestamp(seconds: 0))
            if let fulfillment = seen.fulfillment, let sequence = seen.sequence {
                accepted.withLockedValue { if $0.ids.insert(seen.id).inserted { $0.order.append((fulfillment, sequence)) } }
            }
            return .respond(status: 200)
        }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(failureThreshold: 1000), postgres: backend.postgresURL) { gateway in
            _ = try await endpoint(gateway, url: receiver.url, retry: #"{"schedule_s":[1],"max_attempts":20}"#)
            for index in 1...3 {
                try await gateway.shippedFulfillment(id: "f\(index)", trackingNumber: "TN-\(index)")
                try await gateway.callback(#"{"event_id":"e\#(index)","tracking_number":"TN-\#(index)","status":"in_transit","occurred_at":"2026-11-27T10:00:00Z"}"#).expect(200)
            }
            // 3 x (4 commands + a scan and its status change) = 18 notifications; move the clock so retries come due.
            let done = try await gateway.eventually(seconds: 60) {
                gateway.clock.advance(seconds: 2)
                return accepted.withLockedValue { $0.order.count } >= 18
            }
            #expect(done, "accepted \(accepted.withLockedValue { $0.order.count })")
            let byFulfillment = Dictionary(grouping: accepted.withLockedValue { $0.order }, by: \.0).mapValues { $0.map(\.1) }
            for (id, sequences) in byFulfillment {
                #expect(sequences == Array(1...5).flatMap { $0 == 5 ? [5, 5] : [$0] }, "\(id): \(sequences)")
            }
            #expect(receiver.requests.count > 18, "some attempts failed and were retried")
        }
    }

    /// 410 Gone disables the endpoint at once; what happens meanwhile is held, and enabling it sends the held
    /// deliveries in order.
    @Test(arguments: NotificationBackend.available)
    func aGoneEndpointIsDisabledAndItsHeldDeliveriesFollowReenabling(backend: NotificationBackend) async throws {
        let gone = NIOLockedValueBox(true)
        let receiver = try await LoopbackReceiver.start { _ in gone.withLockedValue { $0 } ? .respond(status: 410) : .respond(status: 200) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let (endpointId, _) = try await endpoint(gateway, url: receiver.url)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"f1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/f1/pick").expect(200)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").json["enabled"].bool == false
            })
            let disabled = try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").expect(200)
            #expect(disabled["disabled_reason"].string == "gone")
            let exhausted = try await gateway.api("GET", "/v1/deliveries?status=exhausted").expect(200)
            #expect(exhausted["deliveries"].array.count == 1, "410 is permanent: no retry")
            for command in ["pack", "ready"] { try await gateway.api("PUT", "/v1/fulfillments/f1/\(command)").expect(200) }
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=held").json["deliveries"].array.count == 2
            })
            let before = receiver.requests.count
            gone.withLockedValue { $0 = false }
            try await gateway.api("PATCH", "/v1/webhook-endpoints/\(endpointId)", json: #"{"enabled":true}"#).expect(200)
            #expect(try await gateway.eventually { receiver.requests.count == before + 2 })
            let sequences = receiver.requests.suffix(2).map { Self.decode($0, secrets: [], now: Timestamp(seconds: 0)).sequence }
            #expect(sequences == [2, 3])
        }
    }

    /// After `failure_threshold` failed attempts the circuit opens: nothing is sent during the cool-down;
    /// then one probe; a successful probe closes it.
    @Test(arguments: NotificationBackend.available)
    func theCircuitOpensProbesAndCloses(backend: NotificationBackend) async throws {
        let failing = NIOLockedValueBox(true)
        let receiver = try await LoopbackReceiver.start { _ in failing.withLockedValue { $0 } ? .respond(status: 500) : .respond(status: 200) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(failureThreshold: 2, cooldownSeconds: 30), postgres: backend.postgresURL) { gateway in
            let (endpointId, _) = try await endpoint(gateway, url: receiver.url, retry: #"{"schedule_s":[1],"max_attempts":20}"#)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"f1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/f1/pick").expect(200)
            // The first attempt fails; once it is recorded, its retry comes due and fails too.
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=failed").json["deliveries"].array.count == 1
            })
            gateway.clock.advance(seconds: 2)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").json["circuit"].string == "open"
            })
            let whileOpen = receiver.requests.count
            #expect(whileOpen == 2)
            // Retries are due, but the circuit is open for 30 s: no attempt is spent.
            for _ in 0..<5 { gateway.clock.advance(seconds: 2); try await Task.sleep(for: .milliseconds(60)) }
            #expect(receiver.requests.count == whileOpen)
            let stats = try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)/stats").expect(200)
            #expect(stats["consecutive_failures"].int == 2 && stats["circuit"].string == "open")
            failing.withLockedValue { $0 = false }
            gateway.clock.advance(seconds: 30)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").json["circuit"].string == "closed"
            })
            #expect(receiver.requests.count == whileOpen + 1, "one probe")
            let after = try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)/stats").expect(200)
            #expect(after["counts"]["delivered"].int == 1 && after["last_day"]["attempts"].int == 3)
        }
    }

    /// An endpoint's `rate_limit` holds (its bucket is stored with the endpoint, so it holds across replicas):
    /// at 2 per second, six due deliveries go out two per second of the gateway's clock. `/metrics` counts them.
    @Test(arguments: NotificationBackend.available)
    func theRateLimitHoldsAndMetricsCountDeliveries(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 200) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            try await gateway.api("POST", "/v1/webhook-endpoints", json: #"{"url":"\#(receiver.url)/h","rate_limit":{"per_second":2}}"#).expect(201)
            for index in 1...6 {
                try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"r\#(index)"}"#).expect(201)
                try await gateway.api("PUT", "/v1/fulfillments/r\(index)/pick").expect(200)
            }
            for expected in [2, 4, 6] {
                #expect(try await gateway.eventually { receiver.requests.count >= expected })
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.requests.count == expected, "the bucket holds until the clock moves")
                gateway.clock.advance(seconds: 1)
            }
            // The receiver answers before the gateway records the sixth attempt and counts it: wait for the count.
            _ = try await gateway.eventually {
                let text = try await gateway.request("GET", "/metrics").text
                return text.contains(#"parcelgate_webhook_deliveries{status="delivered"} 6.0"#) && text.contains(#"outcome="delivered"} 6"#)
            }
            let metrics = try await gateway.request("GET", "/metrics").text.split(separator: "\n")
            #expect(metrics.contains { $0.hasPrefix("parcelgate_webhook_deliveries_total{") && $0.contains(#"outcome="delivered""#) && $0.hasSuffix(" 6") })
            #expect(metrics.contains { $0.hasPrefix(#"parcelgate_webhook_deliveries{status="delivered"}"#) && $0.hasSuffix(" 6.0") },
                    "\(metrics.filter { $0.contains("webhook") })")
            #expect(metrics.contains { $0.hasPrefix(#"parcelgate_webhook_endpoint_circuits{state="closed"}"#) && $0.hasSuffix(" 1.0") })
            #expect(metrics.contains { $0.hasPrefix("parcelgate_webhook_attempt_duration_seconds_count") })
        }
    }

    /// Whether Python's official Standard Webhooks library (`pip install standardwebhooks`, as CI does) is here.
    static let officialLibrary: Bool = {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import standardwebhooks"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// A real delivery, as the receiver got it, verifies with the official Standard Webhooks library (Python),
    /// and does not with another secret.
    @Test(.enabled(if: officialLibrary, "needs python3 -m pip install standardwebhooks"), arguments: NotificationBackend.available)
    func deliveriesVerifyWithTheOfficialStandardWebhooksLibrary(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 204) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let (endpointId, secret) = try await endpoint(gateway, url: receiver.url)
            try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/test").expect(200)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"py1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/py1/pick").expect(200)
            #expect(try await gateway.eventually { receiver.requests.count >= 2 })
            for request in receiver.requests {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swh-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try Data(request.body).write(to: dir.appendingPathComponent("body"))
                let headers = Dictionary(request.headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
                try JSONSerialization.data(withJSONObject: headers).write(to: dir.appendingPathComponent("headers.json"))
                let script = """
                    import json, sys
                    from standardwebhooks.webhooks import Webhook
                    body = open(sys.argv[1] + "/body", "rb").read()
                    headers = json.load(open(sys.argv[1] + "/headers.json"))
                    try:
                        Webhook(sys.argv[2]).verify(body, headers)
                        print("verified")
                    except Exception as error:
                        print("refused", error)
                    """
                func verify(_ key: String) throws -> String {
                    let process = ChildProcess()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["python3", "-c", script, dir.path, key]
                    let output = Pipe()
                    process.standardOutput = output
                    try process.run()
                    process.waitUntilExit()
                    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                }
                #expect(try verify(secret) == "verified")
                #expect(try verify(WebhookSecret.generate()).hasPrefix("refused"))
            }
        }
    }

    /// A callback for a shipment nobody registered becomes a dead letter after its retries: the platform is
    /// told (`retry.exhausted`) with the tracking number, the carrier, the reason and the attempts.
    @Test(arguments: NotificationBackend.available)
    func aDeadLetterIsAnnouncedAsRetryExhausted(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 200) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            _ = try await endpoint(gateway, url: receiver.url, types: #"["retry.exhausted"]"#)
            try await gateway.callback(#"{"event_id":"lost-1","tracking_number":"NOBODY-1","status":"in_transit"}"#).expect(202)
            // The test config retries after 10, 20 and 40 s of the gateway's clock, then gives up.
            let announced = try await gateway.eventually(seconds: 20) {
                gateway.clock.advance(seconds: 15)
                return !receiver.requests.isEmpty
            }
            #expect(announced)
            let body = try JSONSerialization.jsonObject(with: Data(try #require(receiver.requests.first).body)) as? [String: Any] ?? [:]
            let data = body["data"] as? [String: Any] ?? [:]
            #expect(body["type"] as? String == "retry.exhausted")
            #expect(data["tracking_number"] as? String == "NOBODY-1" && data["carrier"] as? String == "generic")
            #expect(data["reason"] as? String == "unmatched" && (data["attempts"] as? NSNumber)?.intValue == 3)
            #expect((data["retry_id"] as? String)?.hasPrefix("rt_") == true)
        }
    }

    /// Backoff follows the endpoint's schedule exactly: with `[2, 4]` the retries come 2 s and then 4 s (of the
    /// gateway's clock) after each failure, not before; after the last one the delivery is exhausted.
    @Test(arguments: NotificationBackend.available)
    func backoffFollowsTheEndpointsSchedule(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 503) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(failureThreshold: 100), postgres: backend.postgresURL) { gateway in
            _ = try await endpoint(gateway, url: receiver.url, retry: #"{"schedule_s":[2,4],"max_attempts":2}"#)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"b1"}"#).expect(201)
            let failedAt = gateway.clock.now()
            try await gateway.api("PUT", "/v1/fulfillments/b1/pick").expect(200)
            @Sendable func delivery() async throws -> JSON { try await gateway.api("GET", "/v1/deliveries").json["deliveries"][0] }
            #expect(try await gateway.eventually { try await delivery()["attempt_count"].int == 1 })
            #expect(try await delivery()["next_attempt_at"].string == failedAt.adding(milliseconds: 2_000).rfc3339)
            gateway.clock.advance(seconds: 1)
            try await Task.sleep(for: .milliseconds(200))
            #expect(receiver.requests.count == 1, "not before its time")
            gateway.clock.advance(seconds: 1)
            #expect(try await gateway.eventually { try await delivery()["attempt_count"].int == 2 })
            #expect(try await delivery()["next_attempt_at"].string == failedAt.adding(milliseconds: 6_000).rfc3339)
            gateway.clock.advance(seconds: 4)
            #expect(try await gateway.eventually { try await delivery()["status"].string == "exhausted" })
            #expect(receiver.requests.count == 3)
        }
    }

    /// An endpoint failing without a break for `disable_after_s` is disabled (`failing`); what follows is held.
    @Test(arguments: NotificationBackend.available)
    func anEndpointFailingForLongEnoughIsDisabled(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 500) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(failureThreshold: 1, cooldownSeconds: 1, disableAfterSeconds: 60), postgres: backend.postgresURL) { gateway in
            let (endpointId, _) = try await endpoint(gateway, url: receiver.url, retry: #"{"schedule_s":[10],"max_attempts":20}"#)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"d1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/d1/pick").expect(200)
            let disabled = try await gateway.eventually(seconds: 20) {
                gateway.clock.advance(seconds: 11)
                return try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").json["enabled"].bool == false
            }
            #expect(disabled)
            #expect(try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").json["disabled_reason"].string == "failing")
            try await gateway.api("PUT", "/v1/fulfillments/d1/pack").expect(200)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=held").json["deliveries"].array.count == 2
            })
        }
    }

    /// Delivered deliveries are purged after `retention_s` (30 days by default); exhausted ones stay until
    /// `dead_letter_retention_s` (60 days here; `StatsTests` shows them purged after it).
    @Test(arguments: NotificationBackend.available)
    func deliveredDeliveriesArePurgedAfterTheirRetention(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { request in
            request.body.count > 0 && String(decoding: request.body, as: UTF8.self).contains(#""status":"PACKING""#) ? .respond(status: 200) : .respond(status: 400)
        }
        defer { Task { await receiver.stop() } }
        var config = Self.config()
        config.deadLetterRetentionSeconds = 60 * 86_400
        try await TestGateway.run(config: config, postgres: backend.postgresURL) { gateway in
            _ = try await endpoint(gateway, url: receiver.url)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"p1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/p1/pick").expect(200)
            try await gateway.api("PUT", "/v1/fulfillments/p1/pack").expect(200)
            let settled = try await gateway.eventually {
                let all = try await gateway.api("GET", "/v1/deliveries").json["deliveries"].array.map { $0["status"].string ?? "" }
                return all.sorted() == ["delivered", "exhausted"]
            }
            let seen = try await gateway.api("GET", "/v1/deliveries").text
            #expect(settled, "\(seen)")
            gateway.clock.advance(seconds: 31 * 86_400)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries").json["deliveries"].array.map { $0["status"].string ?? "" } == ["exhausted"]
            })
        }
    }

    /// One endpoint's backlog does not hold up another's deliveries: candidates are taken round-robin across
    /// endpoints. A silent receiver (every attempt times out) with 60 due deliveries, and another endpoint's
    /// one delivery arrives at once; taken oldest first, it would wait behind dozens of timeouts.
    @Test(arguments: NotificationBackend.available)
    func aSlowEndpointsBacklogDoesNotHoldUpAnother(backend: NotificationBackend) async throws {
        let slow = try await LoopbackReceiver.start { _ in .silent }
        // How many attempts the slow endpoint had seen when the other endpoint's delivery arrived, read at that
        // moment (not when the test next looks: on a loaded machine the slow attempts go on meanwhile).
        let slowAtArrival = NIOLockedValueBox<Int?>(nil)
        let fast = try await LoopbackReceiver.start { _ in
            let count = slow.requests.count
            slowAtArrival.withLockedValue { if $0 == nil { $0 = count } }
            return .respond(status: 200)
        }
        defer { Task { await slow.stop(); await fast.stop() } }
        var config = Self.config(failureThreshold: 1000)
        config.notifications.worker.concurrency = 4
        config.notifications.worker.perEndpointConcurrency = 2
        try await TestGateway.run(config: config, postgres: backend.postgresURL) { gateway in
            _ = try await endpoint(gateway, url: slow.url, types: #"["fulfillment.status_changed"]"#)
            _ = try await endpoint(gateway, url: fast.url, types: #"["delivery.exception"]"#)
            for index in 0..<60 {
                try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"s\#(index)"}"#).expect(201)
                try await gateway.api("PUT", "/v1/fulfillments/s\(index)/pick").expect(200)
            }
            // The other endpoint's delivery is the newest of all: oldest-first, it would come last.
            gateway.clock.advance(seconds: 1)
            try await gateway.shippedFulfillment(id: "x1", trackingNumber: "TN-X1")
            try await gateway.callback(#"{"event_id":"x1-1","tracking_number":"TN-X1","status":"in_transit"}"#).expect(200)
            let slowBefore = slow.requests.count
            try await gateway.api("PUT", "/v1/fulfillments/x1/exception", json: #"{"reason":"Damaged"}"#).expect(200)
            #expect(try await gateway.eventually(seconds: 10) { !fast.requests.isEmpty })
            // Every slow attempt times out after 2 s, two at a time: behind the backlog (oldest first) the delivery
            // would wait for all of it (dozens of attempts); taken round-robin it goes at the next claim.
            let waitedBehind = (slowAtArrival.withLockedValue { $0 } ?? .max) - slowBefore
            #expect(waitedBehind < 10, "the other endpoint's delivery waited behind \(waitedBehind) slow attempts (backlog \(60 - slowBefore) left)")
        }
    }

    /// During a rotation's grace each delivery carries both signatures; a receiver with either secret verifies it.
    @Test(arguments: NotificationBackend.available)
    func rotationSignsWithBothSecretsDuringTheGrace(backend: NotificationBackend) async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 200) }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let (endpointId, old) = try await endpoint(gateway, url: receiver.url)
            let rotated = try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/rotate-secret", json: #"{"grace_s":3600}"#).expect(200)
            let new = try #require(rotated["secret"].string)
            #expect(new != old)
            try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/test").expect(200)
            let request = try #require(receiver.requests.last)
            #expect(request.header("webhook-signature")?.split(separator: " ").count == 2)
            #expect(Self.decode(request, secrets: [old], now: gateway.clock.now()).verified)
            #expect(Self.decode(request, secrets: [new], now: gateway.clock.now()).verified)
            // After the grace, only the new secret signs.
            gateway.clock.advance(seconds: 3601)
            try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/test").expect(200)
            let later = try #require(receiver.requests.last)
            #expect(later.header("webhook-signature")?.split(separator: " ").count == 1)
            #expect(!Self.decode(later, secrets: [old], now: gateway.clock.now()).verified)
            #expect(Self.decode(later, secrets: [new], now: gateway.clock.now()).verified)
            // The secret is never shown again.
            #expect(try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)").expect(200)["secret"].isNull)
        }
    }

    /// retry-now sends at once (a manual attempt), recover brings exhausted deliveries back, and another
    /// tenant sees none of it.
    @Test(arguments: NotificationBackend.available)
    func retryNowRecoverAndTenantIsolation(backend: NotificationBackend) async throws {
        let status = NIOLockedValueBox(400)
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: status.withLockedValue { $0 }, body: "nope") }
        defer { Task { await receiver.stop() } }
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let (endpointId, _) = try await endpoint(gateway, url: receiver.url)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"f1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/f1/pick").expect(200)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=exhausted").json["deliveries"].array.count == 1
            })
            let deliveryId = try await gateway.api("GET", "/v1/deliveries?status=exhausted").json["deliveries"][0]["id"].string ?? ""
            let failed = try await gateway.api("GET", "/v1/deliveries/\(deliveryId)").expect(200)
            #expect(failed["attempts"][0]["status_code"].int == 400 && failed["attempts"][0]["response_excerpt"].string == "nope")
            // Another tenant: not found, not listed.
            try await gateway.api("GET", "/v1/deliveries/\(deliveryId)", key: TestGateway.otherApiKey).expectError(404, "not_found")
            try await gateway.api("GET", "/v1/webhook-endpoints/\(endpointId)", key: TestGateway.otherApiKey).expectError(404, "not_found")
            #expect(try await gateway.api("GET", "/v1/deliveries", key: TestGateway.otherApiKey).expect(200)["deliveries"].array.isEmpty)
            try await gateway.api("POST", "/v1/deliveries/\(deliveryId)/retry", key: TestGateway.otherApiKey).expectError(404, "not_found")

            status.withLockedValue { $0 = 200 }
            let retried = try await gateway.api("POST", "/v1/deliveries/\(deliveryId)/retry").expect(200)
            #expect(retried["status"].string == "delivered" && retried["attempts"][1]["trigger"].string == "manual")
            // Exhaust another one, then recover it by time window.
            status.withLockedValue { $0 = 404 }
            try await gateway.api("PUT", "/v1/fulfillments/f1/pack").expect(200)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=exhausted").json["deliveries"].array.count == 1
            })
            status.withLockedValue { $0 = 200 }
            let recovered = try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/recover", json: #"{"since":"2020-01-01T00:00:00Z"}"#).expect(200)
            #expect(recovered["recovered"].int == 1)
            let redelivered = try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=delivered").json["deliveries"].array.count == 2
            }
            let all = try await gateway.api("GET", "/v1/deliveries").text
            #expect(redelivered, "\(all)")
            try await gateway.api("POST", "/v1/webhook-endpoints/\(endpointId)/recover", json: #"{"since":"yesterday"}"#).expectError(400, "bad_request")
        }
    }

    /// Endpoint URLs are checked: https only unless allowed, and no loopback, private or metadata address
    /// unless `allowed_networks` opens it; unknown event types are refused.
    @Test func endpointURLsAndTypesAreValidated() async throws {
        var config = TestGateway.defaultConfig()
        config.notifications.allowHTTP = false
        try await TestGateway.run(config: config) { gateway in
            for url in ["http://example.com/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest", "https://[::1]/x",
                        "https://10.0.0.5/x", "https://localhost/x", "https://user:pw@example.com/x", "ftp://example.com"] {
                try await gateway.api("POST", "/v1/webhook-endpoints", json: #"{"url":"\#(url)"}"#).expectError(400, "bad_request")
            }
            try await gateway.api("POST", "/v1/webhook-endpoints", json: #"{"url":"https://example.com/x","event_types":["nope"]}"#).expectError(400, "bad_request")
            let created = try await gateway.api("POST", "/v1/webhook-endpoints", json: #"{"url":"https://example.com/x","event_types":["delivery.exception"]}"#).expect(201)
            #expect(created["event_types"].array.map { $0.string ?? "" } == ["delivery.exception"])
            try await gateway.api("PUT", "/v1/webhook-endpoints/\(created["id"].string ?? "")/retry-config", json: #"{"max_attempts":50}"#).expectError(400, "bad_request")
            let config = try await gateway.api("GET", "/v1/webhook-endpoints/\(created["id"].string ?? "")/retry-config").expect(200)
            #expect(config["schedule_s"].array.count == 7)
        }
    }
}
