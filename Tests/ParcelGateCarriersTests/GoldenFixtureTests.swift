import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// Every fixture under `fixtures/<carrier>/` goes through its carrier's adapter and must give exactly the
/// hand-written `NAME.expected.json` beside it (CARRIERS.md rules applied by hand, not adapter output).
@Suite("Golden fixtures")
struct GoldenFixtureTests {
    @Test("Fixture normalises to its expected file", arguments: Fixture.all)
    func fixtureMatchesExpected(_ fixture: Fixture) throws {
        let adapter = try #require(registeredAdapter(fixture.carrier), "No adapter registered for folder '\(fixture.carrier)'")
        let expected = try jsonObject(at: fixture.expectedURL)
        let result: NormalisedCallback
        do {
            result = try adapter.normalise(try fixture.body(), context: fixtureContext(carrier: fixture.carrier))
        } catch let error as GatewayError {
            Issue.record("\(fixture): normalise threw \(error.code): \(error.detail)")
            return
        }
        let label = "\(fixture)"
        expectField(label, "provider_event_id", expected["provider_event_id"], result.providerEventId)

        let events = try #require(expected["events"] as? [[String: Any]], "\(fixture.expectedURL.lastPathComponent): 'events' must be an array of objects")
        #expect(result.events.count == events.count, "\(label): expected \(events.count) events, got \(result.events.count)")
        for (index, (want, got)) in zip(events, result.events).enumerated() {
            let at = "\(label) event[\(index)]"
            #expect(got.tenant == "acme", "\(at): tenant")
            #expect(got.carrier == fixture.carrier, "\(at): carrier")
            #expect(got.fulfillmentId == nil, "\(at): fulfillment id should be nil, got \(got.fulfillmentId ?? "")")
            expectField(at, "tracking_number", want["tracking_number"], got.trackingNumber)
            expectField(at, "status", want["status"], got.status.rawValue)
            expectField(at, "carrier_status_code", want["carrier_status_code"], got.carrierStatusCode)
            expectField(at, "description", want["description"], got.description)
            expectField(at, "occurred_at", want["occurred_at"], got.occurredAt.rfc3339)
            expectField(at, "provider_event_id", want["provider_event_id"], got.providerEventId)
            expectLocation(at, want["location"], got.location)
        }
    }

    @Test("Every carrier folder has at least six fixtures, each with its expected file")
    func everyCarrierHasSixFixtures() {
        #expect(Set(Fixture.carrierFolders()) == Set(carrierSlugs), "fixtures/ should hold exactly one folder per carrier")
        for carrier in carrierSlugs {
            let bodies = Fixture.bodies(in: carrier)
            #expect(bodies.count >= 6, "fixtures/\(carrier) has \(bodies.count) fixtures, needs at least 6")
            let files = Set(Fixture.files(in: carrier))
            for body in bodies {
                #expect(files.contains(body + ".expected.json"), "fixtures/\(carrier)/\(body).json has no \(body).expected.json")
            }
            for file in files where file.hasSuffix(".expected.json") {
                let body = String(file.dropLast(".expected.json".count))
                #expect(files.contains(body + ".json"), "fixtures/\(carrier)/\(file) has no body \(body).json")
            }
        }
    }

    /// Each trap CARRIERS.md lists has a fixture of its own, named for the trap.
    static let trapFixtures: [String: [String]] = [
        "ups": ["ups_trap_ot_out_for_delivery", "ups_trap_x_failed_attempt_48", "ups_trap_x_failed_attempt_51"],
        "fedex": ["fedex_trap_offset_kept"],
        "shippo": ["shippo_trap_transit_out_for_delivery", "shippo_trap_transit_delivery_attempted"],
        "dhl": ["dhl_trap_pre_transit_pending", "dhl_trap_unknown_status", "dhl_trap_transit_out_for_delivery_description"],
        "easypost": ["easypost_trap_in_transit_delayed", "easypost_trap_in_transit_held"],
        "aftership": [
            "aftership_trap_subtag_in_transit_002_picked_up", "aftership_trap_subtag_exception_004_005_delayed",
            "aftership_trap_subtag_exception_010_011_return", "aftership_trap_subtag_exception_012_013_failed",
        ],
        "seventeentrack": [
            "seventeentrack_multi_provider_newest_by_instant", "seventeentrack_tracking_stopped",
            "seventeentrack_time_utc_and_split_fields", "seventeentrack_non_ascii_text",
        ],
        "shipengine": [
            "shipengine_trap_it_out_for_delivery", "shipengine_trap_ac_shipment_created_pending",
            "shipengine_trap_at_customer_carded", "shipengine_trap_null_event_codes_fallback",
            "shipengine_missing_location_and_facility",
        ],
    ]

