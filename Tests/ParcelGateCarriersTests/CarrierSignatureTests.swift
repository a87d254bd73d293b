import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// Each carrier's default authentication against the headers in `shared/carrier-samples/signatures.json`,
/// computed over the exact bytes of the samples that `fixtures/` copies.
@Suite("Carrier signatures")
struct CarrierSignatureTests {
    /// `signatures.json`, read at test time from `<repo>/../shared`.
    struct Signatures {
        let secrets: [String: String]
        /// ShipEngine's test JWKS (`_test_secrets.shipengine_jwks`, a JSON object), as the JSON text a source's secret holds.
        let shipEngineJWKS: String?
        let files: [String: [String: String]]

        static func load() throws -> Signatures {
            let root = try jsonObject(at: TestPaths.carrierSamples.appendingPathComponent("signatures.json"))
            // Entries that are not text (ShipEngine's JWKS, an object) belong to carriers read elsewhere.
            let rawSecrets = (root["_test_secrets"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            var files: [String: [String: String]] = [:]
            for (name, value) in root["files"] as? [String: Any] ?? [:] {
                files[name] = (value as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            }
            let jwks = ((root["_test_secrets"] as? [String: Any])?["shipengine_jwks"]).flatMap { try? JSONSerialization.data(withJSONObject: $0) }
            return Signatures(secrets: rawSecrets.mapValues(Self.secretValue), shipEngineJWKS: jwks.map { String(decoding: $0, as: UTF8.self) }, files: files)
        }

        /// Entries are written `value  (explanation)` and may use a JSON-style `\uXXXX` escape for a
        /// character that must survive as text (EasyPost's ligature): the value is the first word, unescaped.
        static func secretValue(_ text: String) -> String {
            let word = String(text.prefix { $0 != " " })
            var out = ""
            var rest = Substring(word)
            while let escape = rest.range(of: "\\u") {
                out += rest[..<escape.lowerBound]
                let hex = rest[escape.upperBound...].prefix(4)
                if hex.count == 4, let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    out.unicodeScalars.append(scalar)
                    rest = rest[escape.upperBound...].dropFirst(4)
                } else {
                    out += "\\u"
                    rest = rest[escape.upperBound...]
                }
            }
            return out + rest
        }

        /// The sample's real headers (entries not starting with `_`), each value's first word only for
        /// the placeholder entries that explain themselves in parentheses.
        func headers(_ file: String) -> HeaderList {
            HeaderList((files[file] ?? [:]).filter { !$0.key.hasPrefix("_") }.map { ($0.key, Self.headerValue($0.value)) })
        }

        static func headerValue(_ value: String) -> String {
            guard let note = value.range(of: "  (") else { return value }
            return String(value[..<note.lowerBound])
        }
    }

    /// A sample signed with an HMAC, its carrier and the `_test_secrets` key of its secret.
    struct SignedSample: Sendable, CustomStringConvertible {
        let file: String
        let carrier: String
        let secretKey: String
        var description: String { file }
        var fixtureURL: URL { TestPaths.fixtures.appendingPathComponent(carrier).appendingPathComponent(file) }
    }

    static let hmacSamples: [SignedSample] = ([
        ("fedex", "fedex_security_token"), ("easypost", "easypost_webhook_secret"),
        ("shippo", "shippo_hmac_secret"), ("aftership", "aftership_webhook_secret"),
    ] as [(String, String)]).flatMap { carrier, key in
        ["_01_in_transit.json", "_04_delivered.json"].map { SignedSample(file: carrier + $0, carrier: carrier, secretKey: key) }
    }

    func verifier(_ carrier: String, secret: String, settings: SignatureSettings? = nil) throws -> SignatureVerifier {
        let adapter = try #require(registeredAdapter(carrier))
        return try SignatureVerifier(settings: settings ?? adapter.defaultSignature, secrets: [secret])
    }

    /// The instant a sample's signature is fresh at: Shippo's signed `t`, any time for the others.
    func signedAt(_ headers: HeaderList) -> Timestamp {
        let value = headers.value(for: "Shippo-Auth-Signature") ?? ""
        let t = value.split(separator: ",").first { $0.hasPrefix("t=") }.flatMap { Int64($0.dropFirst(2)) }
        return Timestamp(seconds: t ?? 1_763_700_000)
    }

    func expectRejected(_ label: String, _ work: () throws(GatewayError) -> VerifiedSignature) {
        let error = thrownError(work)
        #expect(error?.code == "invalid_signature", "\(label): expected invalid_signature, got \(error.map { "\($0.code)" } ?? "success")")
        #expect(error?.httpStatus == 401, "\(label): expected HTTP 401")
    }

    // MARK: HMAC carriers, against the published headers

    @Test("Published sample headers verify against the fixture copies", arguments: hmacSamples)
    func sampleHeadersVerify(_ sample: SignedSample) throws {
        let signatures = try Signatures.load()
        let secret = try #require(signatures.secrets[sample.secretKey], "No test secret '\(sample.secretKey)'")
        let headers = signatures.headers(sample.file)
        let body = try Data(contentsOf: sample.fixtureURL)
        let verifier = try verifier(sample.carrier, secret: secret)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: signedAt(headers)) }

