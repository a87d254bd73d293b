import Testing

/// The platform API of README "HTTP contract" over a real server: authentication, scoping, validation.
@Suite(.timeLimit(.minutes(2))) struct PlatformAPITests {
    @Test func requestsWithoutAValidKeyAre401() async throws {
        try await TestGateway.run { gateway in
            try await gateway.request("GET", "/v1/fulfillments/x").expectError(401, "unauthorized")
            try await gateway.request("GET", "/v1/fulfillments/x", headers: [("Authorization", "Basic abc")]).expectError(401, "unauthorized")
            try await gateway.api("GET", "/v1/fulfillments/x", key: "wrong-key-wrong-key-wrong").expectError(401, "unauthorized")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o"}"#, key: "").expectError(401, "unauthorized")
        }
    }

    @Test func anotherTenantsFulfillmentIsNotFound() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "mine", trackingNumber: "SHARED-1")
            try await gateway.api("GET", "/v1/fulfillments/mine", key: TestGateway.otherApiKey).expectError(404, "not_found")
            try await gateway.api("PUT", "/v1/fulfillments/mine/cancel", key: TestGateway.otherApiKey).expectError(404, "not_found")
            let list = try await gateway.api("GET", "/v1/fulfillments?tracking_number=SHARED-1", key: TestGateway.otherApiKey).expect(200)
            #expect(list["fulfillments"].array.isEmpty)
            let own = try await gateway.api("GET", "/v1/fulfillments?tracking_number=SHARED-1").expect(200)
            #expect(own["fulfillments"].array.map { $0["id"].string ?? "" } == ["mine"])
        }
    }

    @Test func createValidatesAndGeneratesIds() async throws {
        try await TestGateway.run { gateway in
            let generated = try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o-1"}"#).expect(201)
            #expect(generated["id"].string?.hasPrefix("ful_") == true)
            #expect(generated.keys == ["id", "order_id", "status", "carrier", "tracking_number", "service_level", "actual_delivery", "created_at", "updated_at", "tracking_events"])
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o-2","id":"dup"}"#).expect(201)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o-3","id":"dup"}"#).expectError(409, "conflict")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"id":"x"}"#).expectError(400, "bad_request")
            try await gateway.api("POST", "/v1/fulfillments", json: "not json").expectError(400, "bad_request")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"has space"}"#).expectError(400, "bad_request")
            try await gateway.api("POST", "/v1/fulfillments").expectError(400, "bad_request")
        }
    }

    @Test func commandsValidateTheirInput() async throws {
        try await TestGateway.run { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"f"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/f/teleport").expectError(404, "not_found")
            try await gateway.api("PUT", "/v1/fulfillments/nope/pick").expectError(404, "not_found")
            for command in ["pick", "pack", "ready"] { try await gateway.api("PUT", "/v1/fulfillments/f/\(command)").expect(200) }
            try await gateway.api("PUT", "/v1/fulfillments/f/ship", json: #"{"carrier":"ups"}"#).expectError(400, "bad_request")
            try await gateway.api("PUT", "/v1/fulfillments/f/ship", json: #"{"carrier":"","tracking_number":"T"}"#).expectError(400, "bad_request")
            try await gateway.api("PUT", "/v1/fulfillments/f/ship", json: #"{"carrier":"ups","tracking_number":"1Z"}"#).expect(200)
            try await gateway.callback(#"{"fulfillment_id":"f","status":"in_transit"}"#).expect(200)
            try await gateway.api("PUT", "/v1/fulfillments/f/exception", json: #"{"reason":"x","status":"delivered"}"#).expectError(400, "bad_request")
            try await gateway.api("GET", "/v1/fulfillments").expectError(400, "bad_request")
        }
    }

    @Test func healthAndUnknownRoutes() async throws {
        try await TestGateway.run { gateway in
            #expect(try await gateway.request("GET", "/healthz").expect(200)["status"].string == "ok")
            #expect(try await gateway.becomesReady())
            try await gateway.request("GET", "/nothing-here").expectError(404, "not_found")
            try await gateway.request("DELETE", "/v1/fulfillments/x").expectError(404, "not_found")
        }
    }

    /// One Bearer reader for the platform and the operator API: the same forms pass and fail on both.
    @Test func bothAPIsReadTheBearerTokenTheSameWay() async throws {
        try await TestGateway.run { gateway in
            for (scheme, padding) in [("Bearer", " "), ("bearer", "   "), ("BEARER", " ")] {
                let tenant = try await gateway.request("GET", "/v1/retries", headers: [("Authorization", "\(scheme)\(padding)\(TestGateway.apiKey) ")])
                #expect(tenant.status == 200, "\(scheme): \(tenant.text)")
                let admin = try await gateway.request("GET", "/v1/admin/tenants", headers: [("Authorization", "\(scheme)\(padding)\(TestGateway.operatorKey) ")])
                #expect(admin.status == 200, "\(scheme): \(admin.text)")
            }
            for header in ["Basic \(TestGateway.apiKey)", "Bearer", "Bearer    ", TestGateway.apiKey] {
                try await gateway.request("GET", "/v1/retries", headers: [("Authorization", header)]).expectError(401, "unauthorized")
                try await gateway.request("GET", "/v1/admin/tenants", headers: [("Authorization", header)]).expectError(401, "unauthorized")
            }
            // Each key opens only its own API.
            try await gateway.request("GET", "/v1/admin/tenants", headers: [("Authorization", "Bearer \(TestGateway.apiKey)")]).expectError(401, "unauthorized")
            try await gateway.request("GET", "/v1/retries", headers: [("Authorization", "Bearer \(TestGateway.operatorKey)")]).expectError(401, "unauthorized")
        }
    }

    /// `GET /v1/fulfillments?order_id=` lists every part of an order with its history; exactly one filter.
    @Test func fulfillmentsAreListedByOrderId() async throws {
        try await TestGateway.run { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"ord-9","id":"p1"}"#).expect(201)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"ord-9","id":"p2"}"#).expect(201)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"ord-8","id":"p3"}"#).expect(201)
            let listed = try await gateway.api("GET", "/v1/fulfillments?order_id=ord-9").expect(200)
            #expect(listed["fulfillments"].array.map { $0["id"].string ?? "" }.sorted() == ["p1", "p2"])
            // Another tenant's order of the same id is not there.
            #expect(try await gateway.api("GET", "/v1/fulfillments?order_id=ord-9", key: TestGateway.otherApiKey).expect(200)["fulfillments"].array.isEmpty)
            try await gateway.api("GET", "/v1/fulfillments").expectError(400, "bad_request")
            try await gateway.api("GET", "/v1/fulfillments?order_id=ord-9&tracking_number=T").expectError(400, "bad_request")
        }
    }
}
