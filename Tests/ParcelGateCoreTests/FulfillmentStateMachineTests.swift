@testable import ParcelGateCore
import Testing

/// The state machine table of docs/architecture.md ("The state machine"), checked for every (status, transition) pair.
@Suite struct FulfillmentStateMachineTests {
    /// The design's table, written out independently of the implementation's.
    static let legal: Set<String> = [
        "PENDING pick", "PICKING pack", "PACKING ready", "READY_TO_SHIP ship",
        "SHIPPED track", "IN_TRANSIT track", "EXCEPTION track",
        "IN_TRANSIT exception",
        "IN_TRANSIT deliver", "EXCEPTION deliver",
        "PENDING cancel", "PICKING cancel", "PACKING cancel", "READY_TO_SHIP cancel",
    ]

    @Test func everyPairMatchesTheDesign() {
        for status in FulfillmentStatus.allCases {
            for transition in FulfillmentTransition.allCases {
                let key = "\(status.rawValue) \(transition.rawValue)"
                #expect(FulfillmentStateMachine.allows(transition, from: status) == Self.legal.contains(key), "\(key)")
            }
        }
    }

    @Test func refusalNamesBothStatuses() {
        #expect(throws: GatewayError.invalidTransition(from: .shipped, to: .exception)) {
            try FulfillmentStateMachine.next(from: .shipped, on: .exception)
        }
        #expect(GatewayError.invalidTransition(from: .shipped, to: .cancelled).detail == "Cannot transition from SHIPPED to CANCELLED")
        #expect(GatewayError.invalidTransition(from: .shipped, to: .cancelled).httpStatus == 409)
    }

    @Test func terminalStatusesAllowNothing() {
        for transition in FulfillmentTransition.allCases {
            #expect(!FulfillmentStateMachine.allows(transition, from: .delivered))
            #expect(!FulfillmentStateMachine.allows(transition, from: .cancelled))
        }
    }

    @Test func carrierStatusesMapToTheirTransitionClass() {
        #expect(TrackingStatus.delivered.transitionClass == .delivery)
        for status: TrackingStatus in [.deliveryFailed, .deliveryDelayed, .onHold, .returnToSender] {
            #expect(status.transitionClass == .exception)
        }
        for status: TrackingStatus in [.pending, .pickedUp, .inTransit, .outForDelivery, .readyForPickup, .cancelled, .unknown] {
            #expect(status.transitionClass == .tracking)
        }
        #expect(TrackingStatus.allCases.count == 12)
    }
}

@Suite struct FulfillmentLedgerTests {
    let t0 = Timestamp(seconds: 1_700_000_000)

    @Test func newerEventsApplyThroughTheStateMachine() {
        let decision = FulfillmentLedger.decide(eventStatus: .inTransit, occurredAt: t0, current: .shipped, latestEventAt: nil)
        #expect(decision.outcome == .applied)
        #expect(decision.resultingStatus == .inTransit)
        #expect(decision.domainEvent == .trackingEventReceived)
        let exception = FulfillmentLedger.decide(eventStatus: .onHold, occurredAt: t0.adding(milliseconds: 1), current: .inTransit, latestEventAt: t0)
        #expect(exception.resultingStatus == .exception)
        #expect(exception.domainEvent == .deliveryException)
        let delivered = FulfillmentLedger.decide(eventStatus: .delivered, occurredAt: t0, current: .exception, latestEventAt: t0)
        #expect(delivered.resultingStatus == .delivered)
        #expect(delivered.domainEvent == .deliveryConfirmed)
    }

    @Test func olderEventsAreStale() {
        let decision = FulfillmentLedger.decide(eventStatus: .delivered, occurredAt: t0, current: .inTransit, latestEventAt: t0.adding(milliseconds: 1))
        #expect(decision.outcome == .stale)
        #expect(decision.resultingStatus == .inTransit)
        #expect(!decision.applied)
        #expect(decision.storedOutcome == .stale)
    }

    @Test func illegalEventsAreRefused() {
        let decision = FulfillmentLedger.decide(eventStatus: .delivered, occurredAt: t0, current: .shipped, latestEventAt: nil)
        #expect(decision.outcome == .invalidTransition(.invalidTransition(from: .shipped, to: .delivered)))
        #expect(decision.resultingStatus == .shipped)
        #expect(decision.storedOutcome == .refused)
    }
}
