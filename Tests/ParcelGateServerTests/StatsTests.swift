import Foundation
import Logging
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import Testing

/// The read side over a real server (issue 17): `/v1/stats`, the operator's views, the retry audit trail and
/// dead-letter expiry, on SQLite and, when CI names a server, PostgreSQL.
@Suite(.timeLimit(.minutes(3))) struct StatsTests {
    static func config() -> GatewayConfig {
        var config = NotificationTests.config()
        config.deadLetterRetentionSeconds = 30 * 86_400
        return config
    }

    @Test(arguments: NotificationBackend.available)
    func statsShowProjectionsIngestCountsQueueAndDeliveries(backend: NotificationBackend) async throws {
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            // An endpoint nobody listens on: its deliveries fail, so it shows as failing.
            _ = try await NotificationTests().endpoint(gateway, url: "http://127.0.0.1:1", retry: #"{"schedule_s":[3600],"max_attempts":3}"#)
            try await gateway.shippedFulfillment(id: "f1", trackingNumber: "PG1")
            try await gateway.shippedFulfillment(id: "f2", trackingNumber: "PG2")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o3","id":"f3"}"#).expect(201)
            // Two days from ship to delivery for f1; f2 ends in an exception. The scans of two days ago are outside
            // the last day's ingest counts (and purged with it).
            try await gateway.callback(#"{"tracking_number":"PG1","status":"in_transit","event_id":"e1"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"PG2","status":"in_transit","event_id":"e2"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"PG2","status":"delivery_failed","event_id":"e3"}"#).expect(200)
            gateway.clock.advance(seconds: 2 * 86_400)
            try await gateway.callback(#"{"tracking_number":"PG1","status":"delivered","event_id":"e4"}"#).expect(200)
            try await gateway.callback(#"{"tracking_number":"PG1","status":"delivered","event_id":"e4"}"#).expect(200) // duplicate
            try await gateway.callback(#"{"tracking_number":"NOPE","status":"in_transit","event_id":"e5"}"#).expect(202)
            try await gateway.callback(#"{"tracking_number":"PG1","status":"in_transit"}"#, secret: "forged").expectError(401, "invalid_signature")
            // The other tenant's traffic never shows in shopstream's stats.
            try await gateway.callback(#"{"tracking_number":"X","status":"in_transit"}"#, tenant: "other", secret: "other-generic-secret").expect(202)

            let stats = try await gateway.api("GET", "/v1/stats?days=7&minutes=1440").expect(200)
            #expect(stats["tenant"].string == "shopstream")
            let byStatus = stats["fulfillments"]["by_status"]
            #expect(byStatus["DELIVERED"].int == 1 && byStatus["EXCEPTION"].int == 1 && byStatus["PENDING"].int == 1 && byStatus["SHIPPED"].int == 0)
            #expect(stats["fulfillments"]["total"].int == 3)
            let carriers = stats["carriers"].array
            #expect(carriers.count == 1 && carriers[0]["carrier"].string == "generic" && carriers[0]["service_level"].string == "ground")
            #expect(carriers[0]["exceptions"].int == 1 && carriers[0]["deliveries"].int == 1)
            let median = try #require((carriers[0]["transit_time"]["median_s"].value as? NSNumber)?.doubleValue)
            #expect(abs(median - 172_800) / 172_800 < 0.095, "median \(median)")
            #expect(carriers[0]["transit_time"]["measured"].int == 1)
            let days = stats["daily"]["days"].array
            #expect(days.map { $0["shipments"].int ?? 0 }.reduce(0, +) == 2)
            #expect(days.map { $0["deliveries"].int ?? 0 }.reduce(0, +) == 1 && days.map { $0["exceptions"].int ?? 0 }.reduce(0, +) == 1)
            var ingest: [String: Int] = [:]
            for row in stats["ingest"]["minutes"].array {
                ingest["\(row["outcome"].string ?? "")/\(row["code"].string ?? "-")", default: 0] += row["count"].int ?? 0
            }
            #expect(ingest == ["applied/-": 1, "duplicate/-": 1, "queued/-": 1, "rejected/invalid_signature": 1], "\(ingest)")
            #expect(stats["retry_queue"]["pending"].int == 1 && stats["retry_queue"]["exhausted"].int == 0)
            #expect(stats["retry_queue"]["oldest_pending_at"].string != nil && stats["retry_queue"]["oldest_pending_age_s"].int == 0)
            let deliveries = stats["deliveries"]["by_status"]
            #expect(["pending", "failed", "delivered", "exhausted", "held"].map { deliveries[$0].int ?? 0 }.reduce(0, +) > 0, "\(stats.value)")

            // The other tenant sees only its own: nothing of shopstream's.
            let other = try await gateway.api("GET", "/v1/stats", key: TestGateway.otherApiKey).expect(200)
            #expect(other["fulfillments"]["total"].int == 0 && other["carriers"].array.isEmpty && other["retry_queue"]["pending"].int == 1)
            #expect(other["ingest"]["minutes"].array.map { $0["outcome"].string } == ["queued"])

            // The operator reads any tenant's, the same figures.
            let viaOperator = try await gateway.admin("GET", "/stats?tenant=shopstream&days=7&minutes=1440").expect(200)
            #expect(viaOperator["fulfillments"].value as? NSDictionary == stats["fulfillments"].value as? NSDictionary)
            #expect(viaOperator["carriers"].value as? NSArray == stats["carriers"].value as? NSArray)

            // The failing endpoint shows once its first attempt has failed.
            let failing = try await gateway.eventually {
                try await gateway.api("GET", "/v1/stats").expect(200)["deliveries"]["failing_endpoints"].array.count == 1
            }
            #expect(failing)
        }
    }

    @Test func badQueryParametersAndWrongKeysAreClearErrors() async throws {
        try await TestGateway.run { gateway in
            for query in ["days=0", "days=367", "days=abc", "days=1.5", "minutes=0", "minutes=1441", "foo=1", "days=2&days=3", "days="] {
                let body = try await gateway.api("GET", "/v1/stats?\(query)").expectError(400, "bad_request")
                #expect((body["detail"].string ?? "").count < 200)
            }
            try await gateway.request("GET", "/v1/stats").expectError(401, "unauthorized")
            try await gateway.admin("GET", "/stats").expectError(400, "bad_request")
            try await gateway.admin("GET", "/stats?tenant=Not%20A%20Slug").expectError(400, "bad_request")
            try await gateway.admin("GET", "/stats?tenant=nobody").expectError(404, "not_found")
            try await gateway.admin("GET", "/stats?tenant=shopstream", key: TestGateway.apiKey).expectError(401, "unauthorized")
            try await gateway.admin("GET", "/retries?status=lost").expectError(400, "bad_request")
            try await gateway.admin("GET", "/retries?limit=0").expectError(400, "bad_request")
            try await gateway.admin("GET", "/deliveries?status=nope").expectError(400, "bad_request")
            try await gateway.admin("GET", "/deliveries?tenant=shopstream&bogus=1").expectError(400, "bad_request")
            try await gateway.admin("GET", "/deliveries", key: TestGateway.apiKey).expectError(401, "unauthorized")
        }
    }

    @Test(arguments: NotificationBackend.available)
    func operatorListsEveryTenantsRetriesAndDeliveriesWithATenantFilter(backend: NotificationBackend) async throws {
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            _ = try await NotificationTests().endpoint(gateway, url: "http://127.0.0.1:1")
            _ = try await NotificationTests().endpoint(gateway, url: "http://127.0.0.1:1", key: TestGateway.otherApiKey)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o1","id":"s1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/s1/pick").expect(200)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o2","id":"x1"}"#, key: TestGateway.otherApiKey).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/x1/pick", key: TestGateway.otherApiKey).expect(200)
            let a = try await gateway.callback(#"{"tracking_number":"A1","status":"in_transit"}"#).expect(202)["retry_id"].string
            let b = try await gateway.callback(#"{"tracking_number":"B1","status":"in_transit"}"#, tenant: "other", secret: "other-generic-secret").expect(202)["retry_id"].string

            let all = try await gateway.admin("GET", "/retries").expect(200)["retries"].array
            #expect(Set(all.map { $0["id"].string }) == [a, b] && Set(all.map { $0["tenant"].string }) == ["shopstream", "other"])
            let onlyOther = try await gateway.admin("GET", "/retries?tenant=other&status=pending").expect(200)["retries"].array
            #expect(onlyOther.map { $0["id"].string } == [b] && onlyOther.first?["tenant"].string == "other")
            #expect(try await gateway.admin("GET", "/retries?limit=1").expect(200)["retries"].array.count == 1)
            // A tenant's own listing still shows only its own entries, without a tenant field.
            let own = try await gateway.api("GET", "/v1/retries").expect(200)["retries"].array
            #expect(own.map { $0["id"].string } == [a] && own.first?["tenant"].isNull == true)

            let delivered = try await gateway.eventually {
                let all = try await gateway.admin("GET", "/deliveries").expect(200)["deliveries"].array
                return Set(all.map { $0["tenant"].string ?? "" }) == ["shopstream", "other"]
            }
            #expect(delivered)
            let otherDeliveries = try await gateway.admin("GET", "/deliveries?tenant=other").expect(200)["deliveries"].array
            #expect(!otherDeliveries.isEmpty && otherDeliveries.allSatisfy { $0["tenant"].string == "other" })
            #expect(try await gateway.admin("GET", "/deliveries?tenant=nobody").expect(200)["deliveries"].array.isEmpty)
        }
    }

    /// Every attempt of an inbound retry is recorded and shown as `attempts` by `GET /v1/retries/{id}`; another
    /// tenant cannot read it.
    @Test(arguments: NotificationBackend.available)
    func retryAttemptsAreAnAuditTrail(backend: NotificationBackend) async throws {
        try await TestGateway.run(postgres: backend.postgresURL) { gateway in
            let retryId = try #require(try await gateway.callback(#"{"tracking_number":"LATE-1","status":"in_transit"}"#).expect(202)["retry_id"].string)
            // First attempt: still no shipment (the policy waits 10 s before it).
            gateway.clock.advance(seconds: 11)
            gateway.worker.wake()
            let failedOnce = try await gateway.eventually {
                try await gateway.store.retryEntry(tenant: "shopstream", id: retryId)?.attempts == 1
            }
            #expect(failedOnce)
            // The shipment arrives: the next attempt applies it.
            try await gateway.shippedFulfillment(id: "f-late", trackingNumber: "LATE-1")
            let succeeded = try await gateway.eventually {
                try await gateway.api("GET", "/v1/retries/\(retryId)").expect(200)["status"].string == "succeeded"
            }
            #expect(succeeded)
            let entry = try await gateway.api("GET", "/v1/retries/\(retryId)").expect(200)
            let attempts = entry["attempts"].array
            #expect(attempts.map { $0["attempt"].int } == [1, 2])
            #expect(attempts.map { $0["outcome"].string } == ["failed", "succeeded"])
            #expect((attempts.first?["error"].string ?? "").contains("LATE-1") && attempts.last?["error"].isNull == true)
            #expect(attempts.allSatisfy { $0["at"].string?.hasSuffix("Z") == true })
            #expect(entry["attempt_count"].int == 1 && entry.keys.contains("attempts") && attempts.first?.keys == ["attempt", "at", "outcome", "error"])
            try await gateway.api("GET", "/v1/retries/\(retryId)", key: TestGateway.otherApiKey).expectError(404, "not_found")
        }
    }

    /// Dead letters expire after `dead_letter_retention_s`, attempt log included; younger ones and pending entries stay.
    @Test(arguments: NotificationBackend.available)
    func deadLettersArePurgedAfterTheirRetention(backend: NotificationBackend) async throws {
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            let now = gateway.clock.now()
            func entry(_ id: String, status: RetryStatus, updated: Timestamp) -> RetryEntry {
                RetryEntry(id: id, tenant: "shopstream", carrier: "generic", body: Array("{}".utf8), headers: [], reason: .unmatched, receiptKey: nil,
                           matchKey: "M-\(id)", nextAttemptAt: now.adding(milliseconds: 86_400_000 * 365), status: status, createdAt: updated, updatedAt: updated)
            }
            _ = try await gateway.store.storeRetry(entry("rt-old", status: .exhausted, updated: now))
            _ = try await gateway.store.storeRetry(entry("rt-young", status: .exhausted, updated: now.adding(milliseconds: 20 * 86_400_000)))
            _ = try await gateway.store.storeRetry(entry("rt-pending", status: .pending, updated: now))
            #expect(try await gateway.admin("GET", "/retries?status=exhausted").expect(200)["retries"].array.count == 2)
            gateway.clock.advance(seconds: 31 * 86_400)
            gateway.worker.wake()
            let purged = try await gateway.eventually { try await gateway.store.retryEntry(tenant: "shopstream", id: "rt-old") == nil }
            #expect(purged)
            #expect(try await gateway.store.retryEntry(tenant: "shopstream", id: "rt-young") != nil)
            #expect(try await gateway.store.retryEntry(tenant: "shopstream", id: "rt-pending") != nil)
        }
    }

    /// Outbound dead letters expire too: an exhausted delivery, with its attempts, is purged after
    /// `dead_letter_retention_s` by the delivery worker's purge.
    @Test(arguments: NotificationBackend.available)
    func deadDeliveriesArePurgedAfterTheRetention(backend: NotificationBackend) async throws {
        try await TestGateway.run(config: Self.config(), postgres: backend.postgresURL) { gateway in
            _ = try await NotificationTests().endpoint(gateway, url: "http://127.0.0.1:1", retry: #"{"schedule_s":[1],"max_attempts":0}"#)
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o1","id":"d1"}"#).expect(201)
            try await gateway.api("PUT", "/v1/fulfillments/d1/pick").expect(200)
            let exhausted = try await gateway.eventually {
                try await gateway.api("GET", "/v1/deliveries?status=exhausted").expect(200)["deliveries"].array.count == 1
            }
            #expect(exhausted)
            let id = try #require(try await gateway.api("GET", "/v1/deliveries?status=exhausted").expect(200)["deliveries"][0]["id"].string)
            #expect(try await gateway.api("GET", "/v1/deliveries/\(id)").expect(200)["attempts"].array.count == 1)
            gateway.clock.advance(seconds: 29 * 86_400)
            // Twenty-nine days on it is still kept (the purge that the moved clock triggers finds it too young).
            let stillThere = try await gateway.api("GET", "/v1/deliveries/\(id)").expect(200)
            #expect(stillThere["status"].string == "exhausted")
            gateway.clock.advance(seconds: 2 * 86_400)
            let purged = try await gateway.eventually { try await gateway.api("GET", "/v1/deliveries/\(id)").status == 404 }
            #expect(purged)
        }
    }

    /// `parcelgate projections rebuild` recomputes damaged projections from the raw tables, with a progress line
    /// per tenant and a summary, on either backend.
    @Test(arguments: NotificationBackend.available)
    func projectionsRebuildCommandRepairsTheReadModels(backend: NotificationBackend) async throws {
        let location: String
        if let admin = backend.postgresURL {
            location = try await PostgresStore.createDatabase(adminURL: admin, name: "parcelgate_cli_" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        } else {
            location = TestGateway.temporaryDatabasePath()
        }
        let t0 = Timestamp(seconds: 1_763_500_000)
        var store = try await StoreLocation.open(location, durability: .normal, poolSize: 2, logger: .init(label: "cli-test"))
        for (n, tenant) in ["acme", "beta", "beta"].enumerated() {
            let id = "f\(n)"
            _ = try await store.createFulfillment(NewFulfillment(tenant: tenant, id: id, orderId: "o", createdAt: t0))
            for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "ups", trackingNumber: "T\(n)", serviceLevel: "ground")] {
                _ = try await store.apply(command, tenant: tenant, fulfillmentId: id, at: t0)
            }
            _ = try await store.ingest(IngestCallback(tenant: tenant, carrier: "ups", receiptKey: "r\(n)", events: [
                TrackingEvent(tenant: tenant, carrier: "ups", trackingNumber: "T\(n)", status: .inTransit, carrierStatusCode: "I", description: "scan",
                              occurredAt: t0.adding(milliseconds: 3_600_000)),
            ], receivedAt: t0))
            _ = try await store.apply(.deliver, tenant: tenant, fulfillmentId: id, at: t0.adding(milliseconds: Int64(n + 1) * 86_400_000))
        }
        func snapshot(_ tenant: String) async throws -> TenantStats {
            var stats = try await store.stats(tenant: tenant, fromDay: 0, toDay: 100_000, fromMinute: 0)
            stats.retryQueue = RetryQueueStats()
            return stats
        }
        let before = [try await snapshot("acme"), try await snapshot("beta")]
        #expect(before[1].fulfillmentsByStatus == [.delivered: 2] && before[1].carriers.first?.deliveries == 2)
        let runner = try #require(store as? any WorkflowRunner)
        try await runner.perform(Workflow(.write, .run([Statement(built: "DELETE FROM projection_carrier_counts"),
                                                        Statement(built: "UPDATE projection_status_counts SET count = count * 3")], finishing: ())))
        #expect(try await snapshot("beta") != before[1])
        await store.close()

        let run = try await GatewayProcess.runCLI(["projections", "rebuild", "--database", location])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        // acme: a status, a carrier, a transit bucket, two days; beta: two transit buckets, three days.
        #expect(lines.contains("[1/2] acme: 1 fulfillments, 5 counter rows") && lines.contains("[2/2] beta: 2 fulfillments, 7 counter rows"), "\(run.output)")
        #expect(lines.last?.hasPrefix("rebuilt 2 tenants: 3 fulfillments, 12 counter rows in ") == true, "\(run.output)")

        store = try await StoreLocation.open(location, durability: .normal, poolSize: 2, logger: .init(label: "cli-test"))
        #expect([try await snapshot("acme"), try await snapshot("beta")] == before)
        await store.close()
        let missing = try await GatewayProcess.runCLI(["projections", "rebuild", "--database", "/nonexistent/x.sqlite"])
        #expect(missing.status != 0 && missing.output.contains("No SQLite database"), "\(missing.output)")
    }

    /// `dead_letter_retention_s` is parsed strictly: a bound, a type, and a misspelt top-level key are refused.
    @Test func deadLetterRetentionIsParsedStrictly() throws {
        #expect(try GatewayConfig.parse("tenants: []").deadLetterRetentionSeconds == 2_592_000)
        #expect(try GatewayConfig.parse("dead_letter_retention_s: 86400").deadLetterRetentionSeconds == 86_400)
        for (yaml, says) in [("dead_letter_retention_s: 60", "between 3600"), ("dead_letter_retention_s: forever", "dead_letter_retention_s"),
                             ("dead_letter_retension_s: 86400", "unknown key 'dead_letter_retension_s'")] {
            #expect { _ = try GatewayConfig.parse(yaml) } throws: { ($0 as? GatewayError)?.detail.contains(says) == true }
        }
    }
}
