import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// The generic signature schemes, with the published test vectors of CARRIERS.md.
@Suite struct SignatureSchemeTests {
    let now = Timestamp(seconds: 1_614_265_330)

    func verify(_ settings: SignatureSettings, secrets: [String], body: String, headers: [(String, String)], now: Timestamp? = nil) throws(GatewayError) -> VerifiedSignature {
        try SignatureVerifier(settings: settings, secrets: secrets).verify(body: Data(body.utf8), headers: HeaderList(headers), now: now ?? self.now)
    }

    @Test func standardWebhooksPublishedVector() throws {
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        let headers = [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ]
        let verified = try verify(settings, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: #"{"test": 2432232314}"#, headers: headers)
        #expect(verified.messageId == "msg_p5jXN8AQM9LWM0D4loKWxJek")
        // Several signatures in one header: any valid one passes.
        let several = [headers[0], headers[1], ("webhook-signature", "v1,AAAA v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
        _ = try verify(settings, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: #"{"test": 2432232314}"#, headers: several)
        // Outside the tolerance.
        #expect(throws: GatewayError.self) {
            try verify(settings, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: #"{"test": 2432232314}"#, headers: headers, now: now.adding(milliseconds: 301_000))
        }
        // A changed byte.
        #expect(throws: GatewayError.self) {
            try verify(settings, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: #"{"test": 2432232315}"#, headers: headers)
        }
    }

    @Test func githubStyleHexVector() throws {
        let settings = SignatureSettings(scheme: .hmacSHA256Hex, header: "X-Hub-Signature-256", prefix: "sha256=")
        let headers = [("x-hub-signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
        _ = try verify(settings, secrets: ["It's a Secret to Everybody"], body: "Hello, World!", headers: headers)
        // Upper-case hex is the same signature.
        _ = try verify(settings, secrets: ["It's a Secret to Everybody"], body: "Hello, World!", headers: [("X-Hub-Signature-256", "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17")])
        #expect(throws: GatewayError.invalidSignature("Signature does not match")) {
            try verify(settings, secrets: ["It's a secret to everybody"], body: "Hello, World!", headers: headers)
        }
    }

    @Test func rotationAcceptsAnyActiveSecret() throws {
        let settings = SignatureSettings(scheme: .hmacSHA256Base64, header: "X-Sig")
        for secret in ["old", "new"] {
            let headers = try SignatureSigner(settings: settings, secret: secret).headers(for: Data("body".utf8), now: now)
            _ = try verify(settings, secrets: ["old", "new"], body: "body", headers: headers)
            _ = try verify(settings, secrets: ["new", "old"], body: "body", headers: headers)
        }
        let removed = try SignatureSigner(settings: settings, secret: "old").headers(for: Data("body".utf8), now: now)
        #expect(throws: GatewayError.self) { try verify(settings, secrets: ["new"], body: "body", headers: removed) }
    }

    @Test func timestampedSchemeChecksTolerance() throws {
        let settings = SignatureSettings(scheme: .hmacSHA256Timestamped, header: "Stripe-Signature", toleranceSeconds: 300)
        let signer = try SignatureSigner(settings: settings, secret: "whsec_test")
        let headers = try signer.headers(for: Data("payload".utf8), now: now)
        #expect(headers.first?.1.hasPrefix("t=1614265330,v1=") == true)
        _ = try verify(settings, secrets: ["whsec_test"], body: "payload", headers: headers, now: now.adding(milliseconds: 299_000))
        #expect(throws: GatewayError.self) {
            try verify(settings, secrets: ["whsec_test"], body: "payload", headers: headers, now: now.adding(milliseconds: 301_000))
        }
        #expect(throws: GatewayError.self) {
            try verify(settings, secrets: ["whsec_test"], body: "payload", headers: [("Stripe-Signature", "t=abc,v1=00")])
        }
    }

    @Test func staticTokenComparesTheWholeValueAfterThePrefix() throws {
        let settings = SignatureSettings(
            scheme: .staticToken, header: "credential",
            alternatives: [SignatureSettings.HeaderLocation(header: "Authorization", prefix: "Bearer ")]
        )
        _ = try verify(settings, secrets: ["tok-1"], body: "{}", headers: [("credential", "tok-1")])
        _ = try verify(settings, secrets: ["tok-1"], body: "{}", headers: [("Authorization", "Bearer tok-1")])
        #expect(throws: GatewayError.self) { try verify(settings, secrets: ["tok-1"], body: "{}", headers: [("credential", "tok-12")]) }
        #expect(throws: GatewayError.self) { try verify(settings, secrets: ["tok-1"], body: "{}", headers: [("Authorization", "tok-1")]) }
        #expect(throws: GatewayError.self) { try verify(settings, secrets: ["tok-1"], body: "{}", headers: []) }
    }

    @Test func malformedHeadersAreInvalidSignaturesNotCrashes() {
        let hex = SignatureSettings(scheme: .hmacSHA256Hex, header: "X-Sig", prefix: "sha256=")
        let webhooks = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        let cases: [(SignatureSettings, [(String, String)])] = [
            (hex, [("X-Sig", "")]), (hex, [("X-Sig", "sha256=")]), (hex, [("X-Sig", "sha256=abc")]),
            (hex, [("X-Sig", "sha256=" + String(repeating: "g", count: 64))]), (hex, [("X-Sig", String(repeating: "ab", count: 32))]),
            (webhooks, [("webhook-id", "x"), ("webhook-timestamp", "nan"), ("webhook-signature", "v1,AAAA")]),
            (webhooks, [("webhook-id", "x"), ("webhook-timestamp", "1614265330"), ("webhook-signature", "v2,AAAA")]),
            (webhooks, [("webhook-id", "x"), ("webhook-timestamp", "99999999999999999999999"), ("webhook-signature", ",,,")]),
        ]
        for (settings, headers) in cases {
            let secret = settings.scheme == .standardWebhooks ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "s"
            #expect(throws: GatewayError.self, "\(headers)") { try verify(settings, secrets: [secret], body: "{}", headers: headers) }
        }
    }

    @Test func invalidSecretsAreRejectedAtConfiguration() {
        #expect(throws: GatewayError.self) { try SignatureVerifier(settings: SignatureSettings(scheme: .hmacSHA256Hex, header: "X"), secrets: []) }
        #expect(throws: GatewayError.self) { try SignatureVerifier(settings: SignatureSettings(scheme: .hmacSHA256Hex, header: "X"), secrets: [""]) }
        #expect(throws: GatewayError.self) { try SignatureVerifier(settings: SignatureSettings(scheme: .standardWebhooks, header: "X"), secrets: ["whsec_***"]) }
    }

    @Test func signerAndVerifierAgreeForEveryScheme() throws {
        // `rsa-sha256-jwks` cannot sign (its secret is a public JWKS): ShipEngineSignatureTests covers it.
        for scheme in SignatureScheme.allCases where scheme != .rsaSHA256JWKS {
            let settings = SignatureSettings(scheme: scheme, header: "X-Sig", prefix: scheme == .staticToken ? "Bearer " : "")
            let secret = scheme == .standardWebhooks ? "whsec_" + ByteEncoding.base64(Array("0123456789abcdef".utf8)) : "secret-\(scheme.rawValue)"
            let headers = try SignatureSigner(settings: settings, secret: secret).headers(for: Data("{}".utf8), now: now)
            _ = try verify(settings, secrets: ["other", secret].filter { scheme != .standardWebhooks || $0 != "other" }, body: "{}", headers: headers)
        }
    }
    /// Issue 13: these timestamps made `now - t` overflow and trapped the process before any MAC was computed.
    /// Every one is a plain `invalid_signature` now, for both timestamped schemes.
    @Test(arguments: ["-9223372036854775808", "9223372036854775807", "-1", "+1614265330", " 1614265330", "1614265330.0",
                      "0x60378a32", "1_614_265_330", "99999999999999999999", "1614265330000"])
    func extremeTimestampsAreRejectedWithoutTrapping(timestamp: String) {
        let zeros = String(repeating: "0", count: 64)
        let shippo = SignatureSettings(scheme: .hmacSHA256Timestamped, header: "Shippo-Auth-Signature")
        #expect(throws: GatewayError.self) {
            try verify(shippo, secrets: ["s"], body: "{}", headers: [("Shippo-Auth-Signature", "t=\(timestamp),v1=\(zeros)")])
        }
        let webhooks = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        #expect(throws: GatewayError.self) {
            try verify(webhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: "{}", headers: [
                ("webhook-id", "msg_1"), ("webhook-timestamp", timestamp), ("webhook-signature", "v1," + ByteEncoding.base64([UInt8](repeating: 0, count: 32))),
            ])
        }
    }

    /// Standard Webhooks: a signature may arrive on any of several `webhook-signature` header lines.
    @Test func standardWebhooksReadsEverySignatureHeaderLine() throws {
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        let valid = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        let headers = [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,AAAA v1," + ByteEncoding.base64([UInt8](repeating: 7, count: 32))), ("Webhook-Signature", valid),
        ]
        _ = try verify(settings, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], body: #"{"test": 2432232314}"#, headers: headers)
    }

    /// The signed content holds the timestamp header's exact text: a sender that writes `01614265330` signed
    /// those digits, not the number re-rendered.
    @Test func signedContentUsesTheTimestampTextAsSent() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        let key = try HMACKey(ByteEncoding.fromBase64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") ?? [])
        let mac = ByteEncoding.base64(try key.authenticate(Array("msg_1.01614265330.{}".utf8)))
        _ = try verify(settings, secrets: [secret], body: "{}", headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "01614265330"), ("webhook-signature", "v1," + mac)])
        // The same MAC does not pass for the re-rendered number.
        #expect(throws: GatewayError.self) {
            try verify(settings, secrets: [secret], body: "{}", headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "1614265330"), ("webhook-signature", "v1," + mac)])
        }
        let shippo = SignatureSettings(scheme: .hmacSHA256Timestamped, header: "Shippo-Auth-Signature")
        let hex = ByteEncoding.hex(try HMACKey(Array("s".utf8)).authenticate(Array("01614265330.{}".utf8)))
        _ = try verify(shippo, secrets: ["s"], body: "{}", headers: [("Shippo-Auth-Signature", "t=01614265330,v1=\(hex)")])
        #expect(throws: GatewayError.self) {
            try verify(shippo, secrets: ["s"], body: "{}", headers: [("Shippo-Auth-Signature", "t=1614265330,t=01614265330,v1=\(hex)")])
        }
    }
}