        var changed = body
        changed[changed.count / 2] ^= 0x01
        expectRejected("\(sample) with one byte changed") { () throws(GatewayError) in
            try verifier.verify(body: changed, headers: headers, now: signedAt(headers))
        }
        let wrong = try self.verifier(sample.carrier, secret: secret + "x")
        expectRejected("\(sample) with a wrong secret") { () throws(GatewayError) in
            try wrong.verify(body: body, headers: headers, now: signedAt(headers))
        }
        let missing = HeaderList([("Content-Type", "application/json")])
        expectRejected("\(sample) without its signature header") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: missing, now: signedAt(headers))
        }
    }

    @Test("EasyPost's secret has a ligature and only verifies after NFKD normalisation")
    func easyPostNeedsNFKD() throws {
        let signatures = try Signatures.load()
        let secret = try #require(signatures.secrets["easypost_webhook_secret"])
        #expect(secret == "ep_test_\u{FB01}xture_secret")
        #expect(secret.unicodeScalars.contains("\u{FB01}"))
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("easypost/easypost_04_delivered.json"))
        let headers = signatures.headers("easypost_04_delivered.json")
        let now = Timestamp(seconds: 1_763_740_000)
        let normalising = try verifier("easypost", secret: secret)
        #expect(normalising.settings.normalizesSecret)
        #expect(throws: Never.self) { try normalising.verify(body: body, headers: headers, now: now) }

        var raw = try #require(registeredAdapter("easypost")).defaultSignature
        raw.normalizesSecret = false
        let plain = try verifier("easypost", secret: secret, settings: raw)
        expectRejected("EasyPost without NFKD") { () throws(GatewayError) in try plain.verify(body: body, headers: headers, now: now) }
    }

    @Test("A Shippo signature outside the 300 s tolerance is rejected")
    func shippoStaleTimestamp() throws {
        let signatures = try Signatures.load()
        let secret = try #require(signatures.secrets["shippo_hmac_secret"])
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("shippo/shippo_01_in_transit.json"))
        let headers = signatures.headers("shippo_01_in_transit.json")
        let signed = signedAt(headers)
        let verifier = try verifier("shippo", secret: secret)
        #expect(verifier.settings.toleranceSeconds == 300)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: signed.adding(milliseconds: 300_000)) }
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: signed.adding(milliseconds: -300_000)) }
        expectRejected("Shippo 301 s late") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: headers, now: signed.adding(milliseconds: 301_000))
        }
        expectRejected("Shippo 301 s early") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: headers, now: signed.adding(milliseconds: -301_000))
        }
    }

    // MARK: Static tokens and USPS, whose published entries are placeholders

    @Test("UPS accepts its credential in 'credential' and as 'Authorization: Bearer'")
    func upsCredentialOrBearer() throws {
        let signatures = try Signatures.load()
        let token = signatures.headers("ups_01_in_transit.json").value(for: "credential") ?? ""
        #expect(token == "ups_test_fixture_credential")
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("ups/ups_01_in_transit.json"))
        let verifier = try verifier("ups", secret: token)
        let now = Timestamp(seconds: 1_763_700_000)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList([("credential", token)]), now: now) }
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList([("Authorization", "Bearer " + token)]), now: now) }
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList([("authorization", "bearer " + token)]), now: now) }
        let signer = try SignatureSigner(settings: verifier.settings, secret: token)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList(signer.headers(for: body, now: now)), now: now) }

        expectRejected("UPS wrong credential") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("credential", token + "x")]), now: now)
        }
        expectRejected("UPS wrong bearer") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Authorization", "Bearer other")]), now: now)
        }
        expectRejected("UPS Basic instead of Bearer") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Authorization", "Basic " + token)]), now: now)
        }
        expectRejected("UPS without credential") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Content-Type", "application/json")]), now: now)
        }
    }

    @Test("DHL's push token verifies; a wrong or missing token is rejected")
    func dhlStaticToken() throws {
        let signatures = try Signatures.load()
        let headers = signatures.headers("dhl_04_delivered.json")
        let token = headers.value(for: "X-DHL-Push-Token") ?? ""
        #expect(token == "dhl_test_fixture_token")
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("dhl/dhl_04_delivered.json"))
        let verifier = try verifier("dhl", secret: token)
        let now = Timestamp(seconds: 1_763_700_000)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: now) }
        let signer = try SignatureSigner(settings: verifier.settings, secret: token)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: HeaderList(signer.headers(for: body, now: now)), now: now) }
        expectRejected("DHL wrong token") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("X-DHL-Push-Token", "dhl_other")]), now: now)
        }
        expectRejected("DHL missing token") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Content-Type", "application/json")]), now: now)
        }
    }

    @Test("USPS (no published vector): signed with SignatureSigner, verified, tampering rejected")
    func uspsSignedRoundTrip() throws {
        let secret = "usps_test_fixture_secret"
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("usps/usps_04_delivered.json"))
        let verifier = try verifier("usps", secret: secret)
        let now = Timestamp(seconds: 1_763_700_000)
        let headers = HeaderList(try SignatureSigner(settings: verifier.settings, secret: secret).headers(for: body, now: now))
        #expect(headers.value(for: "X-USPS-Signature") != nil)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: now) }
        var changed = body
        changed[0] ^= 0x20
        expectRejected("USPS changed byte") { () throws(GatewayError) in try verifier.verify(body: changed, headers: headers, now: now) }
        let wrong = try self.verifier("usps", secret: secret + "x")
        expectRejected("USPS wrong secret") { () throws(GatewayError) in try wrong.verify(body: body, headers: headers, now: now) }
        expectRejected("USPS missing header") { () throws(GatewayError) in
            try verifier.verify(body: body, headers: HeaderList([("Content-Type", "application/json")]), now: now)
        }
    }

    @Test("Every carrier's default signature round-trips through SignatureSigner", arguments: signableCarrierSlugs)
    func signerRoundTrip(_ carrier: String) throws {
        let secret = "round_trip_secret_\(carrier)"
        let verifier = try verifier(carrier, secret: secret)
        let body = Data(#"{"round":"trip"}"#.utf8)
        let now = Timestamp(seconds: 1_763_700_000)
        let headers = HeaderList(try SignatureSigner(settings: verifier.settings, secret: secret).headers(for: body, now: now))
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: now) }
        let other = try self.verifier(carrier, secret: secret + "x")
        expectRejected("\(carrier) other secret") { () throws(GatewayError) in try other.verify(body: body, headers: headers, now: now) }
        // A static token (UPS, DHL) does not cover the body; every MAC scheme does.
        if verifier.settings.scheme != .staticToken {
            expectRejected("\(carrier) other body") { () throws(GatewayError) in
                try verifier.verify(body: Data(#"{"round":"trap"}"#.utf8), headers: headers, now: now)
            }
        }
    }

    @Test("Default signature settings per CARRIERS.md")
    func defaultSettings() throws {
        typealias Location = SignatureSettings.HeaderLocation
        let expected: [String: SignatureSettings] = [
            "ups": SignatureSettings(scheme: .staticToken, header: "credential", alternatives: [Location(header: "Authorization", prefix: "Bearer ")]),
            "fedex": SignatureSettings(scheme: .hmacSHA256Base64, header: "fdx-signature"),
            "dhl": SignatureSettings(scheme: .staticToken, header: "X-DHL-Push-Token"),
            "usps": SignatureSettings(scheme: .hmacSHA256Hex, header: "X-USPS-Signature"),
            "easypost": SignatureSettings(scheme: .hmacSHA256Hex, header: "X-Hmac-Signature", prefix: "hmac-sha256-hex=", normalizesSecret: true),
            "shippo": SignatureSettings(scheme: .hmacSHA256Timestamped, header: "Shippo-Auth-Signature", toleranceSeconds: 300),
            "aftership": SignatureSettings(scheme: .hmacSHA256Base64, header: "aftership-hmac-sha256"),
            "seventeentrack": SignatureSettings(scheme: .sha256BodySlashKeyHex, header: "sign"),
            "shipengine": SignatureSettings(scheme: .rsaSHA256JWKS, header: "x-shipengine-rsa-sha256-signature", toleranceSeconds: 300,
                                            defaultKeySetURL: "https://api.shipengine.com/jwks"),
        ]
        for (carrier, settings) in expected {
            #expect(try #require(registeredAdapter(carrier)).defaultSignature == settings, "\(carrier) default signature")
        }
    }
}
