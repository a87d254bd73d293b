@testable import ParcelGateCore
import Testing

@testable import ParcelGateStore

/// The ledger planner's reconsideration of refused events was rewritten to stay linear (issue 13). This
/// checks the new planner against the one before the rewrite (kept below, verbatim, as the reference) on
/// random histories: the same events applied, stale and refused, the same stored events re-applied, the same
/// final state. Event times are distinct: the rewrite deliberately retries a refused event whose time equals
/// the one just applied in the same pass, where the reference waited for the next move.
@Suite struct LedgerPlannerEquivalenceTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    @Test(arguments: 0..<300)
    func agreesWithThePlannerBeforeTheRewrite(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 7)
        let statuses: [TrackingStatus] = [.inTransit, .outForDelivery, .deliveryFailed, .onHold, .delivered, .pending, .returnToSender]
        let starts: [FulfillmentStatus] = [.shipped, .inTransit, .exception, .delivered]
        var times = Array(0..<200).shuffled(using: &rng)
        func nextTime() -> Timestamp { t0.adding(milliseconds: Int64(times.removeLast()) * 1000) }
        let fulfillment = Fulfillment(id: "f1", tenant: "acme", orderId: "o1", status: starts.randomElement(using: &rng) ?? .shipped,
                                      carrier: "ups", trackingNumber: "1Z1", serviceLevel: "ground", createdAt: t0, updatedAt: t0)
        var current = fulfillment
        if Bool.random(using: &rng) { current.latestEventAt = nextTime() }
        let stored = (0..<Int.random(in: 0...20, using: &rng)).map { index in
            RefusedEventRef(rowId: Int64(index), status: statuses.randomElement(using: &rng) ?? .inTransit, occurredAt: nextTime())
        }
        let events = (0..<Int.random(in: 1...40, using: &rng)).map { index in
            TrackingEvent(tenant: "acme", carrier: "ups", trackingNumber: "1Z1", status: statuses.randomElement(using: &rng) ?? .inTransit,
                          carrierStatusCode: "\(index)", description: "e", occurredAt: nextTime(), providerEventId: "e\(index)")
        }
        let state = LedgerState(fulfillments: ["f1": current], knownScans: [], refused: stored.isEmpty ? [:] : ["f1": stored])
        let matches = Array(repeating: "f1", count: events.count)
        let new = LedgerPlanner.plan(events: events, matches: matches, state: state, receivedAt: t0)
        let reference = ReferenceLedgerPlanner.plan(events: events, matches: matches, state: state, receivedAt: t0)

        #expect(new.newEvents.map { "\($0.scanKey) \($0.outcome) \($0.fulfillmentStatus)" } == reference.newEvents.map { "\($0.scanKey) \($0.outcome) \($0.fulfillmentStatus)" })
        #expect(new.reapplied.map { "\($0.rowId) \($0.fulfillmentStatus)" } == reference.reapplied.map { "\($0.rowId) \($0.fulfillmentStatus)" })
        // The reference predates the domain-event count; everything else about each fulfillment must agree.
        let unnumbered = new.updatedFulfillments.map { fulfillment in
            var fulfillment = fulfillment
            fulfillment.eventSequence = 0
            return fulfillment
        }
        #expect(unnumbered == reference.updatedFulfillments)
        #expect(new.domainEvents.map(\.sequence) == Array(1...Int64(max(1, new.domainEvents.count))).prefix(new.domainEvents.count).map { $0 })
        #expect(new.domainEvents.map { "\($0.type) \($0.from) \($0.occurredAt)" } == reference.domainEvents.map { "\($0.type) \($0.from) \($0.occurredAt)" })
        #expect(new.outcome == reference.outcome)
    }
}


