import ParcelGateCore
import ParcelGateStore

/// The overview's figures for a set of tenants: the one place the overview reads from (README, "Console").
///
/// Today it counts with indexed `GROUP BY`s per tenant (``GatewayStore/consoleCounts(tenant:)``) and has no
/// per-minute callback counts; when the read models of issue 17 land, this is the one type that switches to
/// them (ingest counts per minute for the chart, projections for the status and exception counts).
struct ConsoleOverviewSource: Sendable {
    let store: any GatewayStore

    /// Callbacks of one minute by outcome.
    struct Minute: Sendable {
        var start: Timestamp
        var applied = 0, duplicate = 0, queued = 0, rejected = 0
    }

    struct Overview: Sendable {
        /// The last hour, minute by minute, oldest first; `nil` while the gateway does not count them.
        var callbacksPerMinute: [Minute]?
        var counts = ConsoleCounts()
        /// Endpoints by circuit state (`closed`, `open`, `half_open`, `disabled`).
        var endpointStates: [String: Int] = [:]
    }

    func overview(tenants: [String], now: Timestamp) async throws(GatewayError) -> Overview {
        var overview = Overview(callbacksPerMinute: nil)
        for tenant in tenants {
            let counts = try await store.consoleCounts(tenant: tenant)
            overview.counts.fulfillmentsByStatus.merge(counts.fulfillmentsByStatus, uniquingKeysWith: +)
            overview.counts.exceptionsByCarrier.merge(counts.exceptionsByCarrier, uniquingKeysWith: +)
            overview.counts.retriesByStatus.merge(counts.retriesByStatus, uniquingKeysWith: +)
            overview.counts.deliveriesByStatus.merge(counts.deliveriesByStatus, uniquingKeysWith: +)
            for endpoint in try await store.endpoints(tenant: tenant) {
                overview.endpointStates[endpoint.enabled ? endpoint.circuit.state : "disabled", default: 0] += 1
            }
        }
        return overview
    }
}
