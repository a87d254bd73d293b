import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing
import Yams

/// What operators rely on: exact metrics, structured logs, the OpenAPI document.
@Suite(.timeLimit(.minutes(2))) struct OperationsTests {
    /// `name{labels} value` lines of a Prometheus scrape, keyed by `name{labels}` with labels sorted.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            var series = String(line[..<space])
            if let open = series.firstIndex(of: "{"), series.hasSuffix("}") {
                let labels = series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",").sorted()
                series = String(series[..<open]) + "{" + labels.joined(separator: ",") + "}"
            }
            samples[series] = value
        }
        return samples
    }

    @Test func metricsCountAKnownMixExactly() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "m", trackingNumber: "MET-1")
            for index in 0..<3 { try await gateway.callback(#"{"tracking_number":"MET-1","status":"in_transit","event_id":"a\#(index)"}"#).expect(200) }
            for index in 0..<2 { try await gateway.callback(#"{"tracking_number":"MET-1","status":"in_transit","event_id":"a\#(index)"}"#).expect(200) }
            try await gateway.callback(#"{"tracking_number":"MET-LATER","status":"in_transit"}"#).expect(202)
            for _ in 0..<2 { try await gateway.callback(#"{"tracking_number":"MET-1","status":"delivered"}"#, secret: "wrong").expectError(401, "invalid_signature") }
            try await gateway.callback(#"{"tracking_number":"MET-1"}"#).expectError(400, "invalid_payload")
            try await gateway.request("POST", "/v1/hooks/invented-\(UUID().uuidString.lowercased())/pigeon", body: Array("{}".utf8)).expectError(404, "unknown_source")
            try await gateway.callback(#"{"tracking_number":"OTHER-1","status":"in_transit"}"#, tenant: "other", secret: "other-generic-secret").expect(202)

            var scrape = try await gateway.request("GET", "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.header("Content-Type")?.hasPrefix("text/plain") == true)
            var samples = Self.samples(scrape.text)
            func callbacks(_ tenant: String, _ outcome: String, _ code: String = "", carrier: String = "generic") -> Double? {
                samples[#"parcelgate_callbacks_total{carrier="\#(carrier)",code="\#(code)",outcome="\#(outcome)",tenant="\#(tenant)"}"#]
            }
            #expect(callbacks("shopstream", "applied") == 3)
            #expect(callbacks("shopstream", "duplicate") == 2)
            #expect(callbacks("shopstream", "queued") == 1)
            #expect(callbacks("shopstream", "rejected", "invalid_signature") == 2)
            #expect(callbacks("shopstream", "rejected", "invalid_payload") == 1)
            #expect(callbacks("unknown", "rejected", "unknown_source", carrier: "unknown") == 1, "invented URLs are not new series")
            #expect(callbacks("other", "queued") == 1)
            #expect(samples["parcelgate_ingress_duration_seconds_count"] == 11)
            #expect(samples[#"parcelgate_retry_queue_depth{status="pending"}"#] == 2)
            #expect(samples[#"parcelgate_retry_queue_depth{status="exhausted"}"#] == 0)
            #expect((samples["parcelgate_commit_batch_size_count"] ?? 0) > 0)
            #expect(!scrape.text.contains("invented-"))

            // The queued callback's shipment appears: one successful retry attempt.
            try await gateway.shippedFulfillment(id: "later", trackingNumber: "MET-LATER")
            #expect(try await gateway.eventually { try await gateway.fulfillment("later")["status"].string == "IN_TRANSIT" })
            #expect(try await gateway.eventually {
                Self.samples(try await gateway.request("GET", "/metrics").text)[#"parcelgate_retry_attempts_total{result="succeeded",tenant="shopstream"}"#] == 1
            })
            scrape = try await gateway.request("GET", "/metrics")
            samples = Self.samples(scrape.text)
            #expect(samples[#"parcelgate_retry_queue_depth{status="pending"}"#] == 1)
            #expect(samples[#"parcelgate_retry_queue_depth{status="succeeded"}"#] == 1)
        }
    }

    @Test func readinessFollowsTheDatabase() async throws {
        try await TestGateway.run { gateway in
            #expect(try await gateway.becomesReady())
            await gateway.store.close()
            // The monitor notices at its next check (every 50 ms here).
            #expect(try await gateway.eventually { try await gateway.request("GET", "/readyz").status == 503 })
            let unready = try await gateway.request("GET", "/readyz").expectError(503, "store_unavailable")
            #expect(!(unready["detail"].string ?? "").isEmpty)
            try await gateway.request("GET", "/healthz").expect(200)
        }
    }

    @Test func jsonLogLinesCarryTheRequestId() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        try await TestGateway.run(logHandler: { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }) { gateway in
            let rejected = try await gateway.callback(#"{"tracking_number":"X","status":"in_transit"}"#, secret: "wrong").expectError(401, "invalid_signature")
            let requestId = try #require(rejected["request_id"].string)
            let parsed = lines.withLockedValue { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            #expect(parsed.count == lines.withLockedValue { $0.count }, "every line is one JSON object")
            let line = try #require(parsed.first { $0["hb.request.id"] == requestId })
            #expect(line["code"] == "invalid_signature")
            #expect(line["level"] != nil && line["message"] != nil && line["timestamp"] != nil)
        }
    }

    /// Every route the router has is in `openapi.yaml`, and every operation there is a route.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        let root = CarrierEndToEndTests.repositoryRoot
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in ((item as? [String: Any]) ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let operations = documented
        try await TestGateway.run { gateway in
            let documented = operations
            // The console's HTML pages (README, "Console") are not part of the JSON API the document describes.
            let routes = Set(gateway.routes.filter { !$0.contains(" /console") }.map { route in
                // Hummingbird writes parameters as `:name` or `{name}`; compare in OpenAPI's form.
                route.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
            })
            #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(routes.subtracting(documented).sorted())")
            #expect(documented.subtracting(routes).isEmpty, "documented operations with no route: \(documented.subtracting(routes).sorted())")
            #expect(routes.count >= 21)
        }
    }
}
