import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// 17TRACK's `sign` header against the shared samples' published values, and what the golden fixtures
/// cannot show on their own: which scan is newest, which bodies are notices, which are refused.
@Suite("17TRACK")
struct SeventeenTrackTests {
    static let samples = ["seventeentrack_01_in_transit.json", "seventeentrack_04_delivered.json"]
    let now = Timestamp(seconds: 1_763_700_000)

    func sample(_ file: String) throws -> (body: Data, headers: HeaderList, key: String) {
        let signatures = try CarrierSignatureTests.Signatures.load()
        let key = try #require(signatures.secrets["seventeentrack_api_key"], "No test key 'seventeentrack_api_key'")
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("seventeentrack").appendingPathComponent(file))
        return (body, signatures.headers(file), key)
    }

    func verifier(_ key: String) throws -> SignatureVerifier {
        try SignatureVerifier(settings: try #require(registeredAdapter("seventeentrack")).defaultSignature, secrets: [key])
    }

    func expectRejected(_ label: String, _ work: () throws(GatewayError) -> VerifiedSignature) {
        let error = thrownError(work)
        #expect(error?.code == "invalid_signature", "\(label): expected invalid_signature, got \(error.map { "\($0.code)" } ?? "success")")
    }

    func normalise(_ name: String) throws -> NormalisedCallback {
        let fixture = Fixture(carrier: "seventeentrack", name: name)
        return try #require(registeredAdapter("seventeentrack")).normalise(try fixture.body(), context: fixtureContext(carrier: "seventeentrack"))
    }

    // MARK: Signature

    @Test("The published 'sign' values verify; a changed byte, a wrong key or no header are rejected", arguments: samples)
    func publishedSignVerifies(_ file: String) throws {
        let (body, headers, key) = try sample(file)
        #expect(headers.value(for: "sign")?.count == 64)
        // The samples carry non-ASCII text (a provider alias in Chinese): the digest is over the exact bytes.
        #expect(body.contains { $0 >= 0x80 })
        let verifier = try verifier(key)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: now) }
        // No timestamp is signed: the same callback verifies at any time (dedupe is the replay defence).
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: Timestamp(seconds: 4_000_000_000)) }

        var changed = body
        changed[changed.count / 2] ^= 0x01
        expectRejected("\(file) with one byte changed") { () throws(GatewayError) in try verifier.verify(body: changed, headers: headers, now: now) }
        let wrong = try self.verifier(key + "0")
        expectRejected("\(file) with a wrong key") { () throws(GatewayError) in try wrong.verify(body: body, headers: headers, now: now) }
        expectRejected("\(file) without 'sign'") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Content-Type", "application/json")]), now: now)
        }
    }

    @Test("The signer writes exactly the published header, and it is a plain SHA-256, not an HMAC")
    func signerMatchesPublishedValue() throws {
        let (body, headers, key) = try sample("seventeentrack_04_delivered.json")
        let settings = try verifier(key).settings
        let signed = HeaderList(try SignatureSigner(settings: settings, secret: key).headers(for: body, now: now))
        #expect(signed.value(for: "sign") == headers.value(for: "sign"))
        let plain = ByteEncoding.hex(try Crypto.sha256(Array(body) + Array("/\(key)".utf8)))
        #expect(signed.value(for: "sign") == plain)
        let hmac = ByteEncoding.hex(try HMACKey(Array(key.utf8)).authenticate(body))
        #expect(signed.value(for: "sign") != hmac)
    }

    @Test("A malformed or uppercase-hex 'sign' is handled: malformed rejected, either case of hex accepted")
    func signFormats() throws {
        let (body, headers, key) = try sample("seventeentrack_01_in_transit.json")
        let verifier = try verifier(key)
        let sign = try #require(headers.value(for: "sign"))
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList([("sign", sign.uppercased())]), now: now) }
        for bad in ["", "zz", String(sign.dropLast(2)), sign + "00", "sha256=" + sign] {
            expectRejected("sign '\(bad)'") { () throws(GatewayError) in try verifier.verify(body: body, headers: HeaderList([("sign", bad)]), now: now) }
        }
    }

    // MARK: Adapter

    @Test("Across providers the newest scan is the latest instant, not the first listed nor the latest wall clock")
    func newestAcrossProvidersIsByInstant() throws {
        let callback = try normalise("seventeentrack_multi_provider_newest_by_instant")
        #expect(callback.events.count == 6)
        let newest = try #require(callback.newestEvent)
        #expect(newest.carrierStatusCode == "DeliveryFailure_NoBody")
        #expect(newest.occurredAt.rfc3339 == "2025-11-24T02:30:00Z")
        // The first event listed reads later on the wall clock (09:05 +08:00 on the 24th) yet is earlier.
        let first = try #require(callback.events.first)
        #expect(first.occurredAt < newest.occurredAt)
        #expect(callback.events.firstIndex(of: newest) == 3)
    }

    @Test("A stop notice and an update without events are notices; an update with events is not")
    func notices() throws {
        #expect(try normalise("seventeentrack_tracking_stopped").isNotice)
        #expect(try normalise("seventeentrack_not_found_no_events").isNotice)
        #expect(try !normalise("seventeentrack_01_in_transit").isNotice)
    }

    @Test("Unknown events, missing fields and an older scan without a code are invalid payloads", arguments: [
        #"{"event":"TRACKING_DELETED","data":{"number":"X1"}}"#,
        #"{"data":{"number":"X1"}}"#,
        #"{"event":"TRACKING_STOPPED","data":{}}"#,
        #"{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"tracking":{"providers":[{"events":[{"sub_status":"InTransit_Other"}]}]}}}}"#,
        #"{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"tracking":{"providers":[{"events":[{"time_iso":"yesterday","sub_status":"InTransit_Other"}]}]}}}}"#,
        #"{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"tracking":{"providers":[{"events":[{"time_raw":{"date":"2025-11-20","time":"10:00:00","timezone":"PST"},"sub_status":"InTransit_Other"}]}]}}}}"#,
        #"{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"latest_status":{"status":"InTransit"},"tracking":{"providers":[{"events":[{"time_utc":"2025-11-20T10:00:00Z","sub_status":"InTransit_Other"},{"time_utc":"2025-11-19T10:00:00Z"}]}]}}}}"#,
        #"{"event":"TRACKING_UPDATED","data":{"number":"X1","track_info":{"tracking":{"providers":[{"events":[{"time_utc":"2099-01-01T00:00:00Z","sub_status":"Delivered_Other"}]}]}}}}"#,
    ])
    func invalidBodies(_ body: String) throws {
        let adapter = try #require(registeredAdapter("seventeentrack"))
        let context = NormalisationContext(tenant: "acme", carrier: "seventeentrack", receivedAt: now)
        let error = thrownError { () throws(GatewayError) in try adapter.normalise(Data(body.utf8), context: context) }
        #expect(error?.code == "invalid_payload", "\(body)")
    }

    @Test("Status families and sub-statuses map as CARRIERS.md lists them")
    func statusMapping() {
        typealias S = SeventeenTrackStatus
        let cases: [(String?, String?, String?, TrackingStatus)] = [
            ("NotFound_Other", nil, nil, .unknown), ("InfoReceived", nil, nil, .pending), ("InTransit_PickedUp", "PickedUp", nil, .pickedUp),
            ("InTransit_Other", nil, nil, .inTransit), ("Expired_Other", nil, nil, .unknown),
            ("AvailableForPickup_Other", nil, nil, .readyForPickup), ("OutForDelivery_Other", nil, nil, .outForDelivery),
            ("DeliveryFailure_NoBody", nil, nil, .deliveryFailed), ("Delivered_Other", nil, nil, .delivered),
            ("Exception_Other", nil, nil, .onHold), ("Exception_Returning", nil, nil, .returnToSender),
            ("Exception_Returned", nil, nil, .returnToSender), ("Exception_Delayed", nil, nil, .deliveryDelayed),
            ("exception_cancel", nil, nil, .cancelled), (nil, "Returning", nil, .returnToSender), (nil, nil, "Delivered", .delivered),
            (nil, nil, "Whatever", .unknown), ("Mystery_Code", nil, nil, .unknown),
        ]
        for (sub, stage, status, want) in cases {
            #expect(S.status(subStatus: sub, stage: stage, status: status) == want, "\(sub ?? "-") \(stage ?? "-") \(status ?? "-")")
        }
    }
}
