import ParcelGateCore

/// The read side (issue 17): a tenant's stats in one snapshot, ingest counts per minute, the projections'
/// rebuild, and the operator's cross-tenant listings and dead-letter purges.
enum ReadModelWorkflows {
    /// The window of a stats read: days `fromDay...toDay` (``UTCDay``) and minutes from `fromMinute` on.
    static func stats(tenant: String, fromDay: Int64, toDay: Int64, fromMinute: Int64) -> Workflow<TenantStats> {
        Workflow(.snapshot, .run([
            ProjectionStatements.statusCounts(tenant: tenant),
            ProjectionStatements.carrierCounts(tenant: tenant),
            ProjectionStatements.transitBuckets(tenant: tenant),
            ProjectionStatements.daily(tenant: tenant, fromDay: fromDay, toDay: toDay),
            ProjectionStatements.ingest(tenant: tenant, fromMinute: fromMinute),
            RetryStatements.queueStats(tenant: tenant),
            WebhookStatements.countsByStatus(tenant: tenant),
            WebhookStatements.endpoints(tenant: tenant),
        ]) { results throws(GatewayError) in
            var stats = TenantStats()
            for (name, count) in try results.result(0).statusCounts where count != 0 {
                guard let status = FulfillmentStatus(rawValue: name) else { throw .internalError("A projection counts an unknown status") }
                stats.fulfillmentsByStatus[status] = count
            }
            var carriers: [String: CarrierStats] = [:]
            func key(_ carrier: String, _ level: String) -> String { carrier + "\u{0}" + level }
            for row in try results.result(1).carrierCounts { carriers[key(row.carrier, row.serviceLevel)] = row }
            for row in try results.result(2).transitBuckets where row.count != 0 {
                carriers[key(row.carrier, row.serviceLevel), default: CarrierStats(carrier: row.carrier, serviceLevel: row.serviceLevel)]
                    .transitBuckets[row.bucket] = row.count
            }
            stats.carriers = carriers.values.sorted { ($0.carrier, $0.serviceLevel) < ($1.carrier, $1.serviceLevel) }
            stats.daily = try results.result(3).dailyCounts
            stats.ingest = try results.result(4).ingestCounts
            for row in try results.result(5).queueStats {
                stats.retryQueue.attempts = stats.retryQueue.attempts.addingSaturating(row.attempts)
                if row.status == RetryStatus.pending.rawValue {
                    stats.retryQueue.pending = row.count
                    stats.retryQueue.oldestPendingAt = row.oldest
                } else {
                    stats.retryQueue.exhausted = row.count
                }
            }
            for (name, count) in try results.result(6).statusCounts {
                if let status = DeliveryStatus(rawValue: name) { stats.deliveriesByStatus[status] = count }
            }
            stats.failingEndpoints = try results.result(7).endpoints.filter { !$0.enabled || $0.circuit.state != "closed" || $0.circuit.consecutiveFailures > 0 }
            return .done(stats)
        })
    }

    /// Adds a batch of per-minute ingest counts (merged, in key order) and drops the minutes before `purgeBefore`.
    static func recordIngest(_ counts: [IngestCount], purgeBeforeMinute: Int64) -> Workflow<Void> {
        var merged: [IngestCount] = []
        for count in counts.sorted() {
            if let last = merged.last, (last.tenant, last.minute, last.outcome, last.code) == (count.tenant, count.minute, count.outcome, count.code) {
                merged[merged.count - 1].count = last.count.addingSaturating(count.count)
            } else {
                merged.append(count)
            }
        }
        return Workflow(.write, .run(merged.map(ProjectionStatements.addIngest) + [ProjectionStatements.purgeIngest(beforeMinute: purgeBeforeMinute)], finishing: ()))
    }

    /// Every tenant whose projections a rebuild recomputes.
    static func projectionTenants() -> Workflow<[String]> {
        Workflow(.read, .run(ProjectionStatements.tenants) { rows throws(GatewayError) in .done(rows.texts) })
    }

    /// One tenant's projections recomputed from the raw tables, in one transaction.
    static func rebuild(tenant: String, dialect: StoreDialect) -> Workflow<ProjectionRebuild> {
        let recount = ProjectionStatements.recount(tenant: tenant)
        let lock = dialect.hasRowLocks ? [ProjectionStatements.lockForRebuild] : []
        let statements = lock + ProjectionStatements.clear(tenant: tenant) + recount + [ProjectionStatements.fulfillmentCount(tenant: tenant)]
        return Workflow(.write, .run(statements) { results throws(GatewayError) in
            let first = lock.count + 4
            var rows = 0
            for index in first..<(first + recount.count) { rows += try results.result(index).changes }
            let fulfillments = try results.result(results.count - 1).integers.first ?? 0
            return .done(ProjectionRebuild(tenant: tenant, fulfillments: fulfillments, rows: rows))
        })
    }

    static func projectionsStale() -> Workflow<Bool> {
        Workflow(.read, .run(ProjectionStatements.isStale) { rows throws(GatewayError) in .done((rows.integers.first ?? 0) != 0) })
    }

    static func markRebuilt(at: Timestamp) -> Workflow<Void> {
        Workflow(.write, .run([ProjectionStatements.markRebuilt(at: at)], finishing: ()))
    }

    /// The operator's view of deliveries: every tenant's, or one tenant's.
    static func deliveries(tenant: String?, status: DeliveryStatus?, limit: Int) -> Workflow<[DeliveryRecord]> {
        Workflow(.read, .run(WebhookStatements.listAll(tenant: tenant, status: status, limit: limit)) { rows throws(GatewayError) in .done(rows.deliveries) })
    }

    /// Exhausted deliveries last changed before `before` and attempts started before it: how many of each.
    static func purgeDeadDeliveries(before: Timestamp) -> Workflow<(deliveries: Int, attempts: Int)> {
        Workflow(.write, .run([WebhookStatements.purgeExhausted(before: before), WebhookStatements.purgeAttempts(before: before)]) {
            results throws(GatewayError) in
            .done((try results.result(0).changes, try results.result(1).changes))
        })
    }
}
