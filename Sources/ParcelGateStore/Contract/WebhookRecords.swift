import ParcelGateCore

/// A tenant's webhook endpoint: where its notifications go, how they are signed, and its circuit.
package struct EndpointRecord: Sendable, Hashable {
    package var id: String
    package var tenant: String
    package var url: String
    package var description: String?
    /// Event type names; empty means every type.
    package var eventTypes: [String]
    package var enabled: Bool
    /// Why it was disabled (`gone`, `failing`, `operator`), while it is.
    package var disabledReason: String?
    /// The signing secret, sealed like carrier secrets (or in clear without a master key).
    package var secret: SecretRecord
    /// The secret it replaced, still signing until ``previousExpiresAt`` (rotation grace).
    package var previousSecret: SecretRecord?
    package var previousExpiresAt: Timestamp?
    /// The endpoint's retry config as JSON (`nil`: the default delivery schedule).
    package var retryPolicyJSON: String?
    /// Most deliveries per second to this endpoint (`nil`: no limit).
    package var ratePerSecond: Double?
    /// The rate limit's token bucket as stored: tokens left at `rateUpdatedAt` (shared by every replica).
    package var rateTokens: Double?
    package var rateUpdatedAt: Timestamp?
    package var circuit: CircuitRecord
    package var createdAt: Timestamp
    package var updatedAt: Timestamp

    package init(id: String, tenant: String, url: String, description: String?, eventTypes: [String], enabled: Bool = true,
                 disabledReason: String? = nil, secret: SecretRecord, previousSecret: SecretRecord? = nil, previousExpiresAt: Timestamp? = nil,
                 retryPolicyJSON: String? = nil, ratePerSecond: Double? = nil, circuit: CircuitRecord = .closed, createdAt: Timestamp, updatedAt: Timestamp,
                 rateTokens: Double? = nil, rateUpdatedAt: Timestamp? = nil) {
        self.rateTokens = rateTokens
        self.rateUpdatedAt = rateUpdatedAt
        self.id = id
        self.tenant = tenant
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousExpiresAt = previousExpiresAt
        self.retryPolicyJSON = retryPolicyJSON
        self.ratePerSecond = ratePerSecond
        self.circuit = circuit
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Where a delivery stands.
package enum DeliveryStatus: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its first attempt (or claimed and being sent).
    case pending
    case delivered
    /// An attempt failed; another is due at `next_attempt_at`.
    case failed
    /// No attempt left, or a permanent failure: a dead letter, recoverable through `recover`.
    case exhausted
    /// Its endpoint is disabled: kept, in order, and sent once it is enabled again.
    case held
}

/// One notification to one endpoint: a fixed body, sent until delivered or exhausted, under one `webhook-id`
/// (``id``) however many attempts it takes.
package struct DeliveryRecord: Sendable, Hashable {
    package var id: String
    package var tenant: String
    package var endpointId: String
    /// `evt_...`, the same for every endpoint the event goes to.
    package var eventId: String
    package var eventType: String
    package var fulfillmentId: String?
    package var sequence: Int64?
    /// The exact body every attempt sends.
    package var payload: [UInt8]
    package var status: DeliveryStatus
    package var attempts: Int
    package var nextAttemptAt: Timestamp
    package var lastError: String?
    package var lastStatusCode: Int?
    package var claimToken: String?
    package var createdAt: Timestamp
    package var updatedAt: Timestamp
    /// Filled when read one at a time.
    package var attemptLog: [AttemptRecord] = []
    /// The W3C `traceparent` of the change it notifies (README, "Tracing"): each attempt's span links to it.
    package var traceParent: String? = nil
}

/// One attempt at a delivery, as the API shows it.
package struct AttemptRecord: Sendable, Hashable {
    package var attempt: Int
    /// `scheduled` (the worker) or `manual` (retry-now, test).
    package var trigger: String
    package var startedAt: Timestamp
    package var durationMilliseconds: Int64
    package var statusCode: Int?
    /// At most 1 KiB of the response, cut on a UTF-8 boundary.
    package var responseExcerpt: String?
    package var error: String?

    package init(attempt: Int, trigger: String, startedAt: Timestamp, durationMilliseconds: Int64, statusCode: Int?, responseExcerpt: String?, error: String?) {
        self.attempt = attempt
        self.trigger = trigger
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.statusCode = statusCode
        self.responseExcerpt = responseExcerpt
        self.error = error
    }
}

/// A domain event not yet fanned out to endpoints (the outbox), or a dead letter to announce.
package struct OutboxEvent: Sendable, Hashable {
    package var id: Int64
    package var tenant: String
    /// Empty for `retry.exhausted`.
    package var fulfillmentId: String
    /// A ``DomainEventType`` raw value, or `retry.exhausted`.
    package var type: String
    package var fromStatus: String
    package var toStatus: String
    package var trackingStatus: String?
    package var carrier: String?
    package var serviceLevel: String?
    package var trackingNumber: String?
    package var orderId: String?
    package var sequence: Int64
    package var reason: String?
    package var location: String?
    /// For `retry.exhausted`: the dead letter's id.
    package var retryId: String?
    package var occurredAt: Timestamp
    package var recordedAt: Timestamp
    /// For `retry.exhausted`: why the callback was queued, and how many attempts it had.
    package var retryReason: String? = nil
    package var retryAttempts: Int? = nil
    /// The carrier scan behind the change, when one is: its status code and description.
    package var scanCode: String? = nil
    package var scanDescription: String? = nil
    /// The W3C `traceparent` of the request (or retry) that caused it; copied to its deliveries.
    package var traceParent: String? = nil
}

/// One notification to fan out: what it says, and where it stands in its fulfillment's order.
package struct NewNotification: Sendable, Hashable {
    /// Unique per endpoint: a second fan-out of the same event (another replica, a crash mid-way) adds nothing.
    package var sourceKey: String
    package var eventId: String
    package var eventType: String
    package var fulfillmentId: String?
    package var sequence: Int64?
    /// Within one sequence number, the order of its notifications (a typed one, then `fulfillment.status_changed`).
    package var position: Int
    package var payload: [UInt8]
    /// The causing change's W3C `traceparent`, stored with the delivery.
    package var traceParent: String? = nil

    package init(sourceKey: String, eventId: String, eventType: String, fulfillmentId: String?, sequence: Int64?, position: Int, payload: [UInt8]) {
        self.sourceKey = sourceKey
        self.eventId = eventId
        self.eventType = eventType
        self.fulfillmentId = fulfillmentId
        self.sequence = sequence
        self.position = position
        self.payload = payload
    }
}

/// A delivery handed to one sender, with its endpoint as it was when claimed.
package struct ClaimedDelivery: Sendable, Hashable {
    package var delivery: DeliveryRecord
    package var endpoint: EndpointRecord
}

/// How an attempt ends a delivery's turn.
package enum DeliveryFinish: Sendable, Hashable {
    case delivered
    /// Failed; the next attempt at this time.
    case retry(at: Timestamp)
    /// No more attempts.
    case exhausted
}

/// What an attempt does to its endpoint's circuit, decided by the server's breaker from the stored columns.
package struct CircuitChange: Sendable, Hashable {
    package var circuit: CircuitRecord
    /// Set to disable the endpoint (its pending deliveries are held).
    package var disableReason: String?

    package init(circuit: CircuitRecord, disableReason: String? = nil) {
        self.circuit = circuit
        self.disableReason = disableReason
    }
}

/// Which deliveries to list.
package struct DeliveryFilter: Sendable, Hashable {
    package var endpointId: String?
    package var status: DeliveryStatus?
    package var fulfillmentId: String?

    package init(endpointId: String? = nil, status: DeliveryStatus? = nil, fulfillmentId: String? = nil) {
        self.endpointId = endpointId
        self.status = status
        self.fulfillmentId = fulfillmentId
    }
}

/// An endpoint's recent record, for its stats.
package struct EndpointActivity: Sendable, Hashable {
    package var countsByStatus: [DeliveryStatus: Int]
    /// Attempts since the window start, oldest first.
    package var attempts: [AttemptSample]
}

/// One attempt, for percentiles and success rates.
package struct AttemptSample: Sendable, Hashable {
    package var startedAt: Timestamp
    package var durationMilliseconds: Int64
    package var succeeded: Bool
}

/// What the server's breaker and rate limit allow an endpoint in one claim.
package struct EndpointAdmission: Sendable, Hashable {
    /// How many more of its deliveries may start now.
    package var slots: Int
    /// The circuit as it is once these start (a probe moves an open circuit to half-open), when it changed.
    package var circuit: CircuitRecord?
    /// The rate limit's tokens now, before this claim spends one per delivery it starts; `nil` without a limit.
    package var rateTokens: Double?

    package init(slots: Int, circuit: CircuitRecord? = nil, rateTokens: Double? = nil) {
        self.slots = slots
        self.circuit = circuit
        self.rateTokens = rateTokens
    }
}

/// What `/metrics` shows of notifications.
package struct NotificationCounts: Sendable, Hashable {
    package var deliveries: [DeliveryStatus: Int] = [:]
    /// `closed`, `open`, `half_open`, or `disabled`.
    package var circuits: [String: Int] = [:]
}
