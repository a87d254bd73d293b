import ParcelGateCore
import ParcelGateStore

/// The overview's figures for a set of tenants: the one place the overview reads from (README, "Console").
///
/// It reads the read models (README, "Stats"): ``GatewayStore/stats(tenant:fromDay:toDay:fromMinute:)`` per
/// tenant, after this replica's ingest counts are flushed, so every figure comes from counters and grouped rows,
/// whatever the number of fulfillments.
struct ConsoleOverviewSource: Sendable {
    let store: any GatewayStore
    let counter: IngestCounter

    /// The outcomes the chart stacks, bottom up (`IngestCount.outcome`).
    static let outcomes = ["applied", "acknowledged", "duplicate", "queued", "rejected"]

    /// Callbacks of one minute, one count per ``outcomes`` entry.
    struct Minute: Sendable {
        var start: Timestamp
        var counts: [Int] = Array(repeating: 0, count: ConsoleOverviewSource.outcomes.count)
    }

    struct Overview: Sendable {
        /// The last hour, minute by minute, oldest first (60 minutes, the current one last).
        var callbacksPerMinute: [Minute] = []
        var fulfillmentsByStatus: [String: Int] = [:]
        /// Exceptions recorded per carrier (the projection's count, all time).
        var exceptionsByCarrier: [String: Int] = [:]
        var pendingRetries = 0
        var deadLetters = 0
        /// Attempts made so far by the pending and dead-lettered entries.
        var retryAttempts = 0
        var oldestPendingAt: Timestamp?
        var deliveriesByStatus: [String: Int] = [:]
        /// Endpoints by circuit state (`closed`, `open`, `half_open`, `disabled`).
        var endpointStates: [String: Int] = [:]
    }

    func overview(tenants: [String], now: Timestamp) async throws(GatewayError) -> Overview {
        // What this replica counted so far is stored first, so the chart includes it.
        try await counter.flush(to: store)
        let nowMinute = IngestCounter.minute(of: now)
        let fromMinute = nowMinute - 59
        let today = UTCDay.day(of: now)
        var overview = Overview()
        overview.callbacksPerMinute = (0..<60).map { Minute(start: Timestamp(milliseconds: (fromMinute + Int64($0)).multipliedSaturating(by: 60_000))) }
        for tenant in tenants {
            let stats = try await store.stats(tenant: tenant, fromDay: today, toDay: today, fromMinute: fromMinute)
            for count in stats.ingest {
                let offset = count.minute - fromMinute
                guard (0..<60).contains(offset), let series = Self.outcomes.firstIndex(of: count.outcome) else { continue }
                overview.callbacksPerMinute[Int(offset)].counts[series] += Int(clamping: count.count)
            }
            for (status, count) in stats.fulfillmentsByStatus { overview.fulfillmentsByStatus[status.rawValue, default: 0] += Int(clamping: count) }
            for carrier in stats.carriers where carrier.exceptions > 0 {
                overview.exceptionsByCarrier[carrier.carrier, default: 0] += Int(clamping: carrier.exceptions)
            }
            overview.pendingRetries += Int(clamping: stats.retryQueue.pending)
            overview.deadLetters += Int(clamping: stats.retryQueue.exhausted)
            overview.retryAttempts += Int(clamping: stats.retryQueue.attempts)
            if let oldest = stats.retryQueue.oldestPendingAt, overview.oldestPendingAt.map({ oldest < $0 }) ?? true { overview.oldestPendingAt = oldest }
            for (status, count) in stats.deliveriesByStatus { overview.deliveriesByStatus[status.rawValue, default: 0] += Int(clamping: count) }
            for endpoint in try await store.endpoints(tenant: tenant) {
                overview.endpointStates[endpoint.enabled ? endpoint.circuit.state : "disabled", default: 0] += 1
            }
        }
        return overview
    }
}
