@testable import ParcelGateCore
import Testing

@testable import ParcelGateStore

/// The planner is pure: these pin what its plans may contain, which the backends' writes rely on.
@Suite struct LedgerPlannerTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    /// Every backend writes a callback's fulfillment changes with `FulfillmentStatements.updateProgress`, which sets only
    /// status, timestamps and the domain-event count. A plan that changed anything else would be lost there.
    @Test func aCallbackChangesOnlyStatusAndTimestamps() throws {
        let shipped = Fulfillment(
            id: "f1", tenant: "acme", orderId: "o1", status: .shipped, carrier: "ups", trackingNumber: "1Z1",
            serviceLevel: "ground", createdAt: t0, updatedAt: t0
        )
        func event(_ status: TrackingStatus, _ seconds: Int64) -> TrackingEvent {
            TrackingEvent(tenant: "acme", carrier: "ups", trackingNumber: "1Z1", status: status, carrierStatusCode: status.rawValue,
                          description: status.rawValue, occurredAt: t0.adding(milliseconds: seconds * 1000))
        }
        // In event-time order: moves to IN_TRANSIT, then DELIVERED (sets actual_delivery); the in-transit scan
        // after delivery is refused, the earlier one is stale.
        let events = [event(.delivered, 20), event(.inTransit, 10), event(.inTransit, 30), event(.inTransit, 5)]
        let receivedAt = t0.adding(milliseconds: 60_000)
        let plan = LedgerPlanner.plan(events: events, matches: Array(repeating: "f1", count: events.count),
                                      state: LedgerState(fulfillments: ["f1": shipped], knownScans: [], refused: [:]), receivedAt: receivedAt)

        #expect(plan.updatedFulfillments.count == 1)
        let updated = try #require(plan.updatedFulfillments.first)
        #expect(updated.status == .delivered)
        #expect(updated.actualDelivery == t0.adding(milliseconds: 20_000))
        var expected = shipped
        expected.status = updated.status
        expected.actualDelivery = updated.actualDelivery
        expected.latestEventAt = updated.latestEventAt
        expected.updatedAt = updated.updatedAt
        expected.eventSequence = updated.eventSequence
        #expect(updated == expected)
        // Each applied move records a domain event, numbered from 1 in order; the fulfillment keeps the count.
        #expect(plan.domainEvents.map(\.sequence) == [1, 2, 3])
        #expect(plan.domainEvents.map(\.type) == [.trackingEventReceived, .trackingEventReceived, .deliveryConfirmed])
        #expect(updated.eventSequence == 3)
        #expect(updated.updatedAt == receivedAt)
    }

    /// Issue 13: reconsidering refused events cannot go quadratic on one large body. 2,000 stored refused
    /// events wait, dated after everything in the callback, and 500 events in the callback move the
    /// fulfillment: the planner weighs at most one head per transition class per move, so its work is linear
    /// in the events, not their product.
    @Test func reconsideringRefusedEventsStaysLinear() {
        let shipped = Fulfillment(id: "f1", tenant: "acme", orderId: "o1", status: .shipped, carrier: "ups", trackingNumber: "1Z1",
                                  serviceLevel: "ground", createdAt: t0, updatedAt: t0)
        let waiting = (0..<2000).map { RefusedEventRef(rowId: Int64($0), status: .pending, occurredAt: t0.adding(milliseconds: 10_000_000 + Int64($0))) }
        let events = (0..<500).map { index in
            let status: TrackingStatus = index % 2 == 0 ? .inTransit : .deliveryFailed
            return TrackingEvent(tenant: "acme", carrier: "ups", trackingNumber: "1Z1", status: status, carrierStatusCode: "\(index)",
                                 description: "e", occurredAt: t0.adding(milliseconds: Int64(index) * 1000), providerEventId: "e\(index)")
        }
        let plan = LedgerPlanner.plan(events: events, matches: Array(repeating: "f1", count: events.count),
                                      state: LedgerState(fulfillments: ["f1": shipped], knownScans: [], refused: ["f1": waiting]), receivedAt: t0)
        #expect(plan.newEvents.count == 500)
        #expect(plan.reconsiderations <= 4 * (events.count + waiting.count), "\(plan.reconsiderations) reconsiderations")
    }
}
