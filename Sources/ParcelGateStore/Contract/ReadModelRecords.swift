import ParcelGateCore

/// One tenant's read side (README, "Stats"): its projections, ingest counts per minute, inbound retry queue and
/// outbound deliveries, each read from counters or grouped rows, never by walking fulfillments.
package struct TenantStats: Sendable, Hashable {
    /// Fulfillments by status (statuses with none are left out).
    package var fulfillmentsByStatus: [FulfillmentStatus: Int64] = [:]
    /// Per carrier and service level (`""` when the shipment named none), sorted by carrier then service level.
    package var carriers: [CarrierStats] = []
    /// Per UTC day in the window asked for, oldest first; days with nothing are left out.
    package var daily: [DailyCounts] = []
    /// Callbacks per minute, outcome and error code, in the window asked for, oldest first.
    package var ingest: [IngestCount] = []
    package var retryQueue = RetryQueueStats()
    /// Deliveries by status.
    package var deliveriesByStatus: [DeliveryStatus: Int64] = [:]
    /// Endpoints that are disabled, or whose circuit is not closed, or whose last attempts failed.
    package var failingEndpoints: [EndpointRecord] = []

    package init() {}
}

package struct CarrierStats: Sendable, Hashable {
    package var carrier: String
    package var serviceLevel: String
    package var exceptions: Int64
    package var deliveries: Int64
    /// SHIPPED-to-DELIVERED times: ``TransitHistogram`` bucket to count.
    package var transitBuckets: [Int: Int64]

    package init(carrier: String, serviceLevel: String, exceptions: Int64 = 0, deliveries: Int64 = 0, transitBuckets: [Int: Int64] = [:]) {
        self.carrier = carrier
        self.serviceLevel = serviceLevel
        self.exceptions = exceptions
        self.deliveries = deliveries
        self.transitBuckets = transitBuckets
    }
}

package struct DailyCounts: Sendable, Hashable {
    /// Days since 1970-01-01 (``UTCDay``).
    package var day: Int64
    package var shipments: Int64
    package var deliveries: Int64
    package var exceptions: Int64

    package init(day: Int64, shipments: Int64, deliveries: Int64, exceptions: Int64) {
        self.day = day
        self.shipments = shipments
        self.deliveries = deliveries
        self.exceptions = exceptions
    }
}

/// Callbacks of one tenant in one minute with one outcome (`applied`, `duplicate`, `queued`, `acknowledged`,
/// `rejected`) and error code (`""` unless rejected).
package struct IngestCount: Sendable, Hashable, Comparable {
    package var tenant: String
    /// Minutes since 1970-01-01T00:00Z.
    package var minute: Int64
    package var outcome: String
    package var code: String
    package var count: Int64

    package init(tenant: String, minute: Int64, outcome: String, code: String, count: Int64) {
        self.tenant = tenant
        self.minute = minute
        self.outcome = outcome
        self.code = code
        self.count = count
    }

    package static func < (a: IngestCount, b: IngestCount) -> Bool {
        (a.tenant, a.minute, a.outcome, a.code) < (b.tenant, b.minute, b.outcome, b.code)
    }
}

package struct RetryQueueStats: Sendable, Hashable {
    package var pending: Int64 = 0
    package var exhausted: Int64 = 0
    /// Attempts made so far, summed over the pending and the exhausted entries.
    package var attempts: Int64 = 0
    /// When the oldest pending entry was queued.
    package var oldestPendingAt: Timestamp?

    package init() {}
}

/// One attempt of an inbound retry (the audit trail of `GET /v1/retries/{id}`).
package struct RetryAttempt: Sendable, Hashable {
    /// 1, 2, ... over the entry's whole life (a replay continues the numbering).
    package var attempt: Int
    package var at: Timestamp
    /// `succeeded`, `failed` (will be tried again) or `exhausted`.
    package var outcome: String
    package var error: String?

    package init(attempt: Int, at: Timestamp, outcome: String, error: String?) {
        self.attempt = attempt
        self.at = at
        self.outcome = outcome
        self.error = error
    }
}

/// What `parcelgate projections rebuild` did for one tenant.
package struct ProjectionRebuild: Sendable, Hashable {
    package var tenant: String
    package var fulfillments: Int64
    /// Counter rows written (status, carrier, transit-time and daily rows).
    package var rows: Int

    package init(tenant: String, fulfillments: Int64, rows: Int) {
        self.tenant = tenant
        self.fulfillments = fulfillments
        self.rows = rows
    }
}
