/// The fulfillment lifecycle of docs/architecture.md, "The state machine".
package enum FulfillmentStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pending = "PENDING"
    case picking = "PICKING"
    case packing = "PACKING"
    case readyToShip = "READY_TO_SHIP"
    case shipped = "SHIPPED"
    case inTransit = "IN_TRANSIT"
    case exception = "EXCEPTION"
    case delivered = "DELIVERED"
    case cancelled = "CANCELLED"
}
