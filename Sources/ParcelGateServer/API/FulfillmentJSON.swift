import ParcelGateCore

/// Fulfillment as the platform API writes it (README, "HTTP contract").
struct FulfillmentJSON: Encodable {
    let id: String
    let orderId: String
    let status: String
    let carrier: String?
    let trackingNumber: String?
    let serviceLevel: String?
    let actualDelivery: String?
    let createdAt: String
    let updatedAt: String
    let trackingEvents: [TrackingEventJSON]

    init(_ f: Fulfillment) {
        id = f.id
        orderId = f.orderId
        status = f.status.rawValue
        carrier = f.carrier
        trackingNumber = f.trackingNumber
        serviceLevel = f.serviceLevel
        actualDelivery = f.actualDelivery?.rfc3339
        createdAt = f.createdAt.rfc3339
        updatedAt = f.updatedAt.rfc3339
        trackingEvents = f.trackingEvents.map(TrackingEventJSON.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, carrier
        case orderId = "order_id"
        case trackingNumber = "tracking_number"
        case serviceLevel = "service_level"
        case actualDelivery = "actual_delivery"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case trackingEvents = "tracking_events"
    }

    /// Nulls are written, not omitted: the contract lists every field.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(orderId, forKey: .orderId)
        try c.encode(status, forKey: .status)
        try c.encode(carrier, forKey: .carrier)
        try c.encode(trackingNumber, forKey: .trackingNumber)
        try c.encode(serviceLevel, forKey: .serviceLevel)
        try c.encode(actualDelivery, forKey: .actualDelivery)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(trackingEvents, forKey: .trackingEvents)
    }
}

struct TrackingEventJSON: Encodable {
    let id: Int64
    let status: String
    let fulfillmentStatus: String
    let carrierStatusCode: String?
    let description: String
    let location: TrackingLocation?
    let occurredAt: String
    let receivedAt: String
    let applied: Bool

    init(_ e: TrackingHistoryEntry) {
        id = e.id
        status = e.status.rawValue
        fulfillmentStatus = e.fulfillmentStatus.rawValue
        carrierStatusCode = e.carrierStatusCode
        description = e.description
        location = e.location
        occurredAt = e.occurredAt.rfc3339
        receivedAt = e.receivedAt.rfc3339
        applied = e.applied
    }

    enum CodingKeys: String, CodingKey {
        case id, status, description, location, applied
        case fulfillmentStatus = "fulfillment_status"
        case carrierStatusCode = "carrier_status_code"
        case occurredAt = "occurred_at"
        case receivedAt = "received_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(fulfillmentStatus, forKey: .fulfillmentStatus)
        try c.encode(carrierStatusCode, forKey: .carrierStatusCode)
        try c.encode(description, forKey: .description)
        try c.encode(location, forKey: .location)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(applied, forKey: .applied)
    }
}

struct FulfillmentListJSON: Encodable {
    let fulfillments: [FulfillmentJSON]
}

/// `POST /v1/fulfillments` body.
struct CreateFulfillmentBody: Decodable {
    let orderId: String
    let id: String?
    enum CodingKeys: String, CodingKey {
        case id
        case orderId = "order_id"
    }
}

/// `PUT .../ship` body.
struct ShipBody: Decodable {
    let carrier: String
    let trackingNumber: String
    let serviceLevel: String?
    enum CodingKeys: String, CodingKey {
        case carrier
        case trackingNumber = "tracking_number"
        case serviceLevel = "service_level"
    }
}

/// `PUT .../exception` body.
struct ExceptionBody: Decodable {
    let reason: String
    let location: String?
    let status: String?
}