    @Test("Every CARRIERS.md trap has its own fixture")
    func trapFixturesExist() {
        for (carrier, names) in Self.trapFixtures {
            let bodies = Set(Fixture.bodies(in: carrier))
            for name in names {
                #expect(bodies.contains(name), "Missing trap fixture fixtures/\(carrier)/\(name).json")
            }
        }
    }

    @Test("Sample fixtures are byte-exact copies of the shared carrier samples")
    func samplesAreExactCopies() throws {
        // Samples of carriers ParcelGate does not read yet (shared/ may run ahead of the adapters) are left out.
        let samples = try FileManager.default.contentsOfDirectory(atPath: TestPaths.carrierSamples.path)
            .filter { $0.hasSuffix(".json") && $0 != "signatures.json" && CarrierRegistry.standard.adapter(for: String($0.prefix { $0 != "_" })) != nil }
        #expect(samples.count >= 14, "Expected the shared carrier samples in \(TestPaths.carrierSamples.path)")
        for sample in samples {
            let carrier = String(sample.prefix { $0 != "_" })
            let copy = TestPaths.fixtures.appendingPathComponent(carrier).appendingPathComponent(sample)
            let original = try Data(contentsOf: TestPaths.carrierSamples.appendingPathComponent(sample))
            #expect((try? Data(contentsOf: copy)) == original, "fixtures/\(carrier)/\(sample) differs from the shared sample")
        }
    }

    /// What the lead's end-to-end test relies on: one UPS tracking number, distinct scans, delivered last.
    @Test("UPS fixtures: one tracking number, distinct scans, the delivered scan strictly last")
    func upsFixturesFormOneHistory() throws {
        let ups = try #require(registeredAdapter("ups"))
        var events: [(String, TrackingEvent)] = []
        for name in Fixture.bodies(in: "ups") {
            let fixture = Fixture(carrier: "ups", name: name)
            let result = try ups.normalise(try fixture.body(), context: fixtureContext(carrier: "ups"))
            for event in result.events { events.append((name, event)) }
        }
        #expect(Set(events.map { $0.1.trackingNumber }) == ["1ZTEST0A0312345675"])
        #expect(Set(events.map { $0.1.scanKey }).count == events.count, "Two UPS fixtures are the same scan")
        let delivered = events.filter { $0.1.status == .delivered }
        #expect(delivered.map(\.0) == ["ups_04_delivered"])
        if let last = delivered.first?.1.occurredAt {
            for (name, event) in events where name != "ups_04_delivered" {
                #expect(event.occurredAt < last, "\(name) is not earlier than the delivered scan")
            }
        }
    }

    @Test("The standard registry knows every carrier")
    func registryKnowsEveryCarrier() {
        #expect(Set(CarrierRegistry.standard.slugs) == Set(carrierSlugs + ["generic"]))
        for slug in carrierSlugs { #expect(registeredAdapter(slug.uppercased())?.slug == slug) }
    }

    @Test("Normalising is pure: the same body gives the same events", arguments: Fixture.all)
    func normaliseIsDeterministic(_ fixture: Fixture) throws {
        let adapter = try #require(registeredAdapter(fixture.carrier))
        let body = try fixture.body()
        let context = fixtureContext(carrier: fixture.carrier)
        #expect(try adapter.normalise(body, context: context) == adapter.normalise(body, context: context))
    }

    // MARK: Comparison

    /// `want` is the JSON value (a string or NSNull); `got` the adapter's.
    private func expectField(_ at: String, _ field: String, _ want: Any?, _ got: String?) {
        guard let want else {
            Issue.record("\(at): expected file lacks '\(field)'")
            return
        }
        let wanted = want as? String
        if wanted == nil && !(want is NSNull) {
            Issue.record("\(at): expected '\(field)' must be a string or null")
            return
        }
        #expect(got == wanted, "\(at) \(field): expected \(wanted.map { "\"\($0)\"" } ?? "null"), got \(got.map { "\"\($0)\"" } ?? "null")")
    }

    private func expectLocation(_ at: String, _ want: Any?, _ got: TrackingLocation?) {
        guard let want else {
            Issue.record("\(at): expected file lacks 'location'")
            return
        }
        if want is NSNull {
            #expect(got == nil, "\(at) location: expected null, got \(got?.summary ?? "")")
            return
        }
        guard let fields = want as? [String: Any] else {
            Issue.record("\(at): expected 'location' must be an object or null")
            return
        }
        guard let got else {
            Issue.record("\(at) location: expected \(fields), got null")
            return
        }
        expectField(at, "location.city", fields["city"] ?? NSNull(), got.city)
        expectField(at, "location.region", fields["region"] ?? NSNull(), got.region)
        expectField(at, "location.postal_code", fields["postal_code"] ?? NSNull(), got.postalCode)
        expectField(at, "location.country_code", fields["country_code"] ?? NSNull(), got.countryCode)
        expectField(at, "location.text", fields["text"] ?? NSNull(), got.text)
    }
}
