import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// ShipEngine's RSA-SHA256 signatures (`rsa-sha256-jwks`) against the shared samples, their published headers
/// and the shared test JWKS. The samples are dated 2025, so the sources here turn the window off
/// (`tolerance_s: 0`), except where the window itself is under test.
@Suite("ShipEngine signatures")
struct ShipEngineSignatureTests {
    typealias Signatures = CarrierSignatureTests.Signatures
    static let samples = ["shipengine_01_in_transit.json", "shipengine_04_delivered.json"]
    static let kid = "se-fixture-test-key-2025-11"
    static let now = Timestamp(seconds: 1_900_000_000)

    func jwks() throws -> String {
        try #require(try Signatures.load().shipEngineJWKS, "No _test_secrets.shipengine_jwks in signatures.json")
    }

    func verifier(jwks: String, toleranceSeconds: Int = 0) throws -> SignatureVerifier {
        var settings = ShipEngineAdapter().defaultSignature
        settings.toleranceSeconds = toleranceSeconds
        return try SignatureVerifier(settings: settings, secrets: [jwks])
    }

    func sample(_ file: String) throws -> (body: Data, headers: HeaderList) {
        let body = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("shipengine").appendingPathComponent(file))
        return (body, try Signatures.load().headers(file))
    }

    /// `headers` with `name` set to `value` (or removed when `nil`).
    func replacing(_ headers: HeaderList, _ name: String, with value: String?) -> HeaderList {
        var fields = headers.fields.filter { !$0.name.caseInsensitiveEquals(name) }.map { ($0.name, $0.value) }
        if let value { fields.append((name, value)) }
        return HeaderList(fields)
    }

    func expectRejected(_ label: String, _ work: () throws(GatewayError) -> VerifiedSignature) {
        let error = thrownError(work)
        #expect(error?.code == "invalid_signature", "\(label): expected invalid_signature, got \(error.map { "\($0.code): \($0.detail)" } ?? "success")")
    }

    @Test("Both shared samples verify with the shared JWKS and their published headers", arguments: samples)
    func samplesVerify(_ file: String) throws {
        let (body, headers) = try sample(file)
        #expect(headers.value(for: "x-shipengine-rsa-sha256-key-id") == Self.kid)
        let verifier = try verifier(jwks: try jwks())
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: Self.now) }
    }

    @Test("A changed byte, another key and an unknown key id are rejected", arguments: samples)
    func tamperingRejected(_ file: String) throws {
        let (body, headers) = try sample(file)
        let jwks = try jwks()
        let verifier = try verifier(jwks: jwks)
        var changed = body
        changed[changed.count / 2] ^= 0x01
        expectRejected("\(file) changed byte") { () throws(GatewayError) in try verifier.verify(body: changed, headers: headers, now: Self.now) }
        let retimed = replacing(headers, "x-shipengine-timestamp", with: "2025-11-20T04:41:08Z")
        expectRejected("\(file) other timestamp") { () throws(GatewayError) in try verifier.verify(body: body, headers: retimed, now: Self.now) }
        // Another key under the same id: the modulus with one bit flipped.
        let other = try self.verifier(jwks: try Self.jwksWithFlippedModulus(jwks))
        expectRejected("\(file) another key") { () throws(GatewayError) in try other.verify(body: body, headers: headers, now: Self.now) }
        let unknown = replacing(headers, "x-shipengine-rsa-sha256-key-id", with: "se-unknown-key")
        expectRejected("\(file) unknown kid") { () throws(GatewayError) in try verifier.verify(body: body, headers: unknown, now: Self.now) }
    }

    @Test("A stale timestamp is rejected when the window is on, and accepted inside it")
    func staleTimestamp() throws {
        let (body, headers) = try sample(Self.samples[0])
        let verifier = try verifier(jwks: try jwks(), toleranceSeconds: 300)
        // x-shipengine-timestamp 2025-11-20T04:41:07Z.
        let signedAt = Timestamp(seconds: 1_763_613_667)
        #expect(throws: Never.self) { try verifier.verify(body: body, headers: headers, now: signedAt.adding(milliseconds: 299_000)) }
        expectRejected("5 min + 1 s later") { () throws(GatewayError) in try verifier.verify(body: body, headers: headers, now: signedAt.adding(milliseconds: 301_000)) }
        expectRejected("5 min + 1 s earlier") { () throws(GatewayError) in try verifier.verify(body: body, headers: headers, now: signedAt.adding(milliseconds: -301_000)) }
        expectRejected("years later") { () throws(GatewayError) in try verifier.verify(body: body, headers: headers, now: Self.now) }
    }

    @Test("Missing headers, bad base64 and a malformed timestamp are rejected")
    func malformedHeaders() throws {
        let (body, headers) = try sample(Self.samples[1])
        let verifier = try verifier(jwks: try jwks())
        for name in ["x-shipengine-rsa-sha256-signature", "x-shipengine-timestamp", "x-shipengine-rsa-sha256-key-id"] {
            let missing = replacing(headers, name, with: nil)
            expectRejected("missing \(name)") { () throws(GatewayError) in try verifier.verify(body: body, headers: missing, now: Self.now) }
        }
        for bad in ["not base64!", "", "AAAA"] {
            let garbled = replacing(headers, "x-shipengine-rsa-sha256-signature", with: bad)
            expectRejected("signature '\(bad)'") { () throws(GatewayError) in try verifier.verify(body: body, headers: garbled, now: Self.now) }
        }
        let naive = replacing(headers, "x-shipengine-timestamp", with: "2025-11-21T19:36:07")
        expectRejected("timestamp without offset") { () throws(GatewayError) in try verifier.verify(body: body, headers: naive, now: Self.now) }
    }

    @Test("A JWKS secret that is not JSON, has no RSA key or a short key is refused at load")
    func badJWKS() throws {
        let settings = ShipEngineAdapter().defaultSignature
        // A modulus past OpenSSL's 16,384-bit limit: each verification would cost without bound.
        let huge = String(repeating: "z", count: 2_800)
        for bad in ["not json", #"{"keys":[]}"#, #"{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}"#, #"{"keys":[{"kty":"RSA","kid":"k","n":"a+b/","e":"AQAB"}]}"#,
                    #"{"keys":[{"kty":"RSA","kid":"k","n":"\#(huge)","e":"AQAB"}]}"#] {
            let error = thrownError { () throws(GatewayError) in try SignatureVerifier(settings: settings, secrets: [bad]) }
            #expect(error?.code == "bad_request", "JWKS \(bad)")
        }
    }

    @Test("The signer refuses: only ShipEngine holds the private key")
    func signerRefuses() throws {
        let signer = try SignatureSigner(settings: ShipEngineAdapter().defaultSignature, secret: try jwks())
        #expect(thrownError { () throws(GatewayError) in try signer.headers(for: Data("{}".utf8), now: Self.now) } != nil)
    }

    /// The JWKS with one bit of its first key's modulus flipped: a valid key that did not sign the samples.
    static func jwksWithFlippedModulus(_ jwks: String) throws -> String {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(jwks.utf8)) as? [String: Any])
        var keys = try #require(root["keys"] as? [[String: Any]])
        let n = try #require(keys[0]["n"] as? String)
        var modulus = try #require(ByteEncoding.fromBase64URL(n))
        modulus[modulus.count - 1] ^= 0x02
        keys[0]["n"] = Data(modulus).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        root["keys"] = keys
        return String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
    }
}

