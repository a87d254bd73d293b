import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// The read models (issue 17) against the raw tables on every backend: after a randomized run of thousands of
/// callbacks (concurrent, out of order, duplicated, refused, unmatched) and platform commands, every projection
/// equals a recount from `fulfillments` and `domain_events`, and a rebuild gives the same again.
@Suite(.timeLimit(.minutes(5))) struct ProjectionTests {
    let t0 = Timestamp(seconds: 1_763_500_000)
    let tenants = ["acme", "beta"]
    let carriers = ["generic", "ups", "fedex"]
    let levels: [String?] = ["ground", "express", nil]

    /// What the projections should say, recounted in Swift from the raw rows.
    struct Recount: Equatable, CustomStringConvertible {
        var status: [FulfillmentStatus: Int64] = [:]
        var carriers: [String: (exceptions: Int64, deliveries: Int64)] = [:]
        var transit: [String: [Int: Int64]] = [:]
        var daily: [Int64: [Int64]] = [:]

        static func == (a: Recount, b: Recount) -> Bool {
            a.status == b.status && a.transit == b.transit && a.daily == b.daily
                && a.carriers.mapValues { [$0.exceptions, $0.deliveries] } == b.carriers.mapValues { [$0.exceptions, $0.deliveries] }
        }

        var description: String {
            "status \(status.sorted { $0.key.rawValue < $1.key.rawValue }), carriers \(carriers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }), "
                + "transit \(transit.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.sorted { $0.key < $1.key })" }), daily \(daily.sorted { $0.key < $1.key })"
        }

        init() {}

        init(_ stats: TenantStats) {
            status = stats.fulfillmentsByStatus
            for c in stats.carriers {
                let key = c.carrier + "/" + c.serviceLevel
                if c.exceptions != 0 || c.deliveries != 0 { carriers[key] = (c.exceptions, c.deliveries) }
                if !c.transitBuckets.isEmpty { transit[key] = c.transitBuckets }
            }
            for d in stats.daily { daily[d.day] = [d.shipments, d.deliveries, d.exceptions] }
        }
    }

    static func rows(_ store: any GatewayStore, _ sql: String, _ tenant: String) async throws -> [[String]] {
        let runner = try #require(store as? any WorkflowRunner)
        let read = Statement(built: sql, [.text(tenant)], yield: .rows(.text))
        return try await runner.perform(Workflow(.read, .run(read) { rows throws(GatewayError) in .done(rows.texts) }))
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    static func recount(_ store: any GatewayStore, tenant: String) async throws -> Recount {
        var recount = Recount()
        let fulfillments = try await rows(store, """
            SELECT status || '|' || coalesce(carrier, '') || '|' || coalesce(service_level, '') || '|' || coalesce(CAST(shipped_at AS TEXT), '')
                   || '|' || coalesce(CAST(actual_delivery AS TEXT), '') FROM fulfillments WHERE tenant = ?
            """, tenant)
        for row in fulfillments {
            let status = try #require(FulfillmentStatus(rawValue: row[0]))
            recount.status[status, default: 0] += 1
            if status == .delivered, let shipped = Int64(row[3]), let delivered = Int64(row[4]) {
                recount.transit[row[1] + "/" + row[2], default: [:]][TransitHistogram.bucket(milliseconds: delivered - shipped), default: 0] += 1
            }
        }
        let events = try await rows(store, """
            SELECT type || '|' || from_status || '|' || to_status || '|' || coalesce(carrier, '') || '|' || coalesce(service_level, '')
                   || '|' || CAST(occurred_at AS TEXT) FROM domain_events WHERE tenant = ?
            """, tenant)
        for row in events {
            let key = row[3] + "/" + row[4]
            let day = UTCDay.day(of: Timestamp(milliseconds: try #require(Int64(row[5]))))
            switch row[0] {
            case "DeliveryException":
                recount.carriers[key, default: (0, 0)].exceptions += 1
                recount.daily[day, default: [0, 0, 0]][2] += 1
            case "DeliveryConfirmed":
                recount.carriers[key, default: (0, 0)].deliveries += 1
                recount.daily[day, default: [0, 0, 0]][1] += 1
            case "FulfillmentStatusChanged" where row[2] == "SHIPPED" && row[1] != "SHIPPED":
                recount.daily[day, default: [0, 0, 0]][0] += 1
            default: break
            }
        }
        return recount
    }

    func projected(_ store: any GatewayStore, tenant: String) async throws -> Recount {
        Recount(try await store.stats(tenant: tenant, fromDay: UTCDay.day(of: t0) - 400, toDay: UTCDay.day(of: t0) + 400, fromMinute: 0))
    }

    @Test(arguments: StoreBackend.available)
    func projectionsEqualARecountAfterARandomizedRunAndAfterARebuild(backend: StoreBackend) async throws {
        let store = try await backend.open()
        var rng = SplitMix64(seed: 0x17_2026)
        let perTenant = 120
        var tracking: [(tenant: String, id: String, number: String)] = []
        // Fulfillments in every state: some left before shipping, some cancelled, most shipped at different times.
        for tenant in tenants {
            for n in 0..<perTenant {
                let id = "\(tenant)-f\(n)"
                let created = t0.adding(milliseconds: Int64.random(in: 0...3 * 86_400_000, using: &rng))
                _ = try await store.createFulfillment(NewFulfillment(tenant: tenant, id: id, orderId: "o\(n)", createdAt: created))
                let fate = Int.random(in: 0..<10, using: &rng)
                if fate == 0 { continue }
                if fate == 1 {
                    _ = try await store.apply(.cancel, tenant: tenant, fulfillmentId: id, at: created)
                    continue
                }
                for command in [FulfillmentCommand.pick, .pack, .ready] { _ = try await store.apply(command, tenant: tenant, fulfillmentId: id, at: created) }
                if fate == 2 { continue }
                let number = "\(tenant.uppercased())\(n)"
                let carrier = carriers.randomElement(using: &rng) ?? "generic"
                let level = levels.randomElement(using: &rng) ?? nil
                _ = try await store.apply(.ship(carrier: carrier, trackingNumber: number, serviceLevel: level), tenant: tenant, fulfillmentId: id,
                                          at: created.adding(milliseconds: 3_600_000))
                tracking.append((tenant, id, number))
            }
        }
        // Callbacks: scans of every class at random times (so many arrive out of order, and exceptions or deliveries
        // before any scan are refused, then reconsidered), a tenth naming no known shipment (queued), and resent
        // receipts (duplicates); a few platform exceptions and deliveries in between.
        let statuses: [TrackingStatus] = [.inTransit, .inTransit, .outForDelivery, .delivered, .deliveryFailed, .onHold, .returnToSender, .pickedUp, .unknown]
        var callbacks: [IngestCallback] = []
        var commands: [(Int, String, String, FulfillmentCommand)] = []
        for n in 0..<3_000 {
            let tenant = tenants.randomElement(using: &rng) ?? "acme"
            let mine = tracking.filter { $0.tenant == tenant }
            let known = mine.randomElement(using: &rng)
            let number = Int.random(in: 0..<10, using: &rng) == 0 ? "UNKNOWN\(n % 40)" : known?.number ?? "NONE"
            let count = Int.random(in: 0..<8, using: &rng) == 0 ? 2 : 1
            var events: [TrackingEvent] = []
            for e in 0..<count {
                let status = statuses.randomElement(using: &rng) ?? .inTransit
                let at = t0.adding(milliseconds: Int64.random(in: 0...8 * 86_400_000, using: &rng))
                events.append(TrackingEvent(tenant: tenant, carrier: "generic", trackingNumber: number, status: status, carrierStatusCode: status.rawValue,
                                            description: "scan \(n).\(e)", occurredAt: at, providerEventId: "p\(n).\(e)"))
            }
            let receipt = Int.random(in: 0..<12, using: &rng) == 0 ? "r\(max(n - 1, 0))" : "r\(n)"
            let receivedAt = t0.adding(milliseconds: Int64(n) * 1000)
            callbacks.append(IngestCallback(tenant: tenant, carrier: "generic", receiptKey: receipt, events: events, receivedAt: receivedAt, queueIfUnmatched: {
                RetryEntry(id: "rt-\(tenant)-\(n)", tenant: tenant, carrier: "generic", body: Array("{}".utf8), headers: [], reason: .unmatched,
                           receiptKey: receipt, matchKey: number, nextAttemptAt: receivedAt, createdAt: receivedAt, updatedAt: receivedAt)
            }))
            if n % 50 == 0, let known {
                let command: FulfillmentCommand = n % 100 == 0 ? .deliver : .exception(reason: "damaged", location: nil, status: .deliveryFailed)
                commands.append((n, tenant, known.id, command))
            }
        }
        var outcomes: [String: Int] = [:]
        // Sixteen at a time: concurrent transactions on the same tenants' counter rows.
        for start in stride(from: 0, to: callbacks.count, by: 16) {
            let batch = Array(callbacks[start..<min(start + 16, callbacks.count)])
            let results = await withTaskGroup(of: String.self) { group in
                for callback in batch {
                    group.addTask {
                        do throws(GatewayError) {
                            switch try await store.ingest(callback) {
                            case .applied: return "applied"
                            case .duplicate: return "duplicate"
                            case .queued: return "queued"
                            case .invalidTransition: return "refused"
                            }
                        } catch {
                            return "error \(error.code): \(error.detail)"
                        }
                    }
                }
                var all: [String] = []
                for await result in group { all.append(result) }
                return all
            }
            for result in results { outcomes[result, default: 0] += 1 }
            for (_, tenant, id, command) in commands where (start..<start + 16).contains(commands.first { $0.2 == id }?.0 ?? -1) {
                do throws(GatewayError) {
                    _ = try await store.apply(command, tenant: tenant, fulfillmentId: id, at: t0.adding(milliseconds: Int64(start) * 1000))
                    outcomes["command", default: 0] += 1
                } catch {
                    outcomes["command refused", default: 0] += 1
                }
            }
        }
        // The run exercised what it claims to: applied, duplicates, refusals and queued callbacks all happened, nothing failed.
        #expect(outcomes.keys.filter { $0.hasPrefix("error") }.isEmpty, "\(outcomes)")
        for outcome in ["applied", "duplicate", "refused", "queued", "command"] { #expect((outcomes[outcome] ?? 0) > 20, "\(outcomes)") }

        var incremental: [String: Recount] = [:]
        for tenant in tenants {
            let recount = try await Self.recount(store, tenant: tenant)
            let projected = try await projected(store, tenant: tenant)
            #expect(projected == recount, "\(backend) \(tenant):\nprojected \(projected)\nrecount   \(recount)")
            #expect(recount.status.values.reduce(0, +) == Int64(perTenant))
            #expect((recount.status[.delivered] ?? 0) > 5 && (recount.status[.exception] ?? 0) > 0 && recount.daily.count > 3, "\(recount)")
            incremental[tenant] = projected
        }

        // A rebuild from the raw tables gives the same, on top of counters it first deletes (even damaged ones).
        try await StoreBackend.execute(store, "UPDATE projection_status_counts SET count = count + 5")
        try await StoreBackend.execute(store, "DELETE FROM projection_daily_counts")
        let rebuilt = try await store.rebuildAllProjections(now: t0)
        #expect(rebuilt.map(\.tenant) == tenants && rebuilt.allSatisfy { $0.fulfillments == Int64(perTenant) && $0.rows > 0 })
        for tenant in tenants {
            #expect(try await projected(store, tenant: tenant) == incremental[tenant], "\(backend) \(tenant) after rebuild")
        }
        #expect(try await store.projectionsStale() == false)
        await store.close()
    }

    /// A tenant's stats never include another tenant's rows.
    @Test(arguments: StoreBackend.available)
    func statsAreScopedByTenant(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "a1", orderId: "o", createdAt: t0))
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "a2", orderId: "o", createdAt: t0))
        _ = try await store.createFulfillment(NewFulfillment(tenant: "beta", id: "b1", orderId: "o", createdAt: t0))
        try await store.recordIngestCounts([IngestCount(tenant: "beta", minute: 10, outcome: "applied", code: "", count: 3)], purgeBeforeMinute: 0)
        let acme = try await store.stats(tenant: "acme", fromDay: 0, toDay: 100_000, fromMinute: 0)
        let beta = try await store.stats(tenant: "beta", fromDay: 0, toDay: 100_000, fromMinute: 0)
        #expect(acme.fulfillmentsByStatus == [.pending: 2] && acme.ingest.isEmpty)
        #expect(beta.fulfillmentsByStatus == [.pending: 1] && beta.ingest.map(\.count) == [3])
        await store.close()
    }

    /// Ingest counts add up across batches (and replicas), and minutes before the purge line go.
    @Test(arguments: StoreBackend.available)
    func ingestCountsAddUpAndOldMinutesArePurged(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.recordIngestCounts([
            IngestCount(tenant: "acme", minute: 100, outcome: "applied", code: "", count: 2),
            IngestCount(tenant: "acme", minute: 100, outcome: "applied", code: "", count: 1),
            IngestCount(tenant: "acme", minute: 101, outcome: "rejected", code: "invalid_signature", count: 1),
        ], purgeBeforeMinute: 0)
        try await store.recordIngestCounts([IngestCount(tenant: "acme", minute: 101, outcome: "rejected", code: "invalid_signature", count: 4)],
                                           purgeBeforeMinute: 101)
        let stats = try await store.stats(tenant: "acme", fromDay: 0, toDay: 0, fromMinute: 0)
        #expect(stats.ingest == [IngestCount(tenant: "acme", minute: 101, outcome: "rejected", code: "invalid_signature", count: 5)])
        await store.close()
    }

    /// The transit-time histogram: integer bounds, monotonic, the documented precision, and the SQL agrees with Swift.
    @Test func transitHistogramBucketsAndQuantiles() {
        #expect(TransitHistogram.bucket(milliseconds: -5) == 0 && TransitHistogram.bucket(milliseconds: 999) == 0)
        #expect(TransitHistogram.bucket(milliseconds: 1000) == 1 && TransitHistogram.bucket(milliseconds: .max) == TransitHistogram.bucketCount - 1)
        #expect(zip(TransitHistogram.lowerBounds, TransitHistogram.lowerBounds.dropFirst()).allSatisfy { $0 < $1 })
        let samples: [Double] = [1, 7, 3_600, 86_400, 285_120, 3_456_000]
        for seconds in samples {
            let bucket = TransitHistogram.bucket(milliseconds: Int64(seconds * 1000))
            let estimate = TransitHistogram.representativeSeconds(bucket: bucket)
            #expect(abs(estimate - seconds) / seconds < 0.095, "\(seconds) s -> \(estimate) s")
        }
        let counts = [TransitHistogram.bucket(milliseconds: 86_400_000): Int64(9), TransitHistogram.bucket(milliseconds: 5 * 86_400_000): 1]
        #expect(abs((TransitHistogram.quantile(0.5, counts: counts) ?? 0) - 86_400) / 86_400 < 0.095)
        #expect(abs((TransitHistogram.quantile(0.9, counts: counts) ?? 0) - 86_400) / 86_400 < 0.095)
        #expect(abs((TransitHistogram.quantile(1.0, counts: counts) ?? 0) - 432_000) / 432_000 < 0.095)
        #expect(TransitHistogram.quantile(0.5, counts: [:]) == nil)
        #expect(UTCDay.day(of: Timestamp(milliseconds: -1)) == -1 && UTCDay.day(of: Timestamp(milliseconds: 86_400_000)) == 1)
    }
}
