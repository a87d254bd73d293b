/// What can happen to a fulfillment: platform commands and the three classes of carrier event.
package enum FulfillmentTransition: String, Sendable, Hashable, CaseIterable {
    case pick, pack, ready, ship
    case track
    case exception
    case deliver
    case cancel

    /// The status this transition leads to; also the "Y" of "Cannot transition from X to Y".
    var target: FulfillmentStatus {
        switch self {
        case .pick: return .picking
        case .pack: return .packing
        case .ready: return .readyToShip
        case .ship: return .shipped
        case .track: return .inTransit
        case .exception: return .exception
        case .deliver: return .delivered
        case .cancel: return .cancelled
        }
    }

    /// The transition a carrier event of this class asks for (docs/architecture.md, "The state machine").
    package init(_ eventClass: TrackingTransitionClass) {
        switch eventClass {
        case .tracking: self = .track
        case .exception: self = .exception
        case .delivery: self = .deliver
        }
    }
}

/// The fulfillment state machine of docs/architecture.md, "The state machine", as one table. Pure: no I/O, no clock.
package enum FulfillmentStateMachine {
    /// Every legal move. Anything not listed is an invalid transition.
    static let table: [FulfillmentTransition: Set<FulfillmentStatus>] = [
        .pick: [.pending],
        .pack: [.picking],
        .ready: [.packing],
        .ship: [.readyToShip],
        .track: [.shipped, .inTransit, .exception],
        .exception: [.inTransit],
        .deliver: [.inTransit, .exception],
        .cancel: [.pending, .picking, .packing, .readyToShip],
    ]

    /// Whether `transition` is legal from `status`.
    static func allows(_ transition: FulfillmentTransition, from status: FulfillmentStatus) -> Bool {
        table[transition]?.contains(status) ?? false
    }

    /// The status after `transition`, or `GatewayError.invalidTransition`.
    package static func next(from status: FulfillmentStatus, on transition: FulfillmentTransition) throws(GatewayError) -> FulfillmentStatus {
        guard allows(transition, from: status) else {
            throw .invalidTransition(from: status, to: transition.target)
        }
        return transition.target
    }
}
