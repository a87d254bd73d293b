/// A shipment of one order, as the platform and its carriers see it.
public struct Fulfillment: Sendable, Hashable {
    public var id: String
    public var tenant: String
    public var orderId: String
    public var status: FulfillmentStatus
    public var carrier: String?
    public var trackingNumber: String?
    public var serviceLevel: String?
    public var actualDelivery: Timestamp?
    /// Event time of the newest applied carrier event; older events are history only.
    public var latestEventAt: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Oldest first by event time.
    public var trackingEvents: [TrackingHistoryEntry]

    public init(
        id: String, tenant: String, orderId: String, status: FulfillmentStatus = .pending,
        carrier: String? = nil, trackingNumber: String? = nil, serviceLevel: String? = nil,
        actualDelivery: Timestamp? = nil, latestEventAt: Timestamp? = nil,
        createdAt: Timestamp, updatedAt: Timestamp, trackingEvents: [TrackingHistoryEntry] = []
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
        self.trackingEvents = trackingEvents
    }
}

/// One line of a fulfillment's tracking history.
public struct TrackingHistoryEntry: Sendable, Hashable {
    public var id: Int64
    /// Canonical tracking status of the scan (or of the platform's exception/delivery).
    public var status: TrackingStatus
    /// The fulfillment's status once this entry was applied (unchanged when not applied).
    public var fulfillmentStatus: FulfillmentStatus
    public var carrierStatusCode: String?
    public var description: String
    public var location: TrackingLocation?
    public var occurredAt: Timestamp
    public var receivedAt: Timestamp
    /// False for out-of-order events and for events the state machine refused.
    public var applied: Bool

    public init(
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
public enum DomainEventType: String, Sendable, Hashable, Codable {
    case trackingEventReceived = "TrackingEventReceived"
    case deliveryException = "DeliveryException"
    case deliveryConfirmed = "DeliveryConfirmed"
    case fulfillmentStatusChanged = "FulfillmentStatusChanged"
}
