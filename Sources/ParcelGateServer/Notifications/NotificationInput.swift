import ParcelGateCore

/// What one notification says, as plain values: the store fills it from a domain event (or a dead letter) and
/// ``WebhookPayload`` writes it. Nothing here reads a database, so the body's shape is tested on its own.
package struct NotificationInput: Sendable, Hashable {
    package var type: WebhookEventType
    /// `evt_...`: the event's own id, the same for every endpoint it goes to.
    package var eventId: String
    /// When the change happened (not when it is sent), written as `timestamp`.
    package var occurredAt: Timestamp
    /// Required for the four fulfillment types.
    package var fulfillment: FulfillmentFacts?
    /// The carrier scan: required for `tracking.event_received`, optional for exceptions and deliveries.
    package var trackingEvent: TrackingFacts?
    /// An exception's reason.
    package var reason: String?
    /// Where an exception or a delivery happened.
    package var location: TrackingLocation?
    /// Required for `retry.exhausted`.
    package var deadLetter: DeadLetterFacts?

    package init(type: WebhookEventType, eventId: String, occurredAt: Timestamp, fulfillment: FulfillmentFacts? = nil, trackingEvent: TrackingFacts? = nil,
                 reason: String? = nil, location: TrackingLocation? = nil, deadLetter: DeadLetterFacts? = nil) {
        self.type = type
        self.eventId = eventId
        self.occurredAt = occurredAt
        self.fulfillment = fulfillment
        self.trackingEvent = trackingEvent
        self.reason = reason
        self.location = location
        self.deadLetter = deadLetter
    }
}

/// The fulfillment as the change left it.
package struct FulfillmentFacts: Sendable, Hashable {
    package var id: String
    package var orderId: String
    package var status: FulfillmentStatus
    package var previousStatus: FulfillmentStatus?
    /// The fulfillment's change counter: deliveries to one endpoint go out in this order.
    package var sequence: Int64
    package var carrier: String?
    package var trackingNumber: String?
    package var serviceLevel: String?

    package init(id: String, orderId: String, status: FulfillmentStatus, previousStatus: FulfillmentStatus?, sequence: Int64,
                 carrier: String? = nil, trackingNumber: String? = nil, serviceLevel: String? = nil) {
        self.id = id
        self.orderId = orderId
        self.status = status
        self.previousStatus = previousStatus
        self.sequence = sequence
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.serviceLevel = serviceLevel
    }
}

/// One carrier scan in canonical form.
package struct TrackingFacts: Sendable, Hashable {
    package var status: TrackingStatus
    package var carrierStatusCode: String?
    package var description: String
    package var location: TrackingLocation?
    package var occurredAt: Timestamp

    package init(status: TrackingStatus, carrierStatusCode: String?, description: String, location: TrackingLocation?, occurredAt: Timestamp) {
        self.status = status
        self.carrierStatusCode = carrierStatusCode
        self.description = description
        self.location = location
        self.occurredAt = occurredAt
    }
}

/// An inbound callback that became a dead letter.
package struct DeadLetterFacts: Sendable, Hashable {
    package var retryId: String
    package var carrier: String
    package var trackingNumber: String?
    /// `unmatched`, `store_unavailable`, ...
    package var reason: String
    package var lastError: String?
    package var attempts: Int

    package init(retryId: String, carrier: String, trackingNumber: String?, reason: String, lastError: String?, attempts: Int) {
        self.retryId = retryId
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.reason = reason
        self.lastError = lastError
        self.attempts = attempts
    }
}
