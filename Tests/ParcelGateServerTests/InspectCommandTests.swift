import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
import Testing

/// `parcelgate inspect` as a process: what it prints for committed fixtures, that `--json` is the fixture's
/// expected file byte for byte, and that a payload the gateway refuses fails with the gateway's own answer.
@Suite(.timeLimit(.minutes(3))) struct InspectCommandTests {
    static let fixtures = CarrierEndToEndTests.repositoryRoot.appendingPathComponent("fixtures")

    @Test func printsTheCanonicalEventsNewestMarked() async throws {
        let file = Self.fixtures.appendingPathComponent("fedex/fedex_multiple_results.json").path
        let run = try await GatewayProcess.runCLI(["inspect", file])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix("fedex_multiple_results.json: fedex, 3 events") == true, "\(run.output)")
        #expect(lines.count == 5, "heading, header, three events: \(run.output)")
        guard lines.count == 5 else { return }
        // In the payload's order; the newest of each tracking number marked, not the last of the array.
        #expect(lines[1].contains("STATUS") && lines[1].contains("OCCURRED (UTC)") && lines[1].contains("EVENT ID"))
        let columns = lines[2...].map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(columns[0] == ["*", "794612345670", "out_for_delivery", "2025-11-20T13:58:00Z", "AUSTIN", "TX", "US", "-", "OD", "On", "FedEx", "vehicle", "for", "delivery", "-"])
        #expect(columns[1] == ["*", "794612345681", "delivered", "2025-11-20T20:10:00Z", "AUSTIN", "TX", "US", "-", "DL", "Delivered", "-"])
        #expect(columns[2].first == "794612345681" && columns[2].contains("out_for_delivery"), "the older scan is not marked")
    }

    @Test func showsAFacilityNameBesideTheCityParsedFromIt() async throws {
        let file = Self.fixtures.appendingPathComponent("usps/usps_01_in_transit.json").path
        let run = try await GatewayProcess.runCLI(["inspect", file])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3 && lines[1].contains("CITY") && lines[1].contains("PLACE"), "\(run.output)")
        let row = lines.first { $0.contains("DENVER CO DISTRIBUTION CENTER") }
        #expect(row.map { $0.components(separatedBy: "DENVER").count - 1 } == 2, "DENVER as the city and within the facility name: \(run.output)")
    }

    @Test("--json is the fixture's expected file, byte for byte", arguments: [
        "ups/ups_04_delivered", "fedex/fedex_multiple_results", "dhl/dhl_missing_location",
        "aftership/aftership_naive_local_time_single_zone_country", "usps/usps_01_in_transit",
    ])
    func jsonIsTheExpectedFile(_ name: String) async throws {
        let run = try await GatewayProcess.runCLI(["inspect", "--json", Self.fixtures.appendingPathComponent(name + ".json").path])
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent(name + ".expected.json"), encoding: .utf8)
        #expect(run.status == 0)
        #expect(run.output == expected)
    }

    @Test func timezoneReadsNaiveLocalTimesAsASourceWould() async throws {
        let file = Self.fixtures.appendingPathComponent("ups/ups_naive_local_time.json").path
        let utc = try await GatewayProcess.runCLI(["inspect", "--json", file])
        let zoned = try await GatewayProcess.runCLI(["inspect", "--json", "--timezone", "Asia/Tokyo", file])
        #expect(utc.status == 0 && zoned.status == 0)
        let unknown = try await GatewayProcess.runCLI(["inspect", "--timezone", "Mars/Olympus", file])
        #expect(unknown.status != 0 && unknown.output.contains("unknown time zone 'Mars/Olympus'"), "\(unknown.output)")
        // The fixture's location places it, or the zone changes the instant: either way inspect agrees with the adapter.
        let adapter = try #require(CarrierRegistry.standard.adapter(for: "ups"))
        let body = try Data(contentsOf: URL(fileURLWithPath: file))
        let tokyo = try adapter.normalise(body, context: NormalisationContext(tenant: "t", carrier: "ups", receivedAt: SystemClock().now(), defaultTimeZone: "Asia/Tokyo"))
        #expect(zoned.output.contains(tokyo.events[0].occurredAt.rfc3339), "\(zoned.output)")
    }

    /// The same bytes posted to a real gateway get the code and detail inspect prints.
    @Test func anInvalidPayloadFailsWithTheGatewaysAnswer() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("generic"), withIntermediateDirectories: true)
        let body = Data(#"{"tracking_number":"PG1","status":"in_transit","occurred_at":"yesterday"}"#.utf8)
        let file = dir.appendingPathComponent("generic/bad_time.json")
        try body.write(to: file)

        let run = try await GatewayProcess.runCLI(["inspect", file.path])
        #expect(run.status == 1, "\(run.output)")

        let config = CarrierEndToEndTests.repositoryRoot.appendingPathComponent("config/demo.yaml").path
        let server = try await GatewayProcess.start(config: config, database: dir.appendingPathComponent("gw.sqlite").path)
        defer { server.terminate() }
        let headers = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: "demo-generic-secret").headers(for: body, now: SystemClock().now())
        let answer = try await server.request("POST", "/v1/hooks/demo/generic", headers: headers + [("Content-Type", "application/json")], body: Array(body))
        #expect(answer.status == 400)
        struct ErrorBody: Decodable { let code: String; let detail: String }
        let error = try JSONDecoder().decode(ErrorBody.self, from: Data(answer.body))
        #expect(run.output.contains("the gateway would answer 400 \(error.code): \(error.detail)"), "inspect: \(run.output)\ngateway: \(answer.text)")
    }

    @Test func unreadableFilesAndUnknownCarriersFailWithASummary() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let stray = dir.appendingPathComponent("payload.json")
        try Data(#"{"tracking_number":"PG1","status":"delivered"}"#.utf8).write(to: stray)
        let good = Self.fixtures.appendingPathComponent("ups/ups_01_in_transit.json").path
        let missing = dir.appendingPathComponent("missing.json").path

        let run = try await GatewayProcess.runCLI(["inspect", good, missing, stray.path])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("cannot read \(missing): No such file or directory"), "\(run.output)")
        #expect(run.output.contains("no carrier '\(dir.lastPathComponent.lowercased())' (use --carrier"), "\(run.output)")
        #expect(run.output.contains("3 files: 1 read (1 event), 2 failed"), "\(run.output)")

        // Told which carrier, the same stray file reads.
        let told = try await GatewayProcess.runCLI(["inspect", "--carrier", "generic", stray.path])
        #expect(told.status == 0 && told.output.contains("delivered"), "\(told.output)")
    }
}
