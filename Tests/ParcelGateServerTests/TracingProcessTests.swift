import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
import Testing

/// Issue 18: `parcelgate serve` with tracing on, exporting OTLP/HTTP JSON to a real receiver on loopback. The
/// tracer is process-wide (Hummingbird's TracingMiddleware reads InstrumentationSystem), so each test runs its
/// own gateway process, configured the standard way, by `OTEL_*` variables.
@Suite(.timeLimit(.minutes(5))) struct TracingProcessTests {
    static let apiKey = "trace-api-key-0123456789"
    static let secret = "trace-generic-secret"

    static func config(_ dir: URL, tracing: String = "{}") throws -> String {
        let path = dir.appendingPathComponent("config.json").path
        try """
            {"tenants": [{"slug": "trace", "api_keys": ["\(apiKey)"], "sources": [{"carrier": "generic", "secrets": ["\(secret)"]}],
                          "retry": {"base_delay_s": 60, "max_delay_s": 600, "multiplier": 2, "max_attempts": 5, "jitter": false}}],
             "worker": {"poll_interval_ms": 50},
             "notifications": {"allowed_networks": ["127.0.0.0/8"], "allow_http": true, "timeout_ms": 5000, "connect_timeout_ms": 1000,
                               "worker": {"poll_interval_ms": 50}},
             "tracing": \(tracing)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Tracing on through the environment alone, exporting JSON every 50 ms to `endpoint`.
    static func environment(endpoint: String, extra: [String: String] = [:]) -> [String: String] {
        [
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_SERVICE_NAME": "parcelgate-test", "OTEL_BSP_SCHEDULE_DELAY": "50", "PARCELGATE_LOG_FORMAT": "json",
        ].merging(extra) { _, new in new }
    }

    static func start(_ name: String, collector: String, extra: [String: String] = [:]) async throws -> (GatewayProcess, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let gateway = try await GatewayProcess.start(config: try config(dir), database: dir.appendingPathComponent("gateway.sqlite").path,
                                                     extraEnvironment: environment(endpoint: collector, extra: extra),
                                                     logFile: dir.appendingPathComponent("gateway.log").path)
        return (gateway, dir)
    }

    static func api(_ gateway: GatewayProcess, _ method: String, _ path: String, _ json: String? = nil) async throws -> HTTPClientResponse {
        try await gateway.request(method, path, headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
                                  body: json.map { Array($0.utf8) })
    }

    static func callback(_ gateway: GatewayProcess, _ json: String) async throws -> HTTPClientResponse {
        let body = Array(json.utf8)
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: secret)
        let headers = try signer.headers(for: Data(body), now: SystemClock().now()) + [("Content-Type", "application/json")]
        return try await gateway.request("POST", "/v1/hooks/trace/generic", headers: headers, body: body)
    }

    static func ship(_ gateway: GatewayProcess, id: String, trackingNumber: String) async throws {
        try await api(gateway, "POST", "/v1/fulfillments", #"{"order_id":"o-\#(id)","id":"\#(id)"}"#).expect(201)
        for command in ["pick", "pack", "ready"] { try await api(gateway, "PUT", "/v1/fulfillments/\(id)/\(command)").expect(200) }
        try await api(gateway, "PUT", "/v1/fulfillments/\(id)/ship", #"{"carrier":"generic","tracking_number":"\#(trackingNumber)"}"#).expect(200)
    }

    static func eventually(seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    // MARK: The span trees

    /// A callback applied at once: the server span, the hook span under it with tenant, carrier, outcome and
    /// the receipt key's kind, verify and normalise (with the event count) and the store call under that, the
    /// store call linked to the SQLite commit group that carried it. No span holds the secret or the signature.
    @Test func aCallbackAppliedAtOnceIsOneTrace() async throws {
        let collector = try await OTLPCollector.start()
        defer { Task { await collector.stop() } }
        let (gateway, _) = try await Self.start("trace-applied", collector: collector.url)
        defer { gateway.terminate() }
        try await Self.ship(gateway, id: "f-1", trackingNumber: "TRACE-1")
        let signed = #"{"tracking_number":"TRACE-1","status":"in_transit","location":"Memphis, TN"}"#
        try await Self.callback(gateway, signed).expect(200)

        #expect(try await Self.eventually { collector.spans.contains { $0.name == "parcelgate.hook" } && collector.spans.contains { $0.name == "sqlite.commit_group" } })
        let spans = collector.spans
        let hook = try #require(spans.first { $0.name == "parcelgate.hook" })
        #expect(hook.attributes["parcelgate.tenant"] == "trace")
        #expect(hook.attributes["parcelgate.carrier"] == "generic")
        #expect(hook.attributes["parcelgate.outcome"] == "applied")
        #expect(hook.attributes["parcelgate.receipt_key.kind"] == "sha256")
        let server = try #require(spans.first { $0.spanId == hook.parentSpanId })
        #expect(server.kind == 2, "SPAN_KIND_SERVER")
        #expect(server.name == "/v1/hooks/{tenant}/{carrier}")
        #expect(server.attributes["http.response.status_code"] == "200")
        #expect(server.traceId == hook.traceId)
        let children = spans.filter { $0.parentSpanId == hook.spanId }
        #expect(Set(children.map(\.name)) == ["parcelgate.verify", "parcelgate.normalise", "parcelgate.store.ingest"])
        #expect(children.allSatisfy { $0.traceId == hook.traceId })
        #expect(children.first { $0.name == "parcelgate.normalise" }?.attributes["parcelgate.events"] == "1")
        let store = try #require(children.first { $0.name == "parcelgate.store.ingest" })
        #expect(store.attributes["db.system"] == "sqlite")
        #expect(Int(store.attributes["db.commit_group.size"] ?? "") ?? 0 >= 1)
        #expect(store.attributes["db.commit_group.duration_ms"] != nil)
        let groupLink = try #require(store.links.first)
        let group = try #require(spans.first { $0.spanId == groupLink.spanId && $0.traceId == groupLink.traceId })
        #expect(group.name == "sqlite.commit_group")
        #expect(group.links.contains { $0.spanId == store.spanId }, "the group links back to each write it carried")
        #expect(collector.serviceNames == ["parcelgate-test"])
        // Nothing secret or identifying the callback's bytes in any span.
        let everything = collector.rawBodies.joined()
        #expect(!everything.contains(Self.secret))
        #expect(!everything.contains(Self.apiKey))
        #expect(!everything.contains("sha256="), "no signature header value")
        // The platform API's requests are traced too.
        #expect(spans.contains { $0.kind == 2 && $0.name == "/v1/fulfillments/{id}/{command}" })
    }

    /// A callback for a shipment the platform has not registered yet is queued (202); once the platform ships,
    /// the retry worker applies it in a trace of its own whose attempt span links to the original request, and
    /// the worker's log line inside that span carries its trace_id and span_id.
    @Test func aQueuedCallbackAppliedByTheRetryWorkerLinksToTheOriginalRequest() async throws {
        let collector = try await OTLPCollector.start()
        defer { Task { await collector.stop() } }
        let (gateway, dir) = try await Self.start("trace-retry", collector: collector.url)
        defer { gateway.terminate() }
        try await Self.callback(gateway, #"{"tracking_number":"EARLY-1","status":"in_transit"}"#).expect(202)
        try await Self.ship(gateway, id: "f-early", trackingNumber: "EARLY-1")

        #expect(try await Self.eventually { collector.spans.contains { $0.name == "parcelgate.retry.attempt" && $0.attributes["retry.outcome"] == "succeeded" } })
        let spans = collector.spans
        let hook = try #require(spans.first { $0.name == "parcelgate.hook" })
        #expect(hook.attributes["parcelgate.outcome"] == "queued")
        let attempt = try #require(spans.first { $0.name == "parcelgate.retry.attempt" && $0.attributes["retry.outcome"] == "succeeded" })
        #expect(attempt.parentSpanId == nil, "a root span of its own trace")
        #expect(attempt.traceId != hook.traceId)
        #expect(attempt.links.contains { $0.traceId == hook.traceId && $0.spanId == hook.spanId }, "linked to the request that queued it")
        #expect(attempt.attributes["retry.attempt_number"] == "1")
        #expect(attempt.attributes["retry.id"] == hook.attributes["retry.id"] && hook.attributes["retry.id"]?.hasPrefix("rt") == true)
        #expect(Int(attempt.attributes["retry.delay_ms"] ?? "") != nil)
        #expect(attempt.attributes["parcelgate.tenant"] == "trace")
        let children = spans.filter { $0.parentSpanId == attempt.spanId }
        #expect(Set(children.map(\.name)) == ["parcelgate.normalise", "parcelgate.store.ingest"])

        // Logs inside the span carry its ids.
        let lines = try String(contentsOf: dir.appendingPathComponent("gateway.log"), encoding: .utf8).split(separator: "\n")
        let succeeded = try #require(lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["message"] as? String == "Retry succeeded" })
        #expect(succeeded["trace_id"] as? String == attempt.traceId)
        #expect(succeeded["span_id"] as? String == attempt.spanId)
    }

    /// A notification delivered on its second attempt (the first answered 500): two HTTP client spans linked to
    /// the callback's request, each having sent a `traceparent` naming itself, and the fan-out linked to it too.
    @Test func aNotificationDeliveredAfterOneFailedAttemptCarriesItsTraceparent() async throws {
        let collector = try await OTLPCollector.start()
        defer { Task { await collector.stop() } }
        let calls = NIOLockedValueBox(0)
        let receiver = try await LoopbackReceiver.start { _ in
            calls.withLockedValue { $0 += 1; return $0 } == 1 ? .respond(status: 500) : .respond(status: 200)
        }
        defer { Task { await receiver.stop() } }
        let (gateway, _) = try await Self.start("trace-notify", collector: collector.url)
        defer { gateway.terminate() }
        try await Self.api(gateway, "POST", "/v1/webhook-endpoints",
                           #"{"url":"\#(receiver.url)/hooks?token=platform-secret","event_types":["delivery.confirmed"],"retry":{"schedule_s":[1,1,1]}}"#).expect(201)
        try await Self.ship(gateway, id: "f-n", trackingNumber: "NOTE-1")
        try await Self.callback(gateway, #"{"tracking_number":"NOTE-1","status":"in_transit","occurred_at":"2026-11-20T10:00:00Z"}"#).expect(200)
        #expect(try await Self.eventually { collector.spans.contains { $0.name == "parcelgate.hook" } })
        let inTransit = Set(collector.spans.filter { $0.name == "parcelgate.hook" }.map(\.spanId))
        try await Self.callback(gateway, #"{"tracking_number":"NOTE-1","status":"delivered","occurred_at":"2026-11-20T11:00:00Z"}"#).expect(200)

        #expect(try await Self.eventually { receiver.requests.count >= 2 })
        #expect(try await Self.eventually { collector.spans.filter { $0.name == "parcelgate.webhook.attempt" }.count >= 2 })
        let spans = collector.spans
        let hook = try #require(spans.first { $0.name == "parcelgate.hook" && $0.attributes["parcelgate.outcome"] == "applied" && !inTransit.contains($0.spanId) })
        let attempts = spans.filter { $0.name == "parcelgate.webhook.attempt" }.sorted { ($0.attributes["webhook.attempt"] ?? "") < ($1.attributes["webhook.attempt"] ?? "") }
        #expect(attempts.map { $0.attributes["http.response.status_code"] } == ["500", "200"])
        #expect(attempts.map(\.kind) == [3, 3], "SPAN_KIND_CLIENT")
        #expect(attempts.first?.statusCode == 2, "the failed attempt is marked an error")
        #expect(attempts.allSatisfy { $0.links.contains { $0.traceId == hook.traceId && $0.spanId == hook.spanId } })
        #expect(attempts.allSatisfy { $0.attributes["url.full"] == "\(receiver.url)/hooks" }, "the query is not recorded")
        #expect(attempts.allSatisfy { $0.attributes["webhook.event_type"] == "delivery.confirmed" })
        // Each request named its own attempt's span as the parent of the platform's trace.
        let sent = receiver.requests.prefix(2).map { $0.header("traceparent") }
        #expect(receiver.requests.prefix(2).allSatisfy { request in request.headers.filter { $0.0.lowercased() == "traceparent" }.count == 1 })
        #expect(!spans.contains { $0.name == "POST" }, "no second client span from AsyncHTTPClient")
        #expect(sent == attempts.map { "00-\($0.traceId)-\($0.spanId)-01" })
        let fanOut = try #require(spans.first { $0.name == "parcelgate.notifications.fan_out" && $0.links.contains { $0.spanId == hook.spanId } })
        #expect(fanOut.links.contains { $0.traceId == hook.traceId })
        #expect(!collector.rawBodies.joined().contains("platform-secret"))
    }

    /// Without any `OTEL_*` variable, the `tracing` block alone turns tracing on: its endpoint (a base URL),
    /// protocol, service name and schedule are used.
    @Test func theTracingBlockAloneTurnsItOn() async throws {
        let collector = try await OTLPCollector.start()
        defer { Task { await collector.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-trace-block-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let block = #"{"enabled": true, "endpoint": "\#(collector.url)", "protocol": "http/json", "service_name": "gw-from-config", "schedule_delay_ms": 50}"#
        let gateway = try await GatewayProcess.start(config: try Self.config(dir, tracing: block), database: dir.appendingPathComponent("gateway.sqlite").path)
        defer { gateway.terminate() }
        try await Self.api(gateway, "POST", "/v1/fulfillments", #"{"order_id":"o","id":"f-c"}"#).expect(201)
        #expect(try await Self.eventually { collector.spans.contains { $0.name == "/v1/fulfillments" && $0.kind == 2 } })
        #expect(collector.serviceNames == ["gw-from-config"])
    }

    /// Sampled out (ratio 0), a callback is applied as ever and nothing is exported, not even after the
    /// shutdown's last flush: no root span is sampled and no child of one is started.
    @Test func sampledOutNothingIsExported() async throws {
        let collector = try await OTLPCollector.start()
        defer { Task { await collector.stop() } }
        let (gateway, _) = try await Self.start("trace-sampled-out", collector: collector.url,
                                                extra: ["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"])
        try await Self.ship(gateway, id: "f-s", trackingNumber: "SAMPLED-1")
        try await Self.callback(gateway, #"{"tracking_number":"SAMPLED-1","status":"in_transit"}"#).expect(200)
        try await Self.callback(gateway, #"{"tracking_number":"LATER-1","status":"in_transit"}"#).expect(202)
        gateway.terminate()
        #expect(collector.spans.isEmpty)
    }

    // MARK: A collector that does not help

    enum BrokenCollector: String, CaseIterable, Sendable {
        case unreachable
        case neverAnswers
    }

    /// Whether nothing listens or the collector accepts and never answers, every callback is answered and
    /// applied; the spans that could not be exported are dropped and counted.
    @Test(arguments: BrokenCollector.allCases)
    func aBrokenCollectorChangesNothingForIngest(_ broken: BrokenCollector) async throws {
        let silent = try await LoopbackReceiver.start { _ in .silent }
        defer { Task { await silent.stop() } }
        let endpoint = switch broken {
        case .unreachable: "http://127.0.0.1:\(try await LoopbackReceiver.closedPort())"
        case .neverAnswers: silent.url
        }
        let (gateway, _) = try await Self.start("trace-broken", collector: endpoint, extra: [
            "OTEL_BSP_MAX_QUEUE_SIZE": "16", "OTEL_BSP_EXPORT_TIMEOUT": "500", "OTEL_EXPORTER_OTLP_TIMEOUT": "500",
        ])
        defer { gateway.terminate() }
        try await Self.ship(gateway, id: "f-b", trackingNumber: "BROKEN-1")
        let count = 60
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask {
                    let json = #"{"tracking_number":"BROKEN-1","status":"in_transit","event_id":"e-\#(index)","occurred_at":"2026-11-20T10:\#(String(format: "%02d", index)):00Z"}"#
                    return try await Self.callback(gateway, json).status
                }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            #expect(statuses == Array(repeating: 200, count: count))
        }
        let fulfillment = try await Self.api(gateway, "GET", "/v1/fulfillments/f-b").expect(200)
        #expect(fulfillment["tracking_events"].array.count == count)
        #expect(fulfillment["status"].string == "IN_TRANSIT")
        // What could not be exported is counted.
        #expect(try await Self.eventually {
            let metrics = String(decoding: try await gateway.request("GET", "/metrics").body, as: UTF8.self)
            return metrics.split(separator: "\n").contains { $0.hasPrefix("parcelgate_trace_spans_dropped_total") && !$0.hasSuffix(" 0") }
        })
        if broken == .neverAnswers { #expect(!silent.requests.isEmpty, "the exporter did reach the collector") }
    }
}

/// An OTLP/HTTP receiver (JSON encoding) on loopback: answers every export 200 and keeps the spans.
final class OTLPCollector: Sendable {
    struct Link: Sendable { let traceId: String, spanId: String }

    struct Span: Sendable {
        let traceId: String
        let spanId: String
        let parentSpanId: String?
        let name: String
        let kind: Int
        let attributes: [String: String]
        let links: [Link]
        let statusCode: Int
    }

    private let receiver: LoopbackReceiver

    static func start() async throws -> OTLPCollector {
        OTLPCollector(receiver: try await LoopbackReceiver.start { _ in
            .respond(status: 200, headers: [("Content-Type", "application/json")], body: "{}")
        })
    }

    private init(receiver: LoopbackReceiver) { self.receiver = receiver }

    var url: String { receiver.url }

    func stop() async { await receiver.stop() }

    var rawBodies: [String] { receiver.requests.filter { $0.uri == "/v1/traces" }.map { String(decoding: $0.body, as: UTF8.self) } }

    private var resourceSpans: [[String: Any]] {
        rawBodies.flatMap { body -> [[String: Any]] in
            let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
            return json?["resourceSpans"] as? [[String: Any]] ?? []
        }
    }

    var serviceNames: Set<String> {
        Set(resourceSpans.compactMap { resource in
            let attributes = (resource["resource"] as? [String: Any])?["attributes"] as? [[String: Any]] ?? []
            return Self.attributes(attributes)["service.name"]
        })
    }

    var spans: [Span] {
        resourceSpans.flatMap { resource in
            (resource["scopeSpans"] as? [[String: Any]] ?? []).flatMap { scope in
                (scope["spans"] as? [[String: Any]] ?? []).map { span in
                    let parent = (span["parentSpanId"] as? String).map(Self.hexId) ?? ""
                    return Span(
                        traceId: Self.hexId(span["traceId"] as? String ?? ""), spanId: Self.hexId(span["spanId"] as? String ?? ""),
                        parentSpanId: parent.isEmpty ? nil : parent, name: span["name"] as? String ?? "",
                        kind: (span["kind"] as? NSNumber)?.intValue ?? 0,
                        attributes: Self.attributes(span["attributes"] as? [[String: Any]] ?? []),
                        links: (span["links"] as? [[String: Any]] ?? []).map {
                            Link(traceId: Self.hexId($0["traceId"] as? String ?? ""), spanId: Self.hexId($0["spanId"] as? String ?? ""))
                        },
                        statusCode: ((span["status"] as? [String: Any])?["code"] as? NSNumber)?.intValue ?? 0
                    )
                }
            }
        }
    }

    /// OTLP's JSON writes ids as hex; protobuf's JSON mapping (which swift-otel uses) as base64: either, as hex.
    static func hexId(_ text: String) -> String {
        let isHex = (text.count == 32 || text.count == 16) && text.allSatisfy { $0.isHexDigit }
        if isHex || text.isEmpty { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return text }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    static func attributes(_ list: [[String: Any]]) -> [String: String] {
        var result: [String: String] = [:]
        for attribute in list {
            guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any], let (kind, raw) = value.first else { continue }
            switch kind {
            case "boolValue": result[key] = ((raw as? NSNumber)?.boolValue ?? false) ? "true" : "false"
            case "doubleValue": result[key] = (raw as? NSNumber).map { "\($0.doubleValue)" } ?? "\(raw)"
            default: result[key] = "\(raw)"
            }
        }
        return result
    }
}
