import Foundation
import ParcelGateCarriers
import ParcelGateCore
@testable import ParcelGateServer
import ServiceLifecycle
import Testing

/// `AsyncHTTPWebhookSender` against real receivers on loopback: what each answer becomes, and what the
/// sender refuses to do (follow a redirect, read a whole body, wait past its timeout, reach a refused address).
@Suite(.timeLimit(.minutes(2))) struct WebhookSenderTests {
    static let now = Timestamp(seconds: 1_800_000_000)

    /// A sender allowed to reach loopback (as the tests' receivers are), with the given timeouts.
    static func sender(allowedNetworks: [String] = ["127.0.0.0/8"], connectTimeoutMilliseconds: Int = 5_000,
                       timeoutMilliseconds: Int = 15_000) throws -> AsyncHTTPWebhookSender {
        var config = NotificationsConfig()
        config.allowedNetworks = allowedNetworks
        config.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        config.timeoutMilliseconds = timeoutMilliseconds
        return try AsyncHTTPWebhookSender(config: try config.validated())
    }

    /// Runs `body` with a receiver and a sender, and always stops both.
    static func withReceiver<T: Sendable>(
        sender: AsyncHTTPWebhookSender? = nil, _ behaviour: @escaping @Sendable (LoopbackReceiver.Received) -> LoopbackReceiver.Behaviour,
        _ body: (LoopbackReceiver, AsyncHTTPWebhookSender) async throws -> T
    ) async throws -> T {
        let receiver = try await LoopbackReceiver.start(behaviour)
        let sender = try sender ?? Self.sender()
        do {
            let result = try await body(receiver, sender)
            try await sender.close()
            await receiver.stop()
            return result
        } catch {
            try? await sender.close()
            await receiver.stop()
            throw error
        }
    }

    static func post(_ url: String, headers: [(String, String)] = []) -> OutboundRequest {
        OutboundRequest(url: url, headers: headers, body: Data(#"{"type":"ping"}"#.utf8))
    }

    // MARK: Answers

    /// Each row: the receiver's answer, the AttemptResult the sender reports, and the classifier's outcome.
    static let answers: [(status: Int, retryAfter: String?, outcome: DeliveryOutcome)] = [
        (200, nil, .success),
        (204, nil, .success),
        (400, nil, .permanent(disablesEndpoint: false)),
        (404, nil, .permanent(disablesEndpoint: false)),
        (408, nil, .transient(retryAfterMilliseconds: nil)),
        (410, nil, .permanent(disablesEndpoint: true)),
        (429, nil, .transient(retryAfterMilliseconds: nil)),
        (429, "7", .transient(retryAfterMilliseconds: 7_000)),
        (500, nil, .transient(retryAfterMilliseconds: nil)),
        (503, nil, .transient(retryAfterMilliseconds: nil)),
        (503, "120", .transient(retryAfterMilliseconds: 120_000)),
    ]

    @Test(arguments: answers.indices) func answerBecomesResultAndOutcome(_ index: Int) async throws {
        let (status, retryAfter, outcome) = Self.answers[index]
        let body = status == 204 ? "" : "answer \(status)"
        try await Self.withReceiver({ _ in
            .respond(status: status, headers: retryAfter.map { [("Retry-After", $0)] } ?? [], body: body)
        }) { receiver, sender in
            let report = await sender.send(Self.post(receiver.url + "/hooks"))
            #expect(report.result == .response(status: status, retryAfter: retryAfter))
            #expect(report.statusCode == status)
            #expect(report.responseExcerpt == (body.isEmpty ? nil : body))
            #expect(report.error == nil)
            #expect(report.durationMilliseconds >= 0)
            #expect(DeliveryClassifier().classify(report.result, now: Self.now) == outcome)
            #expect(receiver.requests.count == 1)
        }
    }

    /// A 301 is an answer, not an instruction: the Location's server never hears from us.
    @Test func redirectIsNotFollowed() async throws {
        let target = try await LoopbackReceiver.start { _ in .respond(status: 204) }
        defer { Task { await target.stop() } }
        try await Self.withReceiver({ _ in .respond(status: 301, headers: [("Location", target.url + "/moved")]) }) { receiver, sender in
            let report = await sender.send(Self.post(receiver.url + "/old"))
            #expect(report.result == .response(status: 301, retryAfter: nil))
            #expect(DeliveryClassifier().classify(report.result, now: Self.now) == .permanent(disablesEndpoint: false))
            #expect(receiver.requests.count == 1)
        }
        // The target answers when asked directly, so "nothing arrived" is not just a dead target.
        let direct = try Self.sender()
        let probe = await direct.send(Self.post(target.url + "/moved"))
        try await direct.close()
        #expect(probe.result == .response(status: 204, retryAfter: nil))
        #expect(target.requests.map(\.uri) == ["/moved"])
    }

    // MARK: The request

    @Test func requestCarriesWebhookHeadersAndNoAcceptEncoding() async throws {
        let secret = WebhookSecret.generate()
        let body = Data(#"{"type":"ping","id":"evt_1","timestamp":"2027-01-15T08:00:00.000Z","data":{}}"#.utf8)
        let signed = try WebhookSigner(secrets: [secret]).headers(messageId: "msg_sender_1", timestamp: Self.now, body: body)
        try await Self.withReceiver({ _ in .respond(status: 204) }) { receiver, sender in
            // A caller's own accept-encoding or user-agent is dropped: the sender's are the only ones.
            let headers = signed + [("Accept-Encoding", "gzip"), ("User-Agent", "spoof")]
            let report = await sender.send(OutboundRequest(url: receiver.url + "/in?x=1", headers: headers, body: body))
            #expect(report.result == .response(status: 204, retryAfter: nil))
            let request = try #require(receiver.requests.first)
            #expect(request.method == "POST")
            #expect(request.uri == "/in?x=1")
            #expect(request.body == Array(body))
            #expect(request.header("user-agent") == "ParcelGate/\(ParcelGateVersion.current)")
            #expect(request.headers.filter { $0.0.lowercased() == "user-agent" }.count == 1)
            #expect(request.header("content-type") == "application/json")
            #expect(request.header("accept-encoding") == nil)
            #expect(request.header("webhook-id") == "msg_sender_1")
            #expect(request.header("webhook-timestamp") == String(Self.now.seconds))
            // What arrived verifies with the inbound Standard Webhooks verifier.
            let verifier = try SignatureVerifier(settings: SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature"), secrets: [secret])
            #expect(throws: Never.self) { try verifier.verify(body: Data(request.body), headers: HeaderList(request.headers), now: Self.now) }
        }
    }

    @Test func endpointURLBecomesTheRequestTarget() throws {
        let policy = EndpointURLPolicy(addresses: try AddressPolicy(allowedNetworks: ["127.0.0.0/8"]), allowHTTP: true)
        let plain = OutboundRequest(endpoint: try policy.validate("http://127.0.0.1:9000/hooks?a=1"), headers: [], body: Data())
        #expect(plain.url == "http://127.0.0.1:9000/hooks?a=1")
        let v6 = OutboundRequest(endpoint: try policy.validate("https://[2606:4700::1111]/"), headers: [], body: Data())
        #expect(v6.url == "https://[2606:4700::1111]:443/")
    }

    // MARK: Failures

    @Test func silentReceiverTimesOutWithinTheTimeout() async throws {
        let sender = try Self.sender(connectTimeoutMilliseconds: 200, timeoutMilliseconds: 500)
        try await Self.withReceiver(sender: sender, { _ in .silent }) { receiver, sender in
            let report = await sender.send(Self.post(receiver.url + "/slow"))
            #expect(report.result == .timeout)
            #expect(report.statusCode == nil)
            #expect(report.error != nil)
            // Not before the 500 ms timeout; and it does end (the bound is loose on purpose: this machine's speed
            // varies, and a wait without a timeout would run into the suite's time limit).
            #expect(report.durationMilliseconds >= 450 && report.durationMilliseconds < 20_000, "\(report.durationMilliseconds) ms")
            #expect(receiver.requests.count == 1)
            #expect(DeliveryClassifier().classify(report.result, now: Self.now) == .transient(retryAfterMilliseconds: nil))
        }
    }

    @Test func closedPortIsConnectionFailed() async throws {
        let port = try await LoopbackReceiver.closedPort()
        let sender = try Self.sender()
        let report = await sender.send(Self.post("http://127.0.0.1:\(port)/"))
        try await sender.close()
        #expect(report.result == .connectionFailed)
        #expect(report.error == "connection failed: connection refused")
        #expect(DeliveryClassifier().classify(report.result, now: Self.now) == .transient(retryAfterMilliseconds: nil))
    }

    /// `https://` to a receiver that speaks plain HTTP: the handshake fails, and no request is received.
    @Test func handshakeWithAPlainHTTPServerIsTLSFailed() async throws {
        try await Self.withReceiver({ _ in .respond(status: 204) }) { receiver, sender in
            let report = await sender.send(Self.post("https://127.0.0.1:\(receiver.port)/"))
            #expect(report.result == .tlsFailed, "\(report)")
            #expect(report.statusCode == nil)
            #expect(receiver.requests.isEmpty)
            #expect(DeliveryClassifier().classify(report.result, now: Self.now) == .transient(retryAfterMilliseconds: nil))
        }
    }

    /// 64 MiB offered; the sender keeps 4 KiB, closes the connection, and the excerpt stops before the
    /// three-byte character that straddles byte 1,024.
    @Test func streamingReceiverIsCutOff() async throws {
        let prefix = Array(String(repeating: "a", count: 1_023).utf8)
        let filler = Array(String(repeating: "€", count: 5_461).utf8)
        let total = 64 << 20
        try await Self.withReceiver({ _ in .stream(prefix: prefix, filler: filler, totalBytes: total) }) { receiver, sender in
            let report = await sender.send(Self.post(receiver.url + "/firehose"))
            #expect(report.result == .response(status: 200, retryAfter: nil))
            let excerpt = try #require(report.responseExcerpt)
            #expect(excerpt == String(repeating: "a", count: 1_023))
            #expect(excerpt.utf8.count <= ResponseExcerpt.maxBytes)
            #expect(report.error == nil)
            // The receiver's writes fail once the sender hangs up, long before 64 MiB.
            var stream = receiver.stream
            for _ in 0..<100 where !stream.failed {
                try await Task.sleep(for: .milliseconds(20))
                stream = receiver.stream
            }
            #expect(stream.failed)
            #expect(!stream.completed)
            #expect(stream.bytes < total / 4, "\(stream.bytes) bytes streamed")
        }
    }

    // MARK: SSRF at connect time

    /// Names that resolve to 127.x: `localhost`, and this machine's own name when /etc/hosts maps it there (as
    /// Debian's 127.0.1.1 line does).
    static let loopbackNames: [String] = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return ["localhost"] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ""
        let mapped = hosts.split(separator: "\n").contains { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.first?.hasPrefix("127.") == true && fields.dropFirst().contains { $0 == name }
        }
        return mapped && name != "localhost" && !name.isEmpty ? ["localhost", name] : ["localhost"]
    }()

    /// A name handed straight to the sender (past the URL policy): refused at connect with a strict policy,
    /// delivered with loopback allowed, so the refusal is the policy's doing.
    @Test(arguments: loopbackNames) func hostnameResolvingToLoopbackIsRefusedAtConnect(_ name: String) async throws {
        try await Self.withReceiver({ _ in .respond(status: 204) }) { receiver, allowed in
            let url = "http://\(name):\(receiver.port)/hook"
            let delivered = await allowed.send(Self.post(url))
            #expect(delivered.result == .response(status: 204, retryAfter: nil))
            #expect(receiver.requests.count == 1)

            let strict = try Self.sender(allowedNetworks: [])
            let refused = await strict.send(Self.post(url))
            try await strict.close()
            #expect(refused.result == .addressRefused)
            #expect(refused.statusCode == nil)
            #expect(refused.error?.contains("loopback") == true)
            #expect(refused.error?.contains("127.0.0.1") == false)
            #expect(DeliveryClassifier().classify(refused.result, now: Self.now) == .permanent(disablesEndpoint: false))
            #expect(receiver.requests.count == 1)
        }
    }

    // MARK: Lifecycle

    /// As a Service: runs until graceful shutdown, then the client is shut down and later sends fail cleanly.
    @Test func runsAsAServiceUntilGracefulShutdown() async throws {
        let sender = try Self.sender()
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 200) }
        let group = ServiceGroup(configuration: .init(services: [sender], logger: .init(label: "sender-test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let report = await sender.send(Self.post(receiver.url))
            #expect(report.result == .response(status: 200, retryAfter: nil))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let after = await sender.send(Self.post(receiver.url))
        #expect(after.result == .connectionFailed)
        #expect(after.error == "the sender is shut down")
        try await sender.close()  // idempotent
        #expect(receiver.requests.count == 1)
        await receiver.stop()
    }
}
