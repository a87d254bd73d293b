import Foundation
import NIOConcurrencyHelpers
import ParcelGateCarriers
import ParcelGateClient
import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// ShipEngine's keys fetched from a JWKS URL (issue 16), against a real JWKS server on loopback: the gateway's
/// `KeySetCache` over AsyncHTTPClient, driven by signed callbacks through a real gateway.
@Suite(.timeLimit(.minutes(3))) struct JWKSFetchTests {
    static let trackingNumber = "9400150206242871093658"

    /// A JWKS server whose document a test can change, counting the fetches it answers.
    final class KeyServer: Sendable {
        enum Answer: Sendable { case document(String), status(Int), oversized }
        let answer = NIOLockedValueBox<Answer>(.status(404))
        let receiver: LoopbackReceiver

        init() async throws {
            let answer = self.answer
            receiver = try await LoopbackReceiver.start { _ in
                switch answer.withLockedValue({ $0 }) {
                case .document(let text): return .respond(status: 200, headers: [("content-type", "application/json")], body: text)
                case .status(let status): return .respond(status: status)
                case .oversized: return .respond(status: 200, body: #"{"keys":[],"padding":""# + String(repeating: "x", count: JSONWebKeySet.maximumBytes) + #""}"#)
                }
            }
        }

        var url: String { receiver.url + "/jwks" }
        var fetches: Int { receiver.requests.count }
        func serve(_ keys: (RSAPrivateKey, String)...) {
            let entries = keys.map { key, id in
                #"{"kty":"RSA","kid":"\#(id)","use":"sig","alg":"RS256","n":"\#(ByteEncoding.base64URL(key.modulus))","e":"\#(ByteEncoding.base64URL(key.exponent))"}"#
            }
            answer.withLockedValue { $0 = .document(#"{"keys":[\#(entries.joined(separator: ","))]}"#) }
        }
    }

    /// Throw-away 2048-bit test keys committed beside the tests (read, not generated: no process is spawned).
    static func testKey(_ name: String) throws -> RSAPrivateKey {
        let path = CarrierEndToEndTests.repositoryRoot.appendingPathComponent("Tests/ParcelGateServerTests/Keys/test-key-\(name).pem")
        return try RSAPrivateKey(pem: Array(try Data(contentsOf: path)))
    }

    static func config(jwksURL: String) -> GatewayConfig {
        var config = TestGateway.defaultConfig()
        config.tenants[0].sources.append(SourceConfig(carrier: "shipengine", secrets: [jwksURL]))
        // Forged key ids below must reach the key cache, not the failed-signature limit.
        config.ingress.unverifiedRateLimit = RateLimitConfig(perSecond: 1_000, burst: 1_000)
        return config
    }

    static func post(_ gateway: TestGateway, fixture: String, key: RSAPrivateKey, keyId: String) async throws -> HTTPClientResponse {
        let body = try Data(contentsOf: CarrierEndToEndTests.repositoryRoot.appendingPathComponent("fixtures/shipengine/\(fixture)"))
        let settings = try #require(CarrierRegistry.standard.adapter(for: "shipengine")).defaultSignature
        let headers = try SignatureSigner(settings: settings, privateKey: key, keyId: keyId).headers(for: body, now: gateway.clock.now())
        return try await gateway.request("POST", "/v1/hooks/shopstream/shipengine", headers: headers + [("Content-Type", "application/json")], body: Array(body))
    }

    @Test func anUnknownKeyIdTriggersAtMostOneFetchPerInterval() async throws {
        let server = try await KeyServer()
        defer { Task { await server.receiver.stop() } }
        let key = try Self.testKey("a")
        server.serve((key, "key-a"))
        try await TestGateway.run(config: Self.config(jwksURL: server.url), keySets: KeySetCache.Settings(minRefreshIntervalSeconds: 60)) { gateway in
            try await gateway.shippedFulfillment(id: "f-se", trackingNumber: Self.trackingNumber, carrier: "shipengine")
            let transit = try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "key-a").expect(200)
            #expect(transit["fulfillment_status"].string == "IN_TRANSIT", "\(transit)")
            #expect(server.fetches == 1)
            // Cached: the next callback costs no fetch.
            let delivered = try await Self.post(gateway, fixture: "shipengine_04_delivered.json", key: key, keyId: "key-a").expect(200)
            #expect(delivered["fulfillment_status"].string == "DELIVERED", "\(delivered)")
            #expect(server.fetches == 1)
            // Forged key ids: a URL is fetched at most once per interval (60 s here, on the gateway's clock), and
            // the interval started with the first fetch, so twelve are answered from the cache...
            for index in 0..<12 {
                try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "forged-\(index)").expectError(401, "invalid_signature")
            }
            #expect(server.fetches == 1, "no fetch for twelve unknown key ids within the interval, not \(server.fetches)")
            // ...and once the interval has passed, an unknown key id triggers one refresh, and twelve still only one:
            // a forger cannot make the gateway hammer the carrier's URL.
            gateway.clock.advance(seconds: 61)
            for index in 0..<12 {
                try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "forged-again-\(index)").expectError(401, "invalid_signature")
            }
            #expect(server.fetches == 2, "one refresh for twelve unknown key ids in the next interval, not \(server.fetches)")
            // A known key id never waits for or triggers a fetch.
            gateway.clock.advance(seconds: 61)
            let verified = try await Self.post(gateway, fixture: "shipengine_trap_it_out_for_delivery.json", key: key, keyId: "key-a")
            #expect(verified.status == 202, "verified, then queued (another shipment): \(verified.text)")
            #expect(server.fetches == 2)
            #expect(server.receiver.requests.allSatisfy { $0.method == "GET" && $0.uri == "/jwks" })
        }
    }

    @Test func aRotatedKeyIsPickedUpByTheRefreshItsKeyIdTriggers() async throws {
        let server = try await KeyServer()
        defer { Task { await server.receiver.stop() } }
        let (old, new) = (try Self.testKey("a"), try Self.testKey("b"))
        server.serve((old, "key-old"))
        try await TestGateway.run(config: Self.config(jwksURL: server.url), keySets: KeySetCache.Settings(minRefreshIntervalSeconds: 0)) { gateway in
            try await gateway.shippedFulfillment(id: "f-se", trackingNumber: Self.trackingNumber, carrier: "shipengine")
            try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: old, keyId: "key-old").expect(200)
            // ShipEngine rotates: the set now holds only the new key.
            server.serve((new, "key-new"))
            let delivered = try await Self.post(gateway, fixture: "shipengine_04_delivered.json", key: new, keyId: "key-new").expect(200)
            #expect(delivered["fulfillment_status"].string == "DELIVERED", "\(delivered)")
            #expect(server.fetches == 2)
            // The old key's signature over a different body no longer verifies: the set was replaced, not merged.
            try await Self.post(gateway, fixture: "shipengine_trap_it_out_for_delivery.json", key: old, keyId: "key-old").expectError(401, "invalid_signature")
        }
    }

    @Test func keysThatCannotBeFetchedAnswer503NotInvalidSignature() async throws {
        let server = try await KeyServer()
        defer { Task { await server.receiver.stop() } }
        let key = try Self.testKey("a")
        let closed = try await LoopbackReceiver.closedPort()
        let cases: [(String, KeyServer.Answer?)] = [
            ("http://127.0.0.1:\(closed)/jwks", nil),
            (server.url, .status(500)),
            (server.url, .oversized),
            (server.url, .document(#"{"keys":"not a list"}"#)),
        ]
        for (url, answer) in cases {
            if let answer { server.answer.withLockedValue { $0 = answer } }
            try await TestGateway.run(config: Self.config(jwksURL: url), keySets: KeySetCache.Settings(minRefreshIntervalSeconds: 0)) { gateway in
                let answer = try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "key-a")
                answer.expectError(503, "keys_unavailable")
                #expect(!answer.text.contains("pgs_") && !answer.text.contains("BEGIN"), "\(answer.text)")
            }
        }
    }

    @Test func aFailedRefreshKeepsServingTheKeysAlreadyHeld() async throws {
        let server = try await KeyServer()
        defer { Task { await server.receiver.stop() } }
        let key = try Self.testKey("a")
        server.serve((key, "key-a"))
        try await TestGateway.run(config: Self.config(jwksURL: server.url), keySets: KeySetCache.Settings(minRefreshIntervalSeconds: 0)) { gateway in
            try await gateway.shippedFulfillment(id: "f-se", trackingNumber: Self.trackingNumber, carrier: "shipengine")
            try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "key-a").expect(200)
            server.answer.withLockedValue { $0 = .status(503) }
            // An unknown key id makes it refetch, which fails: invalid, not unavailable, since a set is held.
            try await Self.post(gateway, fixture: "shipengine_04_delivered.json", key: key, keyId: "unknown").expectError(401, "invalid_signature")
            #expect(server.fetches == 2)
            let delivered = try await Self.post(gateway, fixture: "shipengine_04_delivered.json", key: key, keyId: "key-a").expect(200)
            #expect(delivered["fulfillment_status"].string == "DELIVERED", "\(delivered)")
        }
    }

    @Test func concurrentCallbacksShareOneFetch() async throws {
        let server = try await KeyServer()
        defer { Task { await server.receiver.stop() } }
        let key = try Self.testKey("a")
        server.serve((key, "key-a"))
        try await TestGateway.run(config: Self.config(jwksURL: server.url)) { gateway in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await Self.post(gateway, fixture: "shipengine_01_in_transit.json", key: key, keyId: "key-a").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // No fulfillment yet: each is verified, then queued or a duplicate of the first.
            #expect(statuses.allSatisfy { $0 == 202 || $0 == 200 }, "\(statuses)")
            #expect(server.fetches == 1, "sixteen concurrent callbacks, \(server.fetches) fetches")
        }
    }

    /// The three ways a source names its keys, in config (`jwks`, `jwks_url`, nothing: ShipEngine's URL) and through
    /// the operator API (no secret: ShipEngine's URL); an http URL to another host is refused at load.
    @Test func keySourcesInConfigAndTheOperatorAPI() async throws {
        let yaml = """
        tenants:
          - slug: a
            sources:
              - carrier: shipengine
                jwks: '{"keys":[]}'
                jwks_url: https://keys.example/jwks
              - carrier: shipengine
        """
        let config = try GatewayConfig.parse(yaml)
        let settings = try #require(CarrierRegistry.standard.adapter(for: "shipengine")).defaultSignature
        #expect(config.tenants[0].sources[0].effectiveSecrets(settings: settings) == [#"{"keys":[]}"#, "https://keys.example/jwks"])
        #expect(config.tenants[0].sources[1].effectiveSecrets(settings: settings) == ["https://api.shipengine.com/jwks"])
        #expect(throws: GatewayError.self) {
            try SourceValidation.check(SourceConfig(carrier: "shipengine", secrets: ["http://keys.example/jwks"]), registry: .standard)
        }

        try await TestGateway.run { gateway in
            try await gateway.admin("POST", "/tenants", json: #"{"slug":"newco"}"#).expect(201)
            let source = try await gateway.admin("PUT", "/tenants/newco/sources/shipengine", json: "{}").expect(201)
            #expect(source["secret"]["secret"].string == "https://api.shipengine.com/jwks", "\(source)")
            try await gateway.admin("PUT", "/tenants/newco/sources/shipengine", json: #"{"secret":"http://10.0.0.1/jwks"}"#).expectError(400, "bad_request")
        }
    }
}
