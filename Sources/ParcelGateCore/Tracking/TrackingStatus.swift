/// The canonical tracking vocabulary every carrier adapter maps into (CARRIERS.md).
///
/// An unmapped carrier code becomes ``unknown`` with the raw code kept on the event:
/// an unfamiliar code is information, not an error.
package enum TrackingStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pending
    case pickedUp = "picked_up"
    case inTransit = "in_transit"
    case outForDelivery = "out_for_delivery"
    case readyForPickup = "ready_for_pickup"
    case delivered
    case deliveryFailed = "delivery_failed"
    case deliveryDelayed = "delivery_delayed"
    case onHold = "on_hold"
    case returnToSender = "return_to_sender"
    case cancelled
    case unknown

    /// How an event with this status moves a fulfillment (docs/architecture.md, "The state machine").
    package var transitionClass: TrackingTransitionClass {
        switch self {
        case .delivered: return .delivery
        case .deliveryFailed, .deliveryDelayed, .onHold, .returnToSender: return .exception
        default: return .tracking
        }
    }

    /// Statuses that an exception raised through the platform API may carry.
    package var isExceptionClass: Bool { transitionClass == .exception }
}

/// The three ways a carrier event can act on the fulfillment state machine.
package enum TrackingTransitionClass: Sendable, Hashable {
    case tracking
    case exception
    case delivery
}
