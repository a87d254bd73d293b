import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Tenants sharing one ingress: isolation, rotation, revocation, rate limits, secrets at rest.
@Suite(.timeLimit(.minutes(3))) struct TenancyTests {
    /// Two tenants on the same carrier and the same tracking number.
    @Test func isolationMatrix() async throws {
        try await TestGateway.run { gateway in
            let other = TestGateway.otherApiKey
            try await gateway.shippedFulfillment(id: "a-ful", trackingNumber: "SHARED-TRK")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"b-order","id":"b-ful"}"#, key: other).expect(201)
            for command in ["pick", "pack", "ready"] { try await gateway.api("PUT", "/v1/fulfillments/b-ful/\(command)", key: other).expect(200) }
            try await gateway.api("PUT", "/v1/fulfillments/b-ful/ship", json: #"{"carrier":"generic","tracking_number":"SHARED-TRK"}"#, key: other).expect(200)

            // Each tenant's callback lands on its own fulfillment.
            let json = #"{"tracking_number":"SHARED-TRK","status":"in_transit","event_id":"same-id"}"#
            #expect(try await gateway.callback(json).expect(200)["fulfillment_id"].string == "a-ful")
            #expect(try await gateway.callback(json, tenant: "other", secret: "other-generic-secret").expect(200)["fulfillment_id"].string == "b-ful")
            // A's secret does not verify a callback to B's URL, nor B's to A's.
            try await gateway.callback(#"{"tracking_number":"SHARED-TRK","status":"delivered"}"#, tenant: "other", secret: TestGateway.secret).expectError(401, "invalid_signature")
            try await gateway.callback(#"{"tracking_number":"SHARED-TRK","status":"delivered"}"#, secret: "other-generic-secret").expectError(401, "invalid_signature")

            // A's key reads, lists and commands nothing of B's: 404 (not 403), so existence does not leak.
            try await gateway.api("GET", "/v1/fulfillments/b-ful").expectError(404, "not_found")
            try await gateway.api("GET", "/v1/fulfillments/no-such").expectError(404, "not_found")
            for command in ["pick", "deliver", "cancel"] {
                try await gateway.api("PUT", "/v1/fulfillments/b-ful/\(command)").expectError(404, "not_found")
            }
            try await gateway.api("PUT", "/v1/fulfillments/b-ful/exception", json: #"{"reason":"x"}"#).expectError(404, "not_found")
            let aList = try await gateway.api("GET", "/v1/fulfillments?tracking_number=SHARED-TRK").expect(200)["fulfillments"].array
            #expect(aList.map { $0["id"].string ?? "" } == ["a-ful"])
            let bList = try await gateway.api("GET", "/v1/fulfillments?tracking_number=SHARED-TRK", key: other).expect(200)["fulfillments"].array
            #expect(bList.map { $0["id"].string ?? "" } == ["b-ful"])
            #expect(try await gateway.fulfillment("b-ful", key: other)["tracking_events"].array.count == 1)

            // Retries: B's queued callback is invisible to A, and A cannot replay it.
            let queued = try await gateway.callback(#"{"tracking_number":"B-ONLY","status":"in_transit"}"#, tenant: "other", secret: "other-generic-secret").expect(202)
            let retryId = try #require(queued["retry_id"].string)
            try await gateway.api("GET", "/v1/retries/\(retryId)").expectError(404, "not_found")
            try await gateway.api("POST", "/v1/retries/\(retryId)/replay").expectError(404, "not_found")
            #expect(try await gateway.api("GET", "/v1/retries").expect(200)["retries"].array.isEmpty)
            #expect(try await gateway.api("GET", "/v1/retries", key: other).expect(200)["retries"].array.map { $0["id"].string ?? "" } == [retryId])
            // A tenant key is not an operator key.
            try await gateway.admin("GET", "/tenants", key: TestGateway.apiKey).expectError(401, "unauthorized")
        }
    }

    @Test func secretRotationThroughTheOperatorAPI() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "ROT-1")
            let tenant = try await gateway.admin("GET", "/tenants/shopstream").expect(200)
            let oldId = try #require(tenant["sources"].array.first { $0["carrier"].string == "generic" }?["secrets"][0]["id"].string)
            // The secret's value is never shown again.
            #expect(!(try await gateway.admin("GET", "/tenants/shopstream").text).contains(TestGateway.secret))

            let added = try await gateway.admin("POST", "/tenants/shopstream/sources/generic/secrets", json: #"{"secret":"rotated-secret"}"#).expect(201)
            #expect(added["secret"].string == "rotated-secret")
            // Overlap: both verify.
            try await gateway.callback(#"{"tracking_number":"ROT-1","status":"in_transit","event_id":"1"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"ROT-1","status":"in_transit","event_id":"2"}"#, secret: "rotated-secret").expect(200)
            // The old one removed: 401 at once; the new one still works.
            try await gateway.admin("DELETE", "/tenants/shopstream/sources/generic/secrets/\(oldId)").expect(200)
            try await gateway.callback(#"{"tracking_number":"ROT-1","status":"in_transit","event_id":"3"}"#).expectError(401, "invalid_signature")
            try await gateway.callback(#"{"tracking_number":"ROT-1","status":"in_transit","event_id":"4"}"#, secret: "rotated-secret").expect(200)
            // The last secret cannot be removed.
            let newId = try #require(added["id"].string)
            try await gateway.admin("DELETE", "/tenants/shopstream/sources/generic/secrets/\(newId)").expectError(409, "conflict")
            // A generated secret is shown once and works.
            let generated = try await gateway.admin("POST", "/tenants/shopstream/sources/generic/secrets").expect(201)
            let value = try #require(generated["secret"].string)
            #expect(value.hasPrefix("pgs_") && value.count > 40)
            try await gateway.callback(#"{"tracking_number":"ROT-1","status":"in_transit","event_id":"5"}"#, secret: value).expect(200)
        }
    }

    @Test func revokedAPIKeyIsRejectedAtOnce() async throws {
        try await TestGateway.run { gateway in
            let issued = try await gateway.admin("POST", "/tenants/shopstream/api-keys", json: #"{"label":"ci"}"#).expect(201)
            let key = try #require(issued["key"].string)
            let id = try #require(issued["id"].string)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"by-new-key"}"#, key: key).expect(201)
            try await gateway.api("GET", "/v1/fulfillments/by-new-key").expect(200)
            #expect(!(try await gateway.admin("GET", "/tenants/shopstream").text).contains(key))
            try await gateway.admin("DELETE", "/tenants/shopstream/api-keys/\(id)").expect(200)
            try await gateway.api("GET", "/v1/fulfillments/by-new-key", key: key).expectError(401, "unauthorized")
            try await gateway.api("GET", "/v1/fulfillments/by-new-key").expect(200)
            try await gateway.admin("DELETE", "/tenants/other/api-keys/\(id)").expectError(404, "not_found")
        }
    }

    @Test func operatorAPIRequiresTheOperatorKey() async throws {
        try await TestGateway.run { gateway in
            try await gateway.request("GET", "/v1/admin/tenants").expectError(401, "unauthorized")
            try await gateway.admin("GET", "/tenants", key: "wrong-operator-key-000000").expectError(401, "unauthorized")
            let tenants = try await gateway.admin("GET", "/tenants").expect(200)["tenants"].array.map { $0["slug"].string ?? "" }
            #expect(tenants == ["other", "shopstream"])
        }
        try await TestGateway.run(operatorKey: nil) { gateway in
            let body = try await gateway.admin("GET", "/tenants").expectError(401, "unauthorized")
            #expect(body["detail"].string?.contains("PARCELGATE_OPERATOR_KEY") == true)
        }
    }

    @Test func aTenantCreatedThroughTheAPIWorksEndToEnd() async throws {
        try await TestGateway.run { gateway in
            try await gateway.admin("POST", "/tenants", json: #"{"slug":"newco","rate_limit":{"per_second":100,"burst":10}}"#).expect(201)
            try await gateway.admin("POST", "/tenants", json: #"{"slug":"newco"}"#).expectError(409, "conflict")
            try await gateway.admin("POST", "/tenants", json: #"{"slug":"Bad Slug"}"#).expectError(400, "bad_request")
            try await gateway.admin("PUT", "/tenants/newco/sources/pigeon", json: "{}").expectError(400, "bad_request")
            try await gateway.admin("PUT", "/tenants/nobody/sources/generic", json: "{}").expectError(404, "not_found")
            let source = try await gateway.admin("PUT", "/tenants/newco/sources/generic", json: #"{"scheme":"hmac-sha256-hex"}"#).expect(201)
            let secret = try #require(source["secret"]["secret"].string)
            let key = try #require(try await gateway.admin("POST", "/tenants/newco/api-keys").expect(201)["key"].string)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"n1"}"#, key: key).expect(201)
            for command in ["pick", "pack", "ready"] { try await gateway.api("PUT", "/v1/fulfillments/n1/\(command)", key: key).expect(200) }
            try await gateway.api("PUT", "/v1/fulfillments/n1/ship", json: #"{"carrier":"generic","tracking_number":"NEW-1"}"#, key: key).expect(200)
            try await gateway.callback(#"{"tracking_number":"NEW-1","status":"in_transit"}"#, tenant: "newco", secret: secret).expect(200)
            #expect(try await gateway.fulfillment("n1", key: key)["status"].string == "IN_TRANSIT")
            // Removing the source makes its URL unknown at once.
            try await gateway.admin("DELETE", "/tenants/newco/sources/generic").expect(200)
            try await gateway.callback(#"{"tracking_number":"NEW-1","status":"delivered"}"#, tenant: "newco", secret: secret).expectError(404, "unknown_source")
        }
    }

    @Test func aFloodingTenantIsLimitedWhileAnotherIsNot() async throws {
        var config = TestGateway.defaultConfig()
        config.tenants[0].rateLimit = RateLimitConfig(perSecond: 2, burst: 5)
        try await TestGateway.run(config: config) { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "FLOOD")
            // The clock does not move: everything below happens within the same second.
            var statuses: [Int] = []
            for index in 0..<12 {
                statuses.append(try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"a\#(index)"}"#).status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == 200 })
            #expect(statuses.dropFirst(5).allSatisfy { $0 == 429 })
            let limited = try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"z"}"#)
            limited.expectError(429, "rate_limited")
            #expect(limited.header("Retry-After") == "1")
            for index in 0..<20 {
                let response = try await gateway.callback(#"{"tracking_number":"OTHER","status":"in_transit","event_id":"b\#(index)"}"#, tenant: "other", secret: "other-generic-secret")
                #expect(response.status == 202, "the other tenant is never limited: \(response.text)")
            }
            // A second later two more tokens have been refilled.
            gateway.clock.advance(seconds: 1)
            #expect(try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"later1"}"#).status == 200)
            #expect(try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"later2"}"#).status == 200)
            #expect(try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"later3"}"#).status == 429)
            // The operator lifts the limit; it applies at once.
            try await gateway.admin("PATCH", "/tenants/shopstream", json: #"{"rate_limit":{"per_second":10000,"burst":10000}}"#).expect(200)
            #expect(try await gateway.callback(#"{"tracking_number":"FLOOD","status":"in_transit","event_id":"after-lift"}"#).status == 200)
        }
    }

    @Test func noSecretInLogsOrTheDatabase() async throws {
        let capture = LogCapture()
        let masterKey = ByteEncoding.base64(Crypto.randomBytes(count: 32))
        let database = TestGateway.temporaryDatabasePath()
        var config = TestGateway.defaultConfig()
        config.tenants[0].sources.append(SourceConfig(carrier: "ups", secrets: ["ups-credential-token-7781"]))
        var known = [TestGateway.secret, "other-generic-secret", "ups-credential-token-7781", TestGateway.apiKey, TestGateway.otherApiKey, TestGateway.operatorKey, masterKey]
        let signatures = try await TestGateway.run(config: config, databasePath: database, masterKey: masterKey, logHandler: capture.handler) { gateway in
            var signatures: [String] = []
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "SEC-1")
            let body = Array(#"{"tracking_number":"SEC-1","status":"in_transit"}"#.utf8)
            let signed = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret).headers(for: Data(body), now: gateway.clock.now())
            signatures.append(contentsOf: signed.map { String($0.1.dropFirst("sha256=".count)) })
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: signed + [("Authorization", "Bearer \(TestGateway.apiKey)"), ("Cookie", "session=\(TestGateway.operatorKey)")], body: body).expect(200)
            // A queued callback keeps its headers: not the signature, the credential or the cookie.
            let unmatched = Array(#"{"tracking_number":"SEC-LATER","status":"in_transit"}"#.utf8)
            let signedLater = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret).headers(for: Data(unmatched), now: gateway.clock.now())
            signatures.append(contentsOf: signedLater.map { String($0.1.dropFirst("sha256=".count)) })
            try await gateway.request("POST", "/v1/hooks/shopstream/generic", headers: signedLater + [("Authorization", "Bearer \(TestGateway.apiKey)"), ("Cookie", "session=\(TestGateway.operatorKey)")], body: unmatched).expect(202)
            let ups = Array(#"{"trackingNumber":"SEC-UPS","gmtActivityDate":"20251119","gmtActivityTime":"031500","activityStatus":{"type":"I","code":"DP"}}"#.utf8)
            try await gateway.request("POST", "/v1/hooks/shopstream/ups", headers: [("credential", "ups-credential-token-7781")], body: ups).expect(202)
            // Rejections log, but never what was presented.
            try await gateway.callback(#"{"tracking_number":"SEC-1","status":"delivered"}"#, secret: "wrong-secret-presented").expectError(401, "invalid_signature")
            try await gateway.api("GET", "/v1/fulfillments/f", key: "wrong-key-presented-0000").expectError(401, "unauthorized")
            try await gateway.request("POST", "/v1/hooks/shopstream/ups", headers: [("credential", "guessed-ups-token")], body: ups).expectError(401, "invalid_signature")
            // An operator rotation: the new secret is shown once, then sealed at rest.
            let rotated = try await gateway.admin("POST", "/tenants/shopstream/sources/generic/secrets", json: #"{"secret":"rotated-secret-5521"}"#).expect(201)
            #expect(rotated["secret"].string == "rotated-secret-5521")
            let view = try await gateway.admin("GET", "/tenants/shopstream").expect(200)
            #expect(view["sources"].array.allSatisfy { $0["secrets"].array.allSatisfy { $0["encrypted"].bool == true } })
            return signatures
        }
        known += ["rotated-secret-5521", "wrong-secret-presented", "wrong-key-presented-0000", "guessed-ups-token"] + signatures
        let logs = capture.all.joined(separator: "\n")
        #expect(capture.all.count > 5, "the run logged something to search")
        var stored = Data()
        for suffix in ["", "-wal"] {
            stored.append(FileManager.default.contents(atPath: database + suffix) ?? Data())
        }
        #expect(stored.count > 4096)
        for secret in known {
            #expect(!logs.contains(secret), "\(secret) appears in the logs")
            #expect(stored.range(of: Data(secret.utf8)) == nil, "\(secret) appears in the database")
        }
        // The clear text of the body is stored (it is not a secret), which shows the search itself works.
        #expect(stored.range(of: Data("SEC-LATER".utf8)) != nil)
    }

    @Test func theMasterKeyIsRequiredOnceSecretsAreSealed() async throws {
        let database = TestGateway.temporaryDatabasePath()
        // First run without a master key: secrets in clear. Second run with one: sealed at start.
        try await TestGateway.run(databasePath: database, masterKey: nil) { _ in }
        let key = ByteEncoding.base64(Crypto.randomBytes(count: 32))
        try await TestGateway.run(databasePath: database, masterKey: key) { gateway in
            let view = try await gateway.admin("GET", "/tenants/shopstream").expect(200)
            #expect(view["sources"][0]["secrets"][0]["encrypted"].bool == true)
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "MK-1")
            try await gateway.callback(#"{"tracking_number":"MK-1","status":"in_transit"}"#).expect(200)
        }
        // Without the key, or with another, the gateway refuses to start with a clear message.
        for wrong in [nil, ByteEncoding.base64(Crypto.randomBytes(count: 32))] {
            await #expect {
                try await TestGateway.run(databasePath: database, masterKey: wrong) { _ in }
            } throws: { error in
                (error as? GatewayError)?.detail.contains("PARCELGATE_MASTER_KEY") == true
            }
        }
        await #expect(throws: GatewayError.self) { try await TestGateway.run(masterKey: "not-32-bytes") { _ in } }
    }
}