/// Signing as ShipEngine does with a test private key (`parcelgate replay --private-key`), and sources whose
/// keys are fetched from a JWKS URL.
@Suite("ShipEngine test keys and JWKS locations")
struct ShipEngineTestKeyTests {
    static let now = Timestamp(seconds: 1_900_000_000)

    /// The committed QA key: its public half is the demo source's second key, by its RFC 7638 thumbprint.
    func qaKey() throws -> RSAPrivateKey {
        let path = TestPaths.fixtures.deletingLastPathComponent().appendingPathComponent("config/qa/shipengine-test-private-key.pem")
        return try RSAPrivateKey(pem: Array(try Data(contentsOf: path)))
    }

    @Test func aSignatureMadeWithTheTestKeyVerifiesAgainstItsPublicJWKS() throws {
        let key = try qaKey()
        let kid = try key.thumbprint()
        let settings = ShipEngineAdapter().defaultSignature
        let body = Data(#"{"resource_type":"API_TRACK"}"#.utf8)
        let headers = try SignatureSigner(settings: settings, privateKey: key, keyId: kid).headers(for: body, now: Self.now)
        let verifier = try SignatureVerifier(settings: settings, secrets: [key.publicJWKS(keyId: kid)])
        _ = try verifier.verify(body: body, headers: HeaderList(headers), now: Self.now)
        // One byte changed, or another key id: refused.
        #expect(thrownError { () throws(GatewayError) in try verifier.verify(body: body + Data("x".utf8), headers: HeaderList(headers), now: Self.now) }?.code == "invalid_signature")
        let renamed = headers.map { $0.0 == SignatureSettings.RSAKeyHeader.keyId ? ($0.0, "other") : $0 }
        #expect(thrownError { () throws(GatewayError) in try verifier.verify(body: body, headers: HeaderList(renamed), now: Self.now) }?.code == "invalid_signature")
        // The timestamp is an RFC 3339 instant, as ShipEngine sends, inside the 300 s window.
        #expect(headers.first { $0.0 == SignatureSettings.RSAKeyHeader.timestamp }?.1 == Self.now.rfc3339)
    }

    @Test func theDemoSourceHoldsTheQAKeyByItsThumbprint() throws {
        let kid = try qaKey().thumbprint()
        let demo = try String(contentsOf: TestPaths.fixtures.deletingLastPathComponent().appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        #expect(demo.contains(#""kid":"\#(kid)""#), "config/demo.yaml should list the QA key as \(kid)")
    }

    /// RFC 7638 section 3.1's example key and thumbprint.
    @Test func thumbprintMatchesRFC7638() throws {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let modulus = try #require(ByteEncoding.fromBase64URL(n))
        #expect(try RSAPrivateKey.thumbprint(modulus: modulus, exponent: [1, 0, 1]) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func privateKeyFilesAreParsedStrictly() {
        for (label, pem) in [("empty", ""), ("not PEM", "hello"), ("public key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"),
                             ("truncated", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")] {
            #expect(thrownError { () throws(GatewayError) in _ = try RSAPrivateKey(pem: Array(pem.utf8)) }?.code == "bad_request", "\(label)")
        }
        #expect(thrownError { () throws(GatewayError) in _ = try RSAPrivateKey(pem: [UInt8](repeating: 65, count: 70_000)) }?.code == "bad_request")
    }

    @Test func aURLSecretNamesWhereTheKeysAreFetchedAndOnlyThoseFetchedVerify() throws {
        let key = try qaKey()
        let settings = ShipEngineAdapter().defaultSignature
        let verifier = try SignatureVerifier(settings: settings, secrets: ["https://keys.example/jwks"])
        #expect(verifier.keySetLocations.map(\.url) == ["https://keys.example/jwks"])
        let body = Data("{}".utf8)
        let headers = HeaderList(try SignatureSigner(settings: settings, privateKey: key, keyId: "qa").headers(for: body, now: Self.now))
        #expect(SignatureVerifier.presentedKeyId(headers) == "qa")
        // Nothing fetched: the key id is unknown.
        #expect(thrownError { () throws(GatewayError) in try verifier.verify(body: body, headers: headers, now: Self.now) }?.code == "invalid_signature")
        let fetched = try JSONWebKeySet(document: Array(key.publicJWKS(keyId: "qa").utf8))
        _ = try verifier.verify(body: body, headers: headers, now: Self.now, fetched: [fetched])
    }

    @Test func jwksLocationsAreHTTPSOrLoopbackOnly() throws {
        for good in ["https://api.shipengine.com/jwks", "http://127.0.0.1:9000/jwks", "http://localhost/jwks", "http://[::1]:80/jwks"] {
            #expect(try KeySetLocation.parse(good)?.url == good, "\(good)")
        }
        #expect(try KeySetLocation.parse(#"{"keys":[]}"#) == nil, "JWKS text is not a location")
        for bad in ["http://api.shipengine.com/jwks", "https://user:pass@keys.example/jwks", "https://", "http://10.0.0.1/jwks",
                    "https://keys.example/" + String(repeating: "a", count: 3_000)] {
            #expect(thrownError { () throws(GatewayError) in _ = try KeySetLocation.parse(bad) }?.code == "bad_request", "\(bad.prefix(60))")
        }
        #expect(thrownError { () throws(GatewayError) in _ = try JSONWebKeySet(document: [UInt8](repeating: 32, count: JSONWebKeySet.maximumBytes + 1)) }?.code == "bad_request")
    }
}
