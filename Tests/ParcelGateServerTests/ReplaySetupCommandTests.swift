import Foundation
@testable import ParcelGateClient
import Testing

/// `parcelgate replay --setup` against a real `parcelgate serve` with the committed demo config: a UPS journey
/// played end to end, then the same journey again, which finds every scan already stored.
@Suite(.timeLimit(.minutes(3))) struct ReplaySetupCommandTests {
    static let root = CarrierEndToEndTests.repositoryRoot
    /// Picked up, in transit, out for delivery, delivered: one tracking number, in the order given.
    static let journey = ["ups_picked_up_origin_scan", "ups_01_in_transit", "ups_out_for_delivery_od", "ups_04_delivered"]
        .map { root.appendingPathComponent("fixtures/ups/\($0).json").path }

    /// The final table's row for the one fulfillment: its cells split on blanks.
    static func fulfillmentRow(_ output: String) -> [String]? {
        output.split(separator: "\n").first { $0.hasPrefix("ful_") }.map { $0.split(separator: " ").map(String.init) }
    }

    @Test func playsAJourneyAndTellsWhereEachShipmentEnded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-replay-setup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = Self.root.appendingPathComponent("config/demo.yaml").path
        let server = try await GatewayProcess.start(config: config, database: dir.appendingPathComponent("gw.sqlite").path)
        defer { server.terminate() }
        let common = ["--url", "http://127.0.0.1:\(server.port)", "--tenant", "demo", "--config", config, "--setup"]

        let missingKey = try await GatewayProcess.runCLI(["replay"] + Self.journey + common, unset: ["PARCELGATE_API_KEY"])
        #expect(missingKey.status != 0 && missingKey.output.contains("--setup needs the tenant's API key"), "\(missingKey.output)")

        let first = try await GatewayProcess.runCLI(["replay"] + Self.journey + common + ["--key", "demo-api-key-change-me-0001"])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("SHIPPED ups 1ZTEST0A0312345675"), "\(first.output)")
        #expect(first.output.contains("setup: 1 fulfillment shipped; replaying 4 files"), "\(first.output)")
        // Replayed in the order given, not path order.
        let progress = first.output.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == 4 && progress.allSatisfy { $0.contains("200 applied") }, "\(first.output)")
        #expect(progress.first?.hasSuffix("ups_picked_up_origin_scan.json") == true && progress.last?.hasSuffix("ups_04_delivered.json") == true)
        let row = try #require(Self.fulfillmentRow(first.output), "\(first.output)")
        #expect(Array(row.dropFirst()) == ["ups", "1ZTEST0A0312345675", "DELIVERED", "4", "4", "0", "0", "0", "0"], "\(first.output)")
        #expect(first.output.contains("1 fulfillment: 1 DELIVERED"), "\(first.output)")

        // The table agrees with the platform API.
        let id = try #require(row.first)
        let shown = try await server.request("GET", "/v1/fulfillments/\(id)", headers: [("Authorization", "Bearer demo-api-key-change-me-0001")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.body)) as? [String: Any])
        #expect(json["status"] as? String == "DELIVERED")
        #expect((json["tracking_events"] as? [Any])?.count == 4)

        // Again: a new fulfillment is shipped, and every callback is a duplicate of one already stored.
        let again = try await GatewayProcess.runCLI(["replay"] + Self.journey + common, environment: ["PARCELGATE_API_KEY": "demo-api-key-change-me-0001"])
        #expect(again.status == 0, "\(again.output)")
        let second = try #require(Self.fulfillmentRow(again.output), "\(again.output)")
        #expect(second.first != id)
        #expect(Array(second.dropFirst()) == ["ups", "1ZTEST0A0312345675", "SHIPPED", "0", "0", "4", "0", "0", "0"], "\(again.output)")
    }
}
