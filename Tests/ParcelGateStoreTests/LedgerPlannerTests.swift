import ParcelGateCore
import Testing

@testable import ParcelGateStore

/// The planner is pure: these pin what its plans may contain, which the backends' writes rely on.
@Suite struct LedgerPlannerTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    /// SQLite writes a callback's fulfillment changes with `FulfillmentRows.updateProgress`, which sets only
    /// status and timestamps. A plan that changed anything else would be silently lost there.
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
        #expect(updated == expected)
        #expect(updated.updatedAt == receivedAt)
    }
}
