import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Issue 13: no request crashes, wedges or poisons the gateway. Each test fails without its fix.
@Suite(.timeLimit(.minutes(2))) struct HardeningTests {
    static let webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The crash of the issue, against a real `parcelgate serve`: one unauthenticated request with an extreme
    /// timestamp used to trap the process. Now each is a 401 and the process keeps serving.
    @Test func extremeSignatureTimestampsDoNotStopTheProcess() async throws {
        let config = """
            {"tenants": [{"slug": "demo", "api_keys": ["\(TestGateway.apiKey)"], "sources": [
                {"carrier": "shippo", "secrets": ["shippo-secret"]},
                {"carrier": "generic", "scheme": "standard-webhooks", "secrets": ["\(Self.webhookSecret)"]}]}]}
            """
        let (_, configPath, database) = try GatewayProcess.workspace("overflow", config: config)
        let server = try await GatewayProcess.start(config: configPath, database: database)
        defer { server.terminate() }
        let zeros = String(repeating: "0", count: 64)
        let body = Array(#"{"test":1}"#.utf8)
        for timestamp in ["-9223372036854775808", "9223372036854775807", "99999999999999999999999"] {
            let shippo = try await server.request("POST", "/v1/hooks/demo/shippo", headers: [("Shippo-Auth-Signature", "t=\(timestamp),v1=\(zeros)")], body: body)
            #expect(shippo.status == 401, "\(shippo.text)")
            let webhooks = try await server.request("POST", "/v1/hooks/demo/generic", headers: [
                ("webhook-id", "msg_1"), ("webhook-timestamp", timestamp), ("webhook-signature", "v1," + ByteEncoding.base64([UInt8](repeating: 0, count: 32))),
            ], body: body)
            #expect(webhooks.status == 401, "\(webhooks.text)")
        }
        #expect(server.process.isRunning)
        #expect(try await server.request("GET", "/healthz").status == 200)
    }

    /// Forged callbacks spend their own budget (per source and client address), never the tenant's: a flood of
    /// them gets 429 while the real carrier, at another address, is never limited.
    @Test func forgedTrafficCannotSpendATenantsRateLimit() async throws {
        var config = TestGateway.defaultConfig()
        config.tenants[0].rateLimit = RateLimitConfig(perSecond: 1, burst: 5)
        config.server.trustedProxies = ["127.0.0.1/32"]
        config.ingress.unverifiedRateLimit = RateLimitConfig(perSecond: 0.01, burst: 3)
        try await TestGateway.run(config: config) { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "RL-1")
            let body = Array(#"{"tracking_number":"RL-1","status":"in_transit"}"#.utf8)
            let forged = [("X-Carrier-Signature", "sha256=" + String(repeating: "ab", count: 32)), ("X-Forwarded-For", "203.0.113.7")]
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: forged, body: body).status) }
            #expect(statuses.prefix(3).allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses.dropFirst(3).allSatisfy { $0 == 429 }, "\(statuses)")
            // The real carrier, at its own address, is served: the forgeries did not touch the tenant's bucket.
            for index in 0..<5 {
                let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
                let real = Array(#"{"tracking_number":"RL-1","status":"in_transit","event_id":"real-\#(index)"}"#.utf8)
                let headers = try signer.headers(for: Data(real), now: gateway.clock.now()) + [("X-Forwarded-For", "198.51.100.1")]
                try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: headers, body: real).expect(200)
            }
            // Verified callbacks do spend the tenant's bucket (burst 5).
            try await gateway.callback(#"{"tracking_number":"RL-1","status":"in_transit","event_id":"real-6"}"#).expectError(429, "rate_limited")
        }
    }

    /// `X-Forwarded-For` counts only from a trusted proxy: without one, a forger cannot pose as many clients.
    @Test func forwardedForIsIgnoredFromUntrustedPeers() async throws {
        var config = TestGateway.defaultConfig()
        config.ingress.unverifiedRateLimit = RateLimitConfig(perSecond: 0.01, burst: 2)
        try await TestGateway.run(config: config) { gateway in
            let body = Array(#"{"tracking_number":"X","status":"in_transit"}"#.utf8)
            var statuses: [Int] = []
            for index in 0..<6 {
                let headers = [("X-Carrier-Signature", "sha256=" + String(repeating: "cd", count: 32)), ("X-Forwarded-For", "192.0.2.\(index)")]
                statuses.append(try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: headers, body: body).status)
            }
            #expect(statuses == [401, 401, 429, 429, 429, 429])
        }
    }

    /// A body sent a byte at a time is cut off at the request deadline; an idle connection at the idle timeout.
    @Test func slowRequestsAndIdleConnectionsAreCutOff() async throws {
        var config = TestGateway.defaultConfig()
        config.server.requestTimeoutSeconds = 1
        config.server.idleTimeoutSeconds = 2
        try await TestGateway.run(config: config) { gateway in
            let slow = try RawSocket(port: gateway.port)
            slow.send("POST /v1/hooks/shopstream/generic HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            let started = ContinuousClock.now
            var closed = false
            // One byte every 200 ms: it never goes idle, but the deadline ends it.
            while ContinuousClock.now - started < .seconds(5) {
                if !slow.send("a") { closed = true; break }
                if await slow.read(timeout: .milliseconds(200)).closed { closed = true; break }
            }
            #expect(closed, "a trickled body held the connection for 5 s")
            #expect(ContinuousClock.now - started < .seconds(3))

            // A trickled head is cut off the same way.
            let head = try RawSocket(port: gateway.port)
            var headClosed = false
            for byte in "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                guard head.send(String(byte)) else { headClosed = true; break }
                if await head.read(timeout: .milliseconds(150)).closed { headClosed = true; break }
            }
            #expect(headClosed)

            // An idle keep-alive connection is closed after the idle timeout, not before a request is answered.
            let idle = try RawSocket(port: gateway.port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await idle.read(timeout: .seconds(2), until: "\r\n\r\n")
            #expect(answer.text.hasPrefix("HTTP/1.1 200"), "closed: \(answer.closed)")
            #expect(await idle.read(timeout: .seconds(4)).closed)
        }
    }

    /// Past `max_concurrent_ingress`, `503 overloaded` with `Retry-After`, before the body is read; the held
    /// requests still complete.
    @Test func concurrentIngressIsCappedWith503() async throws {
        var config = TestGateway.defaultConfig()
        config.server.maxConcurrentIngress = 2
        try await TestGateway.run(config: config) { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "CAP-1")
            let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
            var held: [(RawSocket, [UInt8])] = []
            for index in 0..<2 {
                let body = Array(#"{"tracking_number":"CAP-1","status":"in_transit","event_id":"cap-\#(index)"}"#.utf8)
                let headers = try signer.headers(for: Data(body), now: gateway.clock.now())
                let socket = try RawSocket(port: gateway.port)
                socket.send("POST /v1/hooks/shopstream/generic HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n"
                            + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n" + String(decoding: body.prefix(5), as: UTF8.self))
                held.append((socket, body))
            }
            try await Task.sleep(for: .milliseconds(300))
            let refused = try await gateway.callback(#"{"tracking_number":"CAP-1","status":"in_transit","event_id":"cap-x"}"#)
            refused.expectError(503, "overloaded")
            #expect(refused.header("Retry-After") == "1")
            for (socket, body) in held {
                socket.send(String(decoding: body.dropFirst(5), as: UTF8.self))
                #expect(await socket.read(timeout: .seconds(5), until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
            }
            // With the places free again the refused callback goes through: nothing was lost, only deferred.
            try await gateway.callback(#"{"tracking_number":"CAP-1","status":"in_transit","event_id":"cap-x"}"#).expect(200)
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.count == 3)
        }
    }

    /// An event dated past the skew is `invalid_payload` naming the field, and does not freeze the status.
    @Test func eventsFromTheFutureAreRejected() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "FUT-1")
            let error = try await gateway.callback(#"{"tracking_number":"FUT-1","status":"in_transit","occurred_at":"9999-12-31T00:00:00Z"}"#)
                .expectError(400, "invalid_payload")
            #expect(error["detail"].string?.contains("occurred_at") == true, "\(error)")
            // Within the skew (an hour ahead: a carrier's clock may run fast) it is accepted.
            let soon = gateway.clock.now().adding(milliseconds: 3_600_000).rfc3339
            try await gateway.callback(#"{"tracking_number":"FUT-1","status":"in_transit","occurred_at":"\#(soon)"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"FUT-1","status":"delivered","occurred_at":"\#(gateway.clock.now().adding(milliseconds: 3_700_000).rfc3339)"}"#)
                .expect(200)
            #expect(try await gateway.fulfillment("f")["status"].string == "DELIVERED")
        }
    }

    /// A callback carrying more events than `ingress.max_events_per_callback` is refused before any is applied.
    @Test func callbacksCarryAtMostTheConfiguredNumberOfEvents() async throws {
        var config = TestGateway.defaultConfig()
        config.tenants[0].sources.append(SourceConfig(carrier: "aftership", secrets: ["aftership-secret"]))
        config.ingress.maxEventsPerCallback = 3
        try await TestGateway.run(config: config) { gateway in
            let checkpoints = (0..<4).map { #"{"checkpoint_time":"2026-11-2\#($0)T10:00:00Z","tag":"InTransit","subtag":"InTransit_001","message":"m"}"# }
            let body = Array(#"{"event_id":"e1","msg":{"tracking_number":"AS-1","checkpoints":[\#(checkpoints.joined(separator: ","))]}}"#.utf8)
            let adapter = try #require(CarrierRegistry.standard.adapter(for: "aftership"))
            let signer = try SignatureSigner(settings: adapter.defaultSignature, secret: "aftership-secret")
            let response = try await gateway.request("POST", "/v1/hooks/shopstream/aftership", headers: signer.headers(for: Data(body), now: gateway.clock.now()), body: body)
            let error = response.expectError(400, "invalid_payload")
            #expect(error["detail"].string?.contains("at most 3") == true, "\(response.text)")
        }
    }

    /// A NUL in a platform API body is refused the same way on every backend (PostgreSQL cannot store it).
    @Test func platformBodiesWithNULAreRefused() async throws {
        try await TestGateway.run { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o\u0000","id":"nul-1"}"#).expectError(400, "bad_request")
            try await gateway.api("GET", "/v1/fulfillments/nul-1").expectError(404, "not_found")
        }
    }

    /// `/readyz` reads the monitor's state: a thousand probes do not put a thousand jobs on the writer.
    @Test func readinessProbesDoNotQueueStoreWork() async throws {
        var config = TestGateway.defaultConfig()
        config.worker.pollIntervalMilliseconds = 600_000 // the retry worker's claims are writer jobs too
        config.notifications.worker.pollIntervalMilliseconds = 600_000 // and the delivery worker's
        // The monitor's own checks go through the writer too: one a minute, so a slow machine's probes
        // (300 of them) do not overlap several.
        try await TestGateway.run(config: config, readinessInterval: .seconds(60)) { gateway in
            func commits() async throws -> Int {
                let text = try await gateway.request("GET", "/metrics").text
                let line = text.split(separator: "\n").first { $0.hasPrefix("parcelgate_commit_batch_size_count") }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            let before = try await commits()
            for _ in 0..<300 {
                let probe = try await gateway.request("GET", "/readyz")
                #expect(probe.status == 200, "\(probe.text)")
            }
            let after = try await commits()
            #expect(after - before < 5, "\(after - before) commits for 300 probes")
        }
    }
}

/// Operator-facing hardening: safe defaults, the metrics listener, the directory, and config bounds.
@Suite(.timeLimit(.minutes(2))) struct OperatorHardeningTests {
    /// `parcelgate serve` on a public address with the demo config (whose secrets are published) refuses to
    /// start and says why; naming a config, or staying on loopback, starts.
    @Test func theDemoConfigIsRefusedBeyondLoopback() async throws {
        let (_, configPath, database) = try GatewayProcess.workspace("public", config: CrashRecoveryTests.config)
        let refused = try await GatewayProcess.runCLI(["serve", "--host", "0.0.0.0", "--port", "0", "--database", database], unset: ["PARCELGATE_CONFIG"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("demo config"), "\(refused.output)")
        let named = try await GatewayProcess.start(config: configPath, database: database, arguments: ["--host", "0.0.0.0"])
        #expect(try await named.request("GET", "/healthz").status == 200)
        named.terminate()
    }

    /// With `metrics.listen`, `/metrics` is served there and not on the public listener.
    @Test func metricsCanHaveTheirOwnListener() async throws {
        let config = """
            {"tenants": [{"slug": "shopstream", "api_keys": ["\(TestGateway.apiKey)"],
                          "sources": [{"carrier": "generic", "secrets": ["\(TestGateway.secret)"]}]}],
             "metrics": {"listen": "127.0.0.1:0"}}
            """
        let (_, configPath, database) = try GatewayProcess.workspace("metrics", config: config)
        let server = try await GatewayProcess.start(config: configPath, database: database, expectMetricsListener: true)
        defer { server.terminate() }
        let metricsPort = try #require(server.metricsPort)
        #expect(try await server.request("GET", "/metrics").status == 404)
        let scraped = try await server.request("GET", "/metrics", port: metricsPort)
        #expect(scraped.status == 200)
        #expect(scraped.text.contains("parcelgate_retry_queue_depth"))
        #expect(try await server.request("GET", "/readyz").status == 200)
    }

    /// A source change the directory could not load is refused whole, and the database keeps the old source;
    /// a generated Standard Webhooks secret is `whsec_` and 32 base64 bytes.
    @Test func operatorChangesCannotPoisonTheDirectory() async throws {
        try await TestGateway.run { gateway in
            // The generic source's stored secret is not base64: switching it to standard-webhooks alone is refused.
            let refused = try await gateway.admin("PUT", "/tenants/shopstream/sources/generic", json: #"{"scheme":"standard-webhooks"}"#)
                .expectError(400, "bad_request")
            #expect(refused["detail"].string?.contains("stored secrets") == true, "\(refused)")
            let view = try await gateway.admin("GET", "/tenants/shopstream").expect(200)
            #expect(view["sources"][0]["scheme"].string == "hmac-sha256-hex")
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "DIR-1")
            try await gateway.callback(#"{"tracking_number":"DIR-1","status":"in_transit"}"#).expect(200)
            // A new scheme with a secret that fits it replaces the stored secrets, and the source keeps working.
            let switched = try await gateway.admin("PUT", "/tenants/shopstream/sources/generic",
                                                   json: #"{"scheme":"standard-webhooks","secret":"\#(HardeningTests.webhookSecret)"}"#).expect(200)
            #expect(switched["source"]["secrets"].array.count == 1)
            #expect(switched["source"]["scheme"].string == "standard-webhooks")

            try await gateway.admin("POST", "/tenants", json: #"{"slug":"swco"}"#).expect(201)
            let created = try await gateway.admin("PUT", "/tenants/swco/sources/generic", json: #"{"scheme":"standard-webhooks"}"#).expect(201)
            let secret = try #require(created["secret"]["secret"].string)
            #expect(secret.hasPrefix("whsec_"))
            #expect(ByteEncoding.fromBase64(String(secret.dropFirst(6)))?.count == 32)
            let rotated = try await gateway.admin("POST", "/tenants/swco/sources/generic/secrets").expect(201)
            #expect(rotated["secret"].string?.hasPrefix("whsec_") == true)
        }
    }

    /// A row the directory cannot use (edited by hand) disables its own source only: the other tenant keeps
    /// working, the metric counts it, and the next start succeeds.
    @Test func anUnloadableRowDisablesOnlyItsSource() async throws {
        let database = TestGateway.temporaryDatabasePath()
        try await TestGateway.run(databasePath: database) { gateway in
            var broken = try #require(try await gateway.store.directory().sources.first { $0.tenant == "other" })
            broken.scheme = "no-such-scheme"
            try await gateway.store.putSource(broken)
            try await gateway.directory.reload()
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "ROW-1")
            try await gateway.callback(#"{"tracking_number":"ROW-1","status":"in_transit"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"X","status":"in_transit"}"#, tenant: "other", secret: "other-generic-secret")
                .expectError(404, "unknown_source")
            let metrics = try await gateway.request("GET", "/metrics").text
            #expect(metrics.contains("parcelgate_directory_disabled_entries 1"), "\(metrics.split(separator: "\n").filter { $0.contains("directory") })")
        }
        // The next start succeeds on the same database.
        let ready = try await TestGateway.run(databasePath: database) { gateway in try await gateway.becomesReady() }
        #expect(ready)
    }

    /// Every bounded setting is checked at load with a message naming the key; a YAML error gives a position
    /// and never the text of the line (which may hold a secret).
    @Test(arguments: [
        ("server: {max_body_bytes: 0}", "server.max_body_bytes"),
        ("server: {request_timeout_s: 100000}", "server.request_timeout_s"),
        ("server: {trusted_proxies: [\"10.0.0.0/99\"]}", "trusted_proxies"),
        ("worker: {lease_s: 99999999999}", "worker.lease_s"),
        ("worker: {poll_interval_ms: 0}", "worker.poll_interval_ms"),
        ("worker: {retention_s: -1}", "worker.retention_s"),
        ("retry: {base_delay_s: 1e300}", "base_delay_s"),
        ("retry: {schedule_s: [5, 1e20]}", "schedule_s"),
        ("ingress: {max_events_per_callback: 0}", "ingress.max_events_per_callback"),
        ("ingress: {unverified_rate_limit: {per_second: 1e-300}}", "per_second"),
        ("metrics: {listen: \"nowhere\"}", "metrics.listen"),
        ("database: {concurrent_groups: 0}", "database.concurrent_groups"),
        ("database: {max_batch: 20000}", "database.max_batch"),
        ("tenants: [{slug: a, rate_limit: {per_second: 1e308}}]", "per_second"),
        ("tenants: [{slug: a, sources: [{carrier: generic, secrets: [s], tolerance_s: 99999999}]}]", "tolerance_s"),
    ])
    func configValuesAreBoundedAtLoad(yaml: String, key: String) {
        #expect {
            _ = try GatewayConfig.parse(yaml)
        } throws: { error in
            (error as? GatewayError)?.detail.contains(key) == true
        }
    }

    @Test func yamlErrorsGiveAPositionNotTheLine() {
        let secret = "s3cr3t-value-that-must-not-leak"
        #expect {
            _ = try GatewayConfig.parse("tenants:\n  - slug: a\n    sources: [{carrier: generic, secrets: [\(secret)]\n  bad: : :")
        } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return detail.contains("line") && !detail.contains(secret)
        }
    }
}
