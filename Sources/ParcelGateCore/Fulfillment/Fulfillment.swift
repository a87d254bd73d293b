/// A shipment of one order, as the platform and its carriers see it.
package struct Fulfillment: Sendable, Hashable {
    package var id: String
    package var tenant: String
    package var orderId: String
    package var status: FulfillmentStatus
    package var carrier: String?
    package var trackingNumber: String?
    package var serviceLevel: String?
    package var actualDelivery: Timestamp?
    /// Event time of the newest applied carrier event; older events are history only.
    package var latestEventAt: Timestamp?
    package var createdAt: Timestamp
    package var updatedAt: Timestamp
    /// How many domain events this fulfillment has recorded: the last one's sequence number. Kept on the row
    /// (written with every change anyway), so numbering an event costs no extra read or index.
    package var eventSequence: Int64
    /// When the platform shipped it (the `ship` command): the start of the SHIPPED to DELIVERED time that the
    /// read models measure. `nil` before shipping, and for rows shipped before the column existed without a
    /// recorded ship event.
    package var shippedAt: Timestamp?
    /// Oldest first by event time.
    package var trackingEvents: [TrackingHistoryEntry]

    package init(
        id: String, tenant: String, orderId: String, status: FulfillmentStatus = .pending,
        carrier: String? = nil, trackingNumber: String? = nil, serviceLevel: String? = nil,
        actualDelivery: Timestamp? = nil, latestEventAt: Timestamp? = nil,
        createdAt: Timestamp, updatedAt: Timestamp, eventSequence: Int64 = 0, shippedAt: Timestamp? = nil, trackingEvents: [TrackingHistoryEntry] = []
    ) {
        self.id = id
        self.tenant = tenant
        self.orderId = orderId
        self.status = status
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.serviceLevel = serviceLevel
        self.actualDelivery = actualDelivery
        self.latestEventAt = latestEventAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.eventSequence = eventSequence
        self.shippedAt = shippedAt
        self.trackingEvents = trackingEvents
    }
}

/// One line of a fulfillment's tracking history.
package struct TrackingHistoryEntry: Sendable, Hashable {
    package var id: Int64
    /// Canonical tracking status of the scan (or of the platform's exception/delivery).
    package var status: TrackingStatus
    /// The fulfillment's status once this entry was applied (unchanged when not applied).
    package var fulfillmentStatus: FulfillmentStatus
    package var carrierStatusCode: String?
    package var description: String
    package var location: TrackingLocation?
    package var occurredAt: Timestamp
    package var receivedAt: Timestamp
    /// False for out-of-order events and for events the state machine refused.
    package var applied: Bool

    package init(
        id: Int64, status: TrackingStatus, fulfillmentStatus: FulfillmentStatus, carrierStatusCode: String?,
        description: String, location: TrackingLocation?, occurredAt: Timestamp, receivedAt: Timestamp, applied: Bool
    ) {
        self.id = id
        self.status = status
        self.fulfillmentStatus = fulfillmentStatus
        self.carrierStatusCode = carrierStatusCode
        self.description = description
        self.location = location
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
        self.applied = applied
    }
}

/// Recorded with each change so projections can be built from them (docs/architecture.md, "The state machine").
package enum DomainEventType: String, Sendable, Hashable, Codable {
    case trackingEventReceived = "TrackingEventReceived"
    case deliveryException = "DeliveryException"
    case deliveryConfirmed = "DeliveryConfirmed"
    case fulfillmentStatusChanged = "FulfillmentStatusChanged"
}
