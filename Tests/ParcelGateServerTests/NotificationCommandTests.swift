import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateClient
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// `parcelgate endpoints` and `parcelgate deliveries` as real processes against a real `parcelgate serve`
/// and a receiver on loopback: what each prints, what it changes, and how it fails.
@Suite(.timeLimit(.minutes(3))) struct NotificationCommandTests {
    static let config = """
        {"tenants": [{"slug": "shopstream", "api_keys": ["\(TestGateway.apiKey)"],
                      "sources": [{"carrier": "generic", "secrets": ["\(TestGateway.secret)"]}]}],
         "notifications": {"allowed_networks": ["127.0.0.0/8"], "allow_http": true, "worker": {"poll_interval_ms": 50}}}
        """

    /// A CLI run against the gateway, with the tenant's key from the environment.
    static func cli(_ arguments: [String], gateway: String, key: String = TestGateway.apiKey) async throws -> (status: Int32, output: String) {
        try await GatewayProcess.runCLI(arguments + ["--gateway", gateway], environment: ["PARCELGATE_API_KEY": key])
    }

    /// The first capture group of `pattern` in `text`.
    static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// Whether `request` carries a valid Standard Webhooks signature made with `secret`.
    static func verifies(_ request: LoopbackReceiver.Received, secret: String) -> Bool {
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        return (try? SignatureVerifier(settings: settings, secrets: [secret])
            .verify(body: Data(request.body), headers: HeaderList(request.headers), now: SystemClock().now())) != nil
    }

    @Test func endpointsAndDeliveriesEndToEnd() async throws {
        let workspace = try GatewayProcess.workspace("notify-cli", config: Self.config)
        let server = try await GatewayProcess.start(config: workspace.config, database: workspace.database)
        defer { server.terminate() }
        let gateway = "http://127.0.0.1:\(server.port)"
        let answer = NIOLockedValueBox(500)
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: answer.withLockedValue { $0 }, body: "receiver says \(answer.withLockedValue { $0 })") }
        let startedAt = SystemClock().now().adding(milliseconds: -1_000).rfc3339

        // add: one line, then the secret and that it is shown only now. A long schedule keeps the worker
        // from retrying on its own while the test looks.
        let added = try await Self.cli(["endpoints", "add", "--url", receiver.url + "/hooks", "--description", "orders",
                                        "--retry-schedule", "3600,7200", "--max-attempts", "3"], gateway: gateway)
        #expect(added.status == 0, "\(added.output)")
        let id = try #require(Self.capture(#"Created endpoint (ep_[0-9a-f]+) for "#, in: added.output), "\(added.output)")
        #expect(added.output.contains("for \(receiver.url)/hooks: enabled, every event type"), "\(added.output)")
        let secret = try #require(Self.capture(#"Signing secret: (whsec_\S+)"#, in: added.output), "\(added.output)")
        #expect(added.output.contains("shown only now"), "\(added.output)")
        let retry = try await server.request("GET", "/v1/webhook-endpoints/\(id)/retry-config", headers: [("Authorization", "Bearer \(TestGateway.apiKey)")]).expect(200)
        #expect(retry["schedule_s"].array.compactMap(\.int) == [3600, 7200] && retry["max_attempts"].int == 3, "the flags reached the API")

        // list and show; the secret is never shown again.
        let listed = try await Self.cli(["endpoints", "list"], gateway: gateway)
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.hasPrefix("ID "), "a table: \(listed.output)")
        let row = try #require(listed.output.split(separator: "\n").first { $0.hasPrefix(id) }, "\(listed.output)")
        #expect(row.contains("\(receiver.url)/hooks") && row.contains("enabled") && row.contains("closed") && row.contains("all") && row.hasSuffix("orders"), "\(row)")
        #expect(listed.output.hasSuffix("1 endpoint\n"), "\(listed.output)")
        let shown = try await Self.cli(["endpoints", "show", id], gateway: gateway)
        #expect(shown.status == 0, "\(shown.output)")
        let shownJSON = try JSON(Array(shown.output.utf8))
        #expect(shownJSON["id"].string == id && shownJSON["description"].string == "orders" && shownJSON["enabled"].bool == true, "\(shown.output)")
        #expect(shown.output.contains("\n  \""), "indented: \(shown.output)")
        #expect(!shown.output.contains("whsec_") && !listed.output.contains("whsec_"))

        // test: a ping the receiver answers 500, signed with the secret add printed.
        let tested = try await Self.cli(["endpoints", "test", id], gateway: gateway)
        #expect(tested.status == 0, "\(tested.output)")
        let delivery = try #require(Self.capture(#"Delivery (\S+) \(ping to "#, in: tested.output), "\(tested.output)")
        #expect(tested.output.contains("failed on attempt 1 (HTTP 500, "), "\(tested.output)")
        #expect(tested.output.contains(", next attempt at "), "\(tested.output)")
        #expect(tested.output.contains("receiver says 500"), "the attempts table shows the excerpt: \(tested.output)")
        #expect(receiver.requests.count == 1)
        #expect(receiver.requests.first.map { Self.verifies($0, secret: secret) } == true, "signed with the printed secret")

        // deliveries list (table) and show (JSON with the attempts).
        let deliveries = try await Self.cli(["deliveries", "list", "--endpoint", id], gateway: gateway)
        #expect(deliveries.status == 0, "\(deliveries.output)")
        let deliveryRow = try #require(deliveries.output.split(separator: "\n").first { $0.hasPrefix(delivery) }, "\(deliveries.output)")
        #expect(deliveryRow.contains("ping") && deliveryRow.contains("failed") && deliveryRow.contains("HTTP 500"), "\(deliveryRow)")
        #expect(deliveries.output.hasSuffix("1 delivery\n"), "\(deliveries.output)")
        let none = try await Self.cli(["deliveries", "list", "--endpoint", id, "--status", "delivered", "--limit", "5"], gateway: gateway)
        #expect(none.status == 0 && none.output.hasSuffix("0 deliveries\n"), "\(none.output)")
        let detail = try await Self.cli(["deliveries", "show", delivery], gateway: gateway)
        #expect(detail.status == 0, "\(detail.output)")
        let detailJSON = try JSON(Array(detail.output.utf8))
        #expect(detailJSON["status"].string == "failed" && detailJSON["attempts"].array.count == 1, "\(detail.output)")
        #expect(detailJSON["attempts"][0]["status_code"].int == 500 && detailJSON["attempts"][0]["trigger"].string == "manual", "\(detail.output)")

        // retry once the receiver is back: delivered, two attempts.
        answer.withLockedValue { $0 = 200 }
        let retried = try await Self.cli(["deliveries", "retry", delivery], gateway: gateway)
        #expect(retried.status == 0, "\(retried.output)")
        #expect(retried.output.contains("Delivery \(delivery) (ping to \(id)): delivered on attempt 2 (HTTP 200, "), "\(retried.output)")
        #expect(retried.output.contains("ATTEMPT") && retried.output.contains("HTTP 500") && retried.output.contains("HTTP 200"), "\(retried.output)")
        let delivered = try await Self.cli(["deliveries", "list", "--endpoint", id, "--status", "delivered"], gateway: gateway)
        #expect(delivered.output.contains(delivery) && delivered.output.hasSuffix("1 delivery\n"), "\(delivered.output)")

        // update, disable, enable.
        let updated = try await Self.cli(["endpoints", "update", id, "--event-type", "delivery.exception", "--event-type", "delivery.confirmed",
                                          "--description", "exceptions"], gateway: gateway)
        #expect(updated.status == 0, "\(updated.output)")
        #expect(updated.output == "Updated endpoint \(id): \(receiver.url)/hooks, enabled, event types delivery.exception, delivery.confirmed\n", "\(updated.output)")
        let everything = try await Self.cli(["endpoints", "update", id, "--all-event-types"], gateway: gateway)
        #expect(everything.output.hasSuffix("enabled, every event type\n"), "\(everything.output)")
        let disabled = try await Self.cli(["endpoints", "disable", id], gateway: gateway)
        #expect(disabled.status == 0 && disabled.output.hasPrefix("Endpoint \(id) disabled (operator)"), "\(disabled.output)")
        #expect(try await Self.cli(["endpoints", "list"], gateway: gateway).output.contains("disabled (operator)"))
        let enabled = try await Self.cli(["endpoints", "enable", id], gateway: gateway)
        #expect(enabled.status == 0 && enabled.output.hasPrefix("Endpoint \(id) enabled"), "\(enabled.output)")
        #expect(try JSON(Array(try await Self.cli(["endpoints", "show", id], gateway: gateway).output.utf8))["enabled"].bool == true)

        // rotate-secret: a new secret, printed once; during the grace both sign the next ping.
        let rotated = try await Self.cli(["endpoints", "rotate-secret", id, "--grace", "600"], gateway: gateway)
        #expect(rotated.status == 0, "\(rotated.output)")
        #expect(rotated.output.hasPrefix("Rotated the signing secret of endpoint \(id): the old secret keeps signing beside it for 600 s\n"), "\(rotated.output)")
        let newSecret = try #require(Self.capture(#"Signing secret: (whsec_\S+)"#, in: rotated.output), "\(rotated.output)")
        #expect(newSecret != secret && rotated.output.contains("shown only now"))
        let pinged = try await Self.cli(["endpoints", "test", id], gateway: gateway)
        #expect(pinged.output.contains("delivered on attempt 1 (HTTP 200, "), "\(pinged.output)")
        let last = try #require(receiver.requests.last)
        #expect(Self.verifies(last, secret: newSecret) && Self.verifies(last, secret: secret), "both secrets sign during the grace period")
        #expect(last.header("webhook-signature")?.split(separator: " ").count == 2)

        // recover: a ping answered 400 is exhausted at once; recovered, the worker delivers it.
        answer.withLockedValue { $0 = 400 }
        let refused = try await Self.cli(["endpoints", "test", id], gateway: gateway)
        let exhausted = try #require(Self.capture(#"Delivery (\S+) \(ping to "#, in: refused.output), "\(refused.output)")
        #expect(refused.output.contains("exhausted after 1 attempt (last: HTTP 400, "), "\(refused.output)")
        answer.withLockedValue { $0 = 200 }
        let recovered = try await Self.cli(["endpoints", "recover", id, "--since", startedAt], gateway: gateway)
        #expect(recovered.status == 0, "\(recovered.output)")
        #expect(recovered.output == "Recovered 1 exhausted delivery of endpoint \(id) created since \(startedAt): pending again, sent in order\n", "\(recovered.output)")
        var status = ""
        for _ in 0..<200 where status != "delivered" {
            status = try JSON(Array(try await Self.cli(["deliveries", "show", exhausted], gateway: gateway).output.utf8))["status"].string ?? ""
            if status != "delivered" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == "delivered", "the worker sends a recovered delivery")
        let future = SystemClock().now().adding(milliseconds: 3_600_000).rfc3339
        let nothing = try await Self.cli(["endpoints", "recover", id, "--since", startedAt, "--until", future], gateway: gateway)
        #expect(nothing.output.hasPrefix("Recovered 0 exhausted deliveries"), "\(nothing.output)")

        // The API's refusals: one line, HTTP status, code and detail, exit status 1.
        let missing = try await Self.cli(["endpoints", "show", "ep_nope"], gateway: gateway)
        #expect(missing.status == 1 && missing.output == "HTTP 404: not_found: Webhook endpoint 'ep_nope' not found\n", "\(missing.output)")
        let noDelivery = try await Self.cli(["deliveries", "retry", "msg_nope"], gateway: gateway)
        #expect(noDelivery.status == 1 && noDelivery.output.hasPrefix("HTTP 404: not_found: "), "\(noDelivery.output)")
        let slashed = try await Self.cli(["deliveries", "show", "../webhook-endpoints"], gateway: gateway)
        #expect(slashed.status == 1 && slashed.output.hasPrefix("HTTP 404: not_found: "), "an id is one path segment: \(slashed.output)")
        let badType = try await Self.cli(["endpoints", "add", "--url", receiver.url, "--event-type", "parcel.teleported"], gateway: gateway)
        #expect(badType.status == 1 && badType.output.hasPrefix("HTTP 400: bad_request: event_types: unknown type 'parcel.teleported'"), "\(badType.output)")
        let wrongKey = try await Self.cli(["deliveries", "list"], gateway: gateway, key: "not-a-key-not-a-key")
        #expect(wrongKey.status == 1 && wrongKey.output.hasPrefix("HTTP 401: unauthorized: "), "\(wrongKey.output)")

        // retries shares the connection: --gateway, and its older --url.
        let queue = try await Self.cli(["retries", "list"], gateway: gateway)
        #expect(queue.status == 0 && queue.output.hasSuffix("0 entries\n"), "\(queue.output)")
        let oldSpelling = try await GatewayProcess.runCLI(["retries", "list", "--url", gateway, "--key", TestGateway.apiKey])
        #expect(oldSpelling.status == 0 && oldSpelling.output.hasSuffix("0 entries\n"), "\(oldSpelling.output)")
        await receiver.stop()
    }

    /// Bad flags are refused before any request, each with its message and exit status 2; no gateway runs.
    @Test(arguments: [
        (["endpoints", "add"], "Missing expected argument '--url <url>'"),
        (["endpoints", "add", "--url", "ftp://example.com/hooks"], "--url must be an https:// (or http://) URL with a host"),
        (["endpoints", "add", "--url", "https://example.com", "--event-type", ""], "--event-type must not be empty"),
        (["endpoints", "add", "--url", "https://example.com", "--retry-schedule", "5,abc"], "--retry-schedule must be seconds"),
        (["endpoints", "add", "--url", "https://example.com", "--retry-schedule", "5,,6"], "--retry-schedule must be seconds"),
        (["endpoints", "add", "--url", "https://example.com", "--max-attempts", "three"], "--max-attempts must be a whole number"),
        (["endpoints", "add", "--url", "https://example.com", "--secret", "hunter2"], "--secret must be whsec_"),
        (["endpoints", "show"], "Missing expected argument '<id>'"),
        (["endpoints", "show", ""], "The id must not be empty"),
        (["endpoints", "update", "ep_1"], "Nothing to change"),
        (["endpoints", "update", "ep_1", "--event-type", "ping", "--all-event-types"], "exclude each other"),
        (["endpoints", "rotate-secret", "ep_1", "--grace", "604801"], "--grace must be a whole number from 0 to 604800"),
        (["endpoints", "rotate-secret", "ep_1", "--grace=-1"], "--grace must be a whole number"),
        (["endpoints", "recover", "ep_1"], "Missing expected argument '--since <time>'"),
        (["endpoints", "recover", "ep_1", "--since", "yesterday"], "--since must be an RFC 3339 time"),
        (["endpoints", "recover", "ep_1", "--since", "2026-11-28T10:00:00"], "--since must be an RFC 3339 time with an offset"),
        (["endpoints", "recover", "ep_1", "--since", "2026-11-28T10:00:00Z", "--until", "2026-11-27T10:00:00Z"], "--since must be before --until"),
        (["endpoints", "enable", "ep_1", "--bogus"], "Unknown option '--bogus'"),
        (["deliveries", "list", "--limit", "0"], "--limit must be a whole number from 1 to 1000"),
        (["deliveries", "list", "--status", "lost"], "--status must be one of pending, delivered, failed, exhausted, held"),
        (["deliveries", "list", "--endpoint", ""], "--endpoint must not be empty"),
        (["deliveries", "retry"], "Missing expected argument '<id>'"),
        (["deliveries", "list", "--gateway", "https://gateway.example"], "--gateway must be an http:// URL with a host"),
        (["retries", "list", "--url", "gateway.example"], "--url must be an http:// URL with a host"),
    ])
    func badFlagsExitWithStatus2(arguments: [String], message: String) async throws {
        let run = try await GatewayProcess.runCLI(arguments, environment: ["PARCELGATE_API_KEY": "any-key"], unset: ["PARCELGATE_URL"])
        #expect(run.status == 2, "\(arguments): \(run.output)")
        #expect(run.output.contains(message), "\(arguments): \(run.output)")
    }

    @Test func missingKeyAndUnreachableGateway() async throws {
        let noKey = try await GatewayProcess.runCLI(["endpoints", "list"], unset: ["PARCELGATE_API_KEY"])
        #expect(noKey.status == 2 && noKey.output.contains("An API key is required: --key or PARCELGATE_API_KEY"), "\(noKey.output)")
        let port = try await LoopbackReceiver.closedPort()
        let down = try await GatewayProcess.runCLI(["deliveries", "list", "--gateway", "http://127.0.0.1:\(port)", "--key", "k"])
        #expect(down.status == 1 && down.output.contains("cannot reach the gateway at http://127.0.0.1:\(port)"), "\(down.output)")
    }
}
