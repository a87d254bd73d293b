/// What became of one carrier event, as stored with it in the tracking history and counted in replies.
package enum EventOutcome: String, Sendable, Hashable, Codable {
    /// It moved (or kept) the fulfillment through a legal transition.
    case applied
    /// Older than the newest applied event: history only.
    case stale
    /// The state machine refused it (kept with `applied: false`, reconsidered when a later event moves the fulfillment).
    case refused
}

/// What applying one carrier event to a fulfillment decided.
package struct EventDecision: Sendable, Hashable {
    package enum Outcome: Sendable, Hashable {
        /// The event moved (or kept) the fulfillment through a legal transition.
        case applied
        /// Older than the newest applied event: kept in history, status untouched.
        case stale
        /// The state machine refused it: kept in history with `applied: false`.
        case invalidTransition(GatewayError)
    }

    package var outcome: Outcome
    /// The fulfillment's status after this event (the old one unless applied).
    package var resultingStatus: FulfillmentStatus
    /// Domain event to record, when the event was applied.
    package var domainEvent: DomainEventType?

    package var applied: Bool { outcome == .applied }

    /// The outcome as stored with the event.
    package var storedOutcome: EventOutcome {
        switch outcome {
        case .applied: return .applied
        case .stale: return .stale
        case .invalidTransition: return .refused
        }
    }
}

/// The rules that turn carrier events and platform commands into fulfillment changes (docs/architecture.md, "The state machine").
///
/// Pure functions over a ``Fulfillment`` snapshot, so that every store backend applies the same rules
/// inside its own transaction and only the I/O differs.
///
/// Out-of-order delivery: an event older than the newest applied one is history only (`stale`). An event
/// the state machine refuses (`refused`, answered 409) is reconsidered, in event-time order, each time a
/// later-arriving event moves the fulfillment: a delivery scan that overtook the first in-transit scan is
/// applied once that scan arrives, so the final status does not depend on arrival order.
package enum FulfillmentLedger {
    /// Decides what a carrier event does to a fulfillment in `status` whose newest applied event is `latestEventAt`.
    package static func decide(
        eventStatus: TrackingStatus, occurredAt: Timestamp,
        current status: FulfillmentStatus, latestEventAt: Timestamp?
    ) -> EventDecision {
        if let latestEventAt, occurredAt < latestEventAt {
            return EventDecision(outcome: .stale, resultingStatus: status, domainEvent: nil)
        }
        let transition = FulfillmentTransition(eventStatus.transitionClass)
        do {
            let next = try FulfillmentStateMachine.next(from: status, on: transition)
            return EventDecision(outcome: .applied, resultingStatus: next, domainEvent: domainEvent(for: transition))
        } catch {
            return EventDecision(outcome: .invalidTransition(error), resultingStatus: status, domainEvent: nil)
        }
    }

    /// The domain event a transition records.
    package static func domainEvent(for transition: FulfillmentTransition) -> DomainEventType {
        switch transition {
        case .track: return .trackingEventReceived
        case .exception: return .deliveryException
        case .deliver: return .deliveryConfirmed
        case .pick, .pack, .ready, .ship, .cancel: return .fulfillmentStatusChanged
        }
    }
}

/// A platform API command with its arguments (README, "HTTP contract").
package enum FulfillmentCommand: Sendable, Hashable {
    case pick
    case pack
    case ready
    case ship(carrier: String, trackingNumber: String, serviceLevel: String?)
    case exception(reason: String, location: String?, status: TrackingStatus)
    case deliver
    case cancel

    package var transition: FulfillmentTransition {
        switch self {
        case .pick: return .pick
        case .pack: return .pack
        case .ready: return .ready
        case .ship: return .ship
        case .exception: return .exception
        case .deliver: return .deliver
        case .cancel: return .cancel
        }
    }
}