// The planner as it was before the rewrite (commit 495b806), the reference for the test above; only the
// outcome type follows the later rename (a String then, `EventOutcome` now).
enum ReferenceLedgerPlanner {
    /// `matches[i]` is the fulfillment event `i` belongs to (every event matched).
    static func plan(events: [TrackingEvent], matches: [String], state: LedgerState, receivedAt: Timestamp) -> LedgerPlan {
        var plan = LedgerPlan()
        var fulfillments = state.fulfillments
        var known = state.knownScans
        // Refused events per fulfillment: stored ones by row id, this callback's by index into `newEvents`.
        enum Pending { case stored(RefusedEventRef), new(Int) }
        var refused: [String: [Pending]] = state.refused.mapValues { $0.map(Pending.stored) }
        var touched: [String] = []
        var recorded = 0
        var lastApplied: String?
        var lastRefused: (String, GatewayError)?

        func occurred(_ pending: Pending) -> Timestamp {
            switch pending {
            case .stored(let ref): return ref.occurredAt
            case .new(let index): return plan.newEvents[index].event.occurredAt
            }
        }
        func status(_ pending: Pending) -> TrackingStatus {
            switch pending {
            case .stored(let ref): return ref.status
            case .new(let index): return plan.newEvents[index].event.status
            }
        }
        func advance(_ id: String, decision: EventDecision, eventStatus: TrackingStatus, occurredAt: Timestamp) {
            guard var fulfillment = fulfillments[id] else { return }
            let from = fulfillment.status
            fulfillment.status = decision.resultingStatus
            fulfillment.latestEventAt = max(fulfillment.latestEventAt ?? occurredAt, occurredAt)
            if decision.resultingStatus == .delivered { fulfillment.actualDelivery = occurredAt }
            fulfillment.updatedAt = receivedAt
            fulfillments[id] = fulfillment
            if !touched.contains(id) { touched.append(id) }
            if let type = decision.domainEvent {
                plan.domainEvents.append(LedgerPlan.DomainEvent(fulfillment: fulfillment, type: type, from: from, trackingStatus: eventStatus, occurredAt: occurredAt))
            }
        }
        func reconsider(_ id: String) {
            guard let since = fulfillments[id]?.latestEventAt else { return }
            let candidates = (refused[id] ?? []).enumerated()
                .filter { occurred($0.element) >= since }
                .sorted { (occurred($0.element), $0.offset) < (occurred($1.element), $1.offset) }
            var resolved: Set<Int> = []
            for (offset, pending) in candidates {
                guard let fulfillment = fulfillments[id] else { return }
                let decision = FulfillmentLedger.decide(eventStatus: status(pending), occurredAt: occurred(pending),
                                                        current: fulfillment.status, latestEventAt: fulfillment.latestEventAt)
                guard decision.applied else { continue }
                switch pending {
                case .stored(let ref): plan.reapplied.append((ref.rowId, decision.resultingStatus))
                case .new(let index):
                    plan.newEvents[index].outcome = .applied
                    plan.newEvents[index].fulfillmentStatus = decision.resultingStatus
                }
                advance(id, decision: decision, eventStatus: status(pending), occurredAt: occurred(pending))
                resolved.insert(offset)
            }
            refused[id] = (refused[id] ?? []).enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
        }

        let order = events.indices.sorted { (events[$0].occurredAt, $0) < (events[$1].occurredAt, $1) }
        for index in order {
            let event = events[index]
            let id = matches[index]
            guard let fulfillment = fulfillments[id] else { continue }
            let scanKey = event.scanKey
            guard known.insert(LedgerState.scanRef(id, scanKey)).inserted else { continue }
            let decision = FulfillmentLedger.decide(eventStatus: event.status, occurredAt: event.occurredAt,
                                                    current: fulfillment.status, latestEventAt: fulfillment.latestEventAt)
            plan.newEvents.append(LedgerPlan.NewEvent(event: event, fulfillmentId: id, scanKey: scanKey,
                                                      outcome: decision.storedOutcome, fulfillmentStatus: decision.resultingStatus))
            recorded += 1
            switch decision.outcome {
            case .applied:
                advance(id, decision: decision, eventStatus: event.status, occurredAt: event.occurredAt)
                reconsider(id)
                lastApplied = id
            case .stale:
                lastApplied = lastApplied ?? id
            case .invalidTransition(let error):
                refused[id, default: []].append(.new(plan.newEvents.count - 1))
                lastRefused = (id, error)
            }
        }

        plan.updatedFulfillments = touched.compactMap { fulfillments[$0] }
        if let lastApplied, let fulfillment = fulfillments[lastApplied] {
            plan.outcome = .applied(fulfillmentId: lastApplied, status: fulfillment.status, recorded: recorded)
        } else if let (id, error) = lastRefused {
            plan.outcome = .invalidTransition(fulfillmentId: id, error)
        }
        return plan
    }
}
