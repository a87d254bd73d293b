import ParcelGateCore

/// A stored event the state machine refused, waiting to be reconsidered.
public struct RefusedEventRef: Sendable, Hashable {
    public var rowId: Int64
    public var status: TrackingStatus
    public var occurredAt: Timestamp

    public init(rowId: Int64, status: TrackingStatus, occurredAt: Timestamp) {
        self.rowId = rowId
        self.status = status
        self.occurredAt = occurredAt
    }
}

/// What a backend read, inside its transaction, for the fulfillments a callback matched.
public struct LedgerState: Sendable {
    /// The matched fulfillments by id (histories not needed).
    public var fulfillments: [String: Fulfillment]
    /// `fulfillmentId + "\n" + scanKey` of scans already stored.
    public var knownScans: Set<String>
    /// Stored refused events per fulfillment, oldest first.
    public var refused: [String: [RefusedEventRef]]

    public init(fulfillments: [String: Fulfillment], knownScans: Set<String>, refused: [String: [RefusedEventRef]]) {
        self.fulfillments = fulfillments
        self.knownScans = knownScans
        self.refused = refused
    }

    static func scanRef(_ fulfillmentId: String, _ scanKey: String) -> String { fulfillmentId + "\n" + scanKey }
}

/// The writes that applying a callback needs, decided without I/O so every backend applies the same rules
/// (``FulfillmentLedger``) and only executes the plan its own way.
public struct LedgerPlan: Sendable {
    /// A tracking event to insert.
    public struct NewEvent: Sendable {
        public var event: TrackingEvent
        public var fulfillmentId: String
        public var scanKey: String
        /// `applied`, `stale` or `refused`, after any reconsideration within this callback.
        public var outcome: String
        public var fulfillmentStatus: FulfillmentStatus
    }

    /// A domain event to record.
    public struct DomainEvent: Sendable {
        public var fulfillment: Fulfillment
        public var type: DomainEventType
        public var from: FulfillmentStatus
        public var trackingStatus: TrackingStatus?
        public var occurredAt: Timestamp
    }

    public var newEvents: [NewEvent] = []
    /// Stored refused events that this callback made legal: mark them applied with this status.
    public var reapplied: [(rowId: Int64, fulfillmentStatus: FulfillmentStatus)] = []
    /// Fulfillments to write back, in their new state.
    public var updatedFulfillments: [Fulfillment] = []
    public var domainEvents: [DomainEvent] = []
    /// What the caller is answered, when every event matched.
    public var outcome: IngestOutcome = .duplicate
    /// How many times a refused event was weighed again (bounded work: see ``LedgerPlanner``).
    var reconsiderations = 0
}

/// Turns a callback's events and the state they meet into a ``LedgerPlan`` (DESIGN §4).
///
/// Events apply in event-time order. An event older than the fulfillment's newest applied one is `stale`;
/// one the state machine refuses is `refused` and is reconsidered, oldest first, each time a later-arriving
/// event moves the fulfillment, so the final status does not depend on arrival order.
public enum LedgerPlanner {
    /// `matches[i]` is the fulfillment event `i` belongs to (every event matched).
    public static func plan(events: [TrackingEvent], matches: [String], state: LedgerState, receivedAt: Timestamp) -> LedgerPlan {
        var plan = LedgerPlan()
        var fulfillments = state.fulfillments
        var known = state.knownScans
        // Refused events per fulfillment: stored ones by row id, this callback's by index into `newEvents`.
        enum Pending { case stored(RefusedEventRef), new(Int) }
        // Refused events per fulfillment, split by transition class and kept in (time, arrival) order. Whether a
        // refused event can apply depends only on the fulfillment's status (once it is not stale), and one class
        // is legal or not as a whole: so a pass looks at the head of each class, never at every event.
        var refused: [String: [TrackingTransitionClass: [(pending: Pending, sequence: Int)]]] = [:]
        var sequence = 0
        for (id, refs) in state.refused {
            for ref in refs.sorted(by: { $0.occurredAt < $1.occurredAt }) {
                refused[id, default: [:]][ref.status.transitionClass, default: []].append((.stored(ref), sequence))
                sequence += 1
            }
        }
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
        /// Adds a refused event in (time, arrival) order within its class.
        func addRefused(_ id: String, _ pending: Pending) {
            let eventClass = status(pending).transitionClass
            var list = refused[id]?[eventClass] ?? []
            let at = occurred(pending)
            var low = 0, high = list.count
            while low < high {
                let middle = (low + high) / 2
                if occurred(list[middle].pending) <= at { low = middle + 1 } else { high = middle }
            }
            list.insert((pending, sequence), at: low)
            sequence += 1
            refused[id, default: [:]][eventClass] = list
        }
        /// Applies, oldest first, every refused event that the fulfillment's moves have made legal. Each round
        /// drops the events older than the newest applied one (stale for good: that time only grows), weighs
        /// the oldest remaining event of each class, and applies the oldest legal one; it stops when none is
        /// legal. Work is a few decisions per applied event, however many refused events wait.
        func reconsider(_ id: String) {
            guard var classes = refused[id], !classes.isEmpty else { return }
            while let fulfillment = fulfillments[id], let since = fulfillment.latestEventAt {
                var best: (eventClass: TrackingTransitionClass, decision: EventDecision, at: Timestamp, sequence: Int)?
                for (eventClass, list) in classes {
                    var list = list
                    var stale = 0
                    while stale < list.count, occurred(list[stale].pending) < since { stale += 1 }
                    if stale > 0 {
                        list.removeFirst(stale)
                        classes[eventClass] = list
                    }
                    guard let head = list.first else { continue }
                    plan.reconsiderations += 1
                    let decision = FulfillmentLedger.decide(eventStatus: status(head.pending), occurredAt: occurred(head.pending),
                                                            current: fulfillment.status, latestEventAt: fulfillment.latestEventAt)
                    guard decision.applied else { continue }
                    let at = occurred(head.pending)
                    if best.map({ (at, head.sequence) < ($0.at, $0.sequence) }) ?? true {
                        best = (eventClass, decision, at, head.sequence)
                    }
                }
                guard let chosen = best, let head = classes[chosen.eventClass]?.first else { break }
                classes[chosen.eventClass]?.removeFirst()
                switch head.pending {
                case .stored(let ref): plan.reapplied.append((ref.rowId, chosen.decision.resultingStatus))
                case .new(let index):
                    plan.newEvents[index].outcome = "applied"
                    plan.newEvents[index].fulfillmentStatus = chosen.decision.resultingStatus
                }
                advance(id, decision: chosen.decision, eventStatus: status(head.pending), occurredAt: chosen.at)
            }
            refused[id] = classes
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
                                                      outcome: decision.outcomeName, fulfillmentStatus: decision.resultingStatus))
            recorded += 1
            switch decision.outcome {
            case .applied:
                advance(id, decision: decision, eventStatus: event.status, occurredAt: event.occurredAt)
                reconsider(id)
                lastApplied = id
            case .stale:
                lastApplied = lastApplied ?? id
            case .invalidTransition(let error):
                addRefused(id, .new(plan.newEvents.count - 1))
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
