import Foundation
@testable import ParcelGateCore
import Testing

/// The retry queue over a real server, a real SQLite file and the retry worker running inside the gateway.
@Suite(.timeLimit(.minutes(3))) struct RetryQueueEndToEndTests {
    @Test func unmatchedCallbackIsQueuedThenAppliedOnceTheShipmentExists() async throws {
        try await TestGateway.run { gateway in
            let json = #"{"tracking_number":"EARLY-1","status":"in_transit","location":"Memphis, TN","occurred_at":"2026-11-20T10:00:00Z"}"#
            let queued = try await gateway.callback(json).expect(202)
            #expect(queued["status"].string == "queued")
            let retryId = try #require(queued["retry_id"].string)
            // The exact raw body is stored; credentials and signatures are not.
            let stored = try #require(try await gateway.store.retryEntry(tenant: "shopstream", id: retryId))
            #expect(stored.body == Array(json.utf8))
            #expect(stored.reason == .unmatched)
            #expect(stored.headers.contains { $0.name.lowercased() == "content-type" })
            #expect(!stored.headers.contains { ["x-carrier-signature", "authorization", "cookie"].contains($0.name.lowercased()) })
            let listed = try await gateway.api("GET", "/v1/retries?status=pending").expect(200)
            #expect(listed["retries"].array.map { $0["id"].string ?? "" } == [retryId])
            #expect(listed["retries"][0].keys == ["id", "carrier", "reason", "status", "attempts", "next_attempt_at", "last_error", "created_at", "updated_at"])
            // A redelivery of the same callback is a duplicate, not a second entry.
            #expect(try await gateway.callback(json).expect(200)["status"].string == "duplicate")

            // The platform registers and ships it: the queued body is applied without waiting for its backoff.
            try await gateway.shippedFulfillment(id: "f-early", trackingNumber: "EARLY-1")
            let applied = try await gateway.eventually {
                try await gateway.fulfillment("f-early")["status"].string == "IN_TRANSIT"
            }
            #expect(applied)
            let history = try await gateway.fulfillment("f-early")["tracking_events"].array
            #expect(history.count == 1)
            #expect(history.first?["location"]["text"].string == "Memphis, TN")
            #expect(history.first?["occurred_at"].string == "2026-11-20T10:00:00Z")
            let entry = try await gateway.api("GET", "/v1/retries/\(retryId)").expect(200)
            #expect(entry["status"].string == "succeeded")
        }
    }

    @Test func invalidCallbacksAreRejectedAndNeverQueued() async throws {
        try await TestGateway.run { gateway in
            try await gateway.callback(#"{"tracking_number":"NOBODY","status":"in_transit"}"#, secret: "wrong").expectError(401, "invalid_signature")
            try await gateway.callback(#"{"tracking_number":"NOBODY""#).expectError(400, "invalid_payload")
            try await gateway.callback(#"{"status":"in_transit"}"#).expectError(400, "invalid_payload")
            try await gateway.request("POST", "/v1/hooks/shopstream/nope", body: Array("{}".utf8)).expectError(404, "unknown_source")
            #expect(try await gateway.api("GET", "/v1/retries").expect(200)["retries"].array.isEmpty)
            #expect(try await gateway.store.retryEntries(tenant: "shopstream", status: nil, limit: 10).isEmpty)
        }
    }

    @Test func backoffExhaustsToADeadLetterThatCanBeReplayed() async throws {
        try await TestGateway.run { gateway in
            let queued = try await gateway.callback(#"{"tracking_number":"LOST-1","status":"in_transit"}"#).expect(202)
            let retryId = try #require(queued["retry_id"].string)
            // Policy: 10 s doubling, three attempts. Each attempt still finds no shipment.
            var expectedDelays: [Int64] = []
            for attempt in 1...3 {
                let before = try #require(try await gateway.store.retryEntry(tenant: "shopstream", id: retryId))
                gateway.clock.advance(seconds: (before.nextAttemptAt.milliseconds - gateway.clock.now().milliseconds) / 1000 + 1)
                let now = gateway.clock.now()
                #expect(try await gateway.eventually {
                    (try await gateway.store.retryEntry(tenant: "shopstream", id: retryId))?.attempts == attempt
                }, "attempt \(attempt)")
                let after = try #require(try await gateway.store.retryEntry(tenant: "shopstream", id: retryId))
                if after.status == .pending { expectedDelays.append(after.nextAttemptAt.milliseconds - now.milliseconds) }
            }
            #expect(expectedDelays == [20_000, 40_000])
            let dead = try await gateway.api("GET", "/v1/retries?status=exhausted").expect(200)["retries"].array
            #expect(dead.map { $0["id"].string ?? "" } == [retryId])
            #expect(dead.first?["attempts"].int == 3)
            #expect(dead.first?["last_error"].string?.contains("LOST-1") == true)

            // Another tenant cannot see or replay it.
            try await gateway.api("GET", "/v1/retries/\(retryId)", key: TestGateway.otherApiKey).expectError(404, "not_found")
            try await gateway.api("POST", "/v1/retries/\(retryId)/replay", key: TestGateway.otherApiKey).expectError(404, "not_found")
            #expect(try await gateway.api("GET", "/v1/retries", key: TestGateway.otherApiKey).expect(200)["retries"].array.isEmpty)

            // The shipment appears; replaying the dead letter applies it.
            try await gateway.shippedFulfillment(id: "f-lost", trackingNumber: "LOST-1")
            let replayed = try await gateway.api("POST", "/v1/retries/\(retryId)/replay").expect(200)
            #expect(replayed["status"].string == "pending")
            #expect(try await gateway.eventually { try await gateway.fulfillment("f-lost")["status"].string == "IN_TRANSIT" })
            #expect(try await gateway.api("GET", "/v1/retries/\(retryId)").expect(200)["status"].string == "succeeded")
            try await gateway.api("POST", "/v1/retries/\(retryId)/replay").expectError(409, "conflict")
            try await gateway.api("POST", "/v1/retries/rt_nope/replay").expectError(404, "not_found")
            try await gateway.api("GET", "/v1/retries?status=weird").expectError(400, "bad_request")
        }
    }

    @Test func aRefusedTransitionOnRetryIsADeadLetter() async throws {
        try await TestGateway.run { gateway in
            let queued = try await gateway.callback(#"{"fulfillment_id":"later","status":"delivery_failed"}"#).expect(202)
            let retryId = try #require(queued["retry_id"].string)
            // Created but not shipped: an exception from PENDING is a permanent failure, not worth retrying.
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"later"}"#).expect(201)
            #expect(try await gateway.eventually {
                try await gateway.api("GET", "/v1/retries/\(retryId)").json["status"].string == "exhausted"
            })
            let entry = try await gateway.api("GET", "/v1/retries/\(retryId)").expect(200)
            #expect(entry["last_error"].string == "Cannot transition from PENDING to EXCEPTION")
        }
    }
}
