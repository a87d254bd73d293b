import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Every response of the hook (README, "HTTP contract") over a real server.
@Suite(.timeLimit(.minutes(2))) struct IngressTests {
    @Test func unknownTenantOrCarrierIs404UnknownSource() async throws {
        try await TestGateway.run { gateway in
            let body = Array(#"{"tracking_number":"T","status":"in_transit"}"#.utf8)
            try await gateway.request("POST", "/v1/hooks/nobody/generic", body: body).expectError(404, "unknown_source")
            try await gateway.request("POST", "/v1/hooks/shopstream/pigeon", body: body).expectError(404, "unknown_source")
        }
    }

    @Test func bodyOverTheLimitIs413WithContentLengthAndChunked() async throws {
        try await TestGateway.run(config: TestGateway.defaultConfig(maxBodyBytes: 1024)) { gateway in
            let big = Array(repeating: UInt8(ascii: "a"), count: 4096)
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", body: big).expectError(413, "payload_too_large")
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", body: big, chunked: true).expectError(413, "payload_too_large")
            // Under the limit a chunked body is read whole and verified as usual.
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-C")
            let small = Array(#"{"tracking_number":"T-C","status":"in_transit"}"#.utf8)
            let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: signer.headers(for: Data(small), now: gateway.clock.now()), body: small, chunked: true).expect(200)
        }
    }

    @Test func badSignaturesAre401AndStoreNothing() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-SIG")
            let json = #"{"tracking_number":"T-SIG","status":"in_transit"}"#
            let body = Array(json.utf8)
            let path = "/v1/hooks/shopstream/generic"
            // Missing.
            let missing = try await gateway.request("POST", path, body: body).expectError(401, "invalid_signature")
            #expect(missing["detail"].string?.contains("X-Carrier-Signature") == true)
            // Malformed: no prefix, not hex.
            try await gateway.request("POST", path, headers: [("X-Carrier-Signature", "deadbeef")], body: body).expectError(401, "invalid_signature")
            try await gateway.request("POST", path, headers: [("X-Carrier-Signature", "sha256=zz")], body: body).expectError(401, "invalid_signature")
            // Wrong secret.
            try await gateway.callback(json, secret: "not-the-secret").expectError(401, "invalid_signature")
            // Right signature over other bytes.
            let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
            let tampered = Array(#"{"tracking_number":"T-SIG","status":"delivered"}"#.utf8)
            try await gateway.request("POST", path, headers: signer.headers(for: Data(body), now: gateway.clock.now()), body: tampered).expectError(401, "invalid_signature")
            let error = try await gateway.callback(json, secret: "not-the-secret").json
            #expect(!(error["detail"].string ?? "").contains(TestGateway.secret))
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.isEmpty)
        }
    }

    @Test func staleTimestampedSignatureIs401() async throws {
        var config = TestGateway.defaultConfig()
        config.tenants[0].sources = [SourceConfig(carrier: "generic", scheme: "standard-webhooks", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], toleranceSeconds: 60)]
        try await TestGateway.run(config: config) { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-SW")
            let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
            let signer = try SignatureSigner(settings: settings, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            let body = Array(#"{"tracking_number":"T-SW","status":"in_transit"}"#.utf8)
            let stale = try signer.headers(for: Data(body), now: gateway.clock.now().adding(milliseconds: -61_000))
            let rejected = try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: stale, body: body).expectError(401, "invalid_signature")
            #expect(rejected["detail"].string?.contains("tolerance") == true)
            let fresh = try signer.headers(for: Data(body), now: gateway.clock.now().adding(milliseconds: -30_000))
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: fresh, body: body).expect(200)
            // The same webhook-id again (a replay with a fresh signature) is a duplicate.
            let replayed = try signer.headers(for: Data(body), now: gateway.clock.now(), messageId: fresh.first { $0.0 == "webhook-id" }?.1)
            let duplicate = try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: replayed, body: body).expect(200)
            #expect(duplicate["status"].string == "duplicate")
        }
    }

    /// `tolerance_s: 0` turns the timestamp window off, so traffic captured days ago replays with its original
    /// signatures; the gateway says so at start. A forged signature is still refused.
    @Test func aSourceWithToleranceZeroAcceptsOldSignaturesAndWarns() async throws {
        var config = TestGateway.defaultConfig()
        config.tenants[0].sources = [SourceConfig(carrier: "generic", scheme: "standard-webhooks", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], toleranceSeconds: 0)]
        let logs = LogCapture()
        try await TestGateway.run(config: config, logHandler: logs.handler) { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-OLD")
            let signer = try SignatureSigner(settings: SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature"),
                                             secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            let body = Array(#"{"tracking_number":"T-OLD","status":"in_transit"}"#.utf8)
            let captured = try signer.headers(for: Data(body), now: gateway.clock.now().adding(milliseconds: -9 * 86_400_000))
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: captured, body: body).expect(200)
            let forged = captured.map { $0.0 == "webhook-signature" ? ($0.0, "v1,AAAA") : $0 }
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: forged, body: Array(#"{"tracking_number":"T-OLD","status":"delivered"}"#.utf8))
                .expectError(401, "invalid_signature")
        }
        #expect(logs.all.contains { $0.contains("tolerance_s: 0") && $0.contains("shopstream") })
    }

    @Test func malformedPayloadsAre400() async throws {
        try await TestGateway.run { gateway in
            for bad in [
                "", "not json", "[1,2,3]", "{}", #"{"status":"in_transit"}"#, #"{"tracking_number":"T"}"#,
                #"{"tracking_number":"T","status":5}"#, #"{"tracking_number":"T","status":"in_transit","occurred_at":"yesterday"}"#,
                #"{"tracking_number":"T","status":"in_transit","location":[1]}"#, "{\"tracking_number\":\"T\",\"status\":\"\u{FFFD}",
            ] {
                let body = try await gateway.callback(bad).expectError(400, "invalid_payload")
                #expect(!(body["detail"].string ?? "").isEmpty, "\(bad)")
            }
        }
    }

    @Test func duplicateDeliveriesAreStoredOnce() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-DUP")
            // Same body twice.
            let json = #"{"tracking_number":"T-DUP","status":"in_transit","occurred_at":"2026-11-20T10:00:00Z"}"#
            #expect(try await gateway.callback(json).expect(200)["status"].string == "applied")
            #expect(try await gateway.callback(json).expect(200)["status"].string == "duplicate")
            // Same provider event id, different bytes.
            #expect(try await gateway.callback(#"{"tracking_number":"T-DUP","status":"in_transit","event_id":"evt-9","occurred_at":"2026-11-20T11:00:00Z"}"#).expect(200)["status"].string == "applied")
            #expect(try await gateway.callback(#"{"event_id":"evt-9","tracking_number":"T-DUP","status":"in_transit","occurred_at":"2026-11-20T11:00:00Z"}"#).expect(200)["status"].string == "duplicate")
            // The same scan in a differently formatted body.
            #expect(try await gateway.callback(#"{ "status": "in_transit", "tracking_number": "T-DUP", "occurred_at": "2026-11-20T05:00:00-05:00" }"#).expect(200)["status"].string == "duplicate")
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.count == 2)
        }
    }

    @Test func outOfOrderEventsAreKeptButDoNotMoveStatus() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-OOO")
            try await gateway.callback(#"{"tracking_number":"T-OOO","status":"in_transit","occurred_at":"2026-11-20T10:00:00Z"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"T-OOO","status":"delivered","occurred_at":"2026-11-21T10:00:00Z"}"#).expect(200)
            // An older exception arrives late: kept, sorted by time, status stays DELIVERED.
            let late = try await gateway.callback(#"{"tracking_number":"T-OOO","status":"delivery_failed","occurred_at":"2026-11-20T18:00:00Z"}"#).expect(200)
            #expect(late["fulfillment_status"].string == "DELIVERED")
            let final = try await gateway.fulfillment("f")
            #expect(final["status"].string == "DELIVERED")
            let history = final["tracking_events"].array
            #expect(history.map { $0["occurred_at"].string ?? "" } == ["2026-11-20T10:00:00Z", "2026-11-20T18:00:00Z", "2026-11-21T10:00:00Z"])
            #expect(history.map { $0["applied"].bool ?? true } == [true, false, true])
            #expect(final["actual_delivery"].string == "2026-11-21T10:00:00Z")
        }
    }

    @Test func deliveryThatOvertookTransitIsAppliedWhenTransitArrives() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-OVR")
            try await gateway.callback(#"{"tracking_number":"T-OVR","status":"delivered","occurred_at":"2026-11-21T10:00:00Z"}"#).expectError(409, "invalid_transition")
            let transit = try await gateway.callback(#"{"tracking_number":"T-OVR","status":"in_transit","occurred_at":"2026-11-20T10:00:00Z"}"#).expect(200)
            #expect(transit["fulfillment_status"].string == "DELIVERED")
            let final = try await gateway.fulfillment("f")
            #expect(final["tracking_events"].array.map { $0["fulfillment_status"].string ?? "" } == ["IN_TRANSIT", "DELIVERED"])
            #expect(final["tracking_events"].array.allSatisfy { $0["applied"].bool == true })
        }
    }

    @Test func oneTenantsSecretDoesNotVerifyAnothersCallback() async throws {
        try await TestGateway.run { gateway in
            try await gateway.callback(#"{"tracking_number":"T","status":"in_transit"}"#, tenant: "other", secret: TestGateway.secret).expectError(401, "invalid_signature")
        }
    }
}
