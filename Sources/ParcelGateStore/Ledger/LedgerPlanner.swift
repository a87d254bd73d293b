import ParcelGateCore

/// A stored event the state machine refused, waiting to be reconsidered.
struct RefusedEventRef: Sendable, Hashable {
    var rowId: Int64
    var status: TrackingStatus
    var occurredAt: Timestamp
    /// What a domain event reports if this event is applied later (an exception's reason and place).
    var description: String?
    var location: TrackingLocation?

    init(rowId: Int64, status: TrackingStatus, occurredAt: Timestamp, description: String? = nil, location: TrackingLocation? = nil) {
        self.rowId = rowId
        self.status = status
        self.occurredAt = occurredAt
        self.description = description
        self.location = location
    }
}

/// What a backend read, inside its transaction, for the fulfillments a callback matched.
struct LedgerState: Sendable {
    /// The matched fulfillments by id (histories not needed).
    var fulfillments: [String: Fulfillment]
    /// `fulfillmentId + "\n" + scanKey` of scans already stored.
    var knownScans: Set<String>
    /// Stored refused events per fulfillment, oldest first.
    var refused: [String: [RefusedEventRef]]

    init(fulfillments: [String: Fulfillment], knownScans: Set<String>, refused: [String: [RefusedEventRef]]) {
        self.fulfillments = fulfillments
        self.knownScans = knownScans
        self.refused = refused
    }

    static func scanRef(_ fulfillmentId: String, _ scanKey: String) -> String { fulfillmentId + "\n" + scanKey }
}

/// The writes that applying a callback needs, decided without I/O so every backend applies the same rules
/// (``FulfillmentLedger``) and only executes the plan its own way.
struct LedgerPlan: Sendable {
    /// A tracking event to insert.
    struct NewEvent: Sendable {
        var event: TrackingEvent
        var fulfillmentId: String
        var scanKey: String
        /// After any reconsideration within this callback.
        var outcome: EventOutcome
        var fulfillmentStatus: FulfillmentStatus
    }

    /// A domain event to record.
    /// A domain event to record: `fulfillment` as it is after the change (its `eventSequence` numbers the
    /// event), what it was before, and for an exception the reason and place a consumer shows.
    struct DomainEvent: Sendable {
        var fulfillment: Fulfillment
        var type: DomainEventType
        var from: FulfillmentStatus
        var trackingStatus: TrackingStatus?
        var occurredAt: Timestamp
        var reason: String? = nil
        var location: TrackingLocation? = nil
        /// The carrier scan behind the change (none for a platform command): what a notification shows of it.
        var scanCode: String? = nil
        var scanDescription: String? = nil

        /// The event's number among its fulfillment's domain events (1, 2, ...).
        var sequence: Int64 { fulfillment.eventSequence }
    }

    var newEvents: [NewEvent] = []
    /// Stored refused events that this callback made legal: mark them applied with this status.
    var reapplied: [(rowId: Int64, fulfillmentStatus: FulfillmentStatus)] = []
    /// Fulfillments to write back, in their new state.
    var updatedFulfillments: [Fulfillment] = []
    var domainEvents: [DomainEvent] = []
    /// What the caller is answered, when every event matched.
    var outcome: IngestOutcome = .duplicate
    /// How many times a refused event was weighed again (bounded work: see ``LedgerPlanner``).
    var reconsiderations = 0
}

/// Turns a callback's events and the state they meet into a ``LedgerPlan`` (docs/architecture.md, "The state machine").
///
/// Events apply in event-time order. An event older than the fulfillment's newest applied one is `stale`;
/// one the state machine refuses is `refused` and is reconsidered, oldest first, each time a later-arriving
/// event moves the fulfillment, so the final status does not depend on arrival order.
enum LedgerPlanner {
    /// `matches[i]` is the fulfillment event `i` belongs to (every event matched).
    static func plan(events: [TrackingEvent], matches: [String], state: LedgerState, receivedAt: Timestamp) -> LedgerPlan {
        var plan = LedgerPlan()
        var fulfillments = state.fulfillments
        var known = state.knownScans
        // Refused events per fulfillment: stored ones by row id, this callback's by index into `newEvents`.
        enum Pending { case stored(RefusedEventRef), new(Int) }
        // Refused events per fulfillment and transition class, in (time, arrival) order. Whether a refused
        // event can apply depends only on the fulfillment's status (once it is not stale), and a class is legal
        // or not as a whole: so a pass looks at the oldest event of each class, never at every waiting event.
        var refused: [String: [TrackingTransitionClass: RefusedLane<Pending>]] = [:]
        var sequence = 0
        for (id, refs) in state.refused {
            for ref in refs.sorted(by: { ($0.occurredAt, $0.rowId) < ($1.occurredAt, $1.rowId) }) {
                refused[id, default: [:]][ref.status.transitionClass, default: RefusedLane()].stored.append((.stored(ref), ref.occurredAt, sequence))
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
        func details(_ pending: Pending) -> (description: String?, location: TrackingLocation?, code: String?) {
            switch pending {
            case .stored(let ref): return (ref.description, ref.location, nil)
            case .new(let index): return (plan.newEvents[index].event.description, plan.newEvents[index].event.location, plan.newEvents[index].event.carrierStatusCode)
            }
        }
        func advance(_ id: String, decision: EventDecision, eventStatus: TrackingStatus, occurredAt: Timestamp,
                     description: String?, location: TrackingLocation?, code: String?) {
            guard var fulfillment = fulfillments[id] else { return }
            let from = fulfillment.status
            fulfillment.status = decision.resultingStatus
            fulfillment.latestEventAt = max(fulfillment.latestEventAt ?? occurredAt, occurredAt)
            if decision.resultingStatus == .delivered { fulfillment.actualDelivery = occurredAt }
            fulfillment.updatedAt = receivedAt
            if decision.domainEvent != nil { fulfillment.eventSequence += 1 }
            fulfillments[id] = fulfillment
            if !touched.contains(id) { touched.append(id) }
            if let type = decision.domainEvent {
                let exception = type == .deliveryException
                plan.domainEvents.append(LedgerPlan.DomainEvent(
                    fulfillment: fulfillment, type: type, from: from, trackingStatus: eventStatus, occurredAt: occurredAt,
                    reason: exception ? description : nil, location: location, scanCode: code, scanDescription: description
                ))
            }
        }
        /// Adds one of this callback's refused events. They arrive in event-time order, so appending keeps
        /// their lane sorted.
        func addRefused(_ id: String, _ pending: Pending) {
            refused[id, default: [:]][status(pending).transitionClass, default: RefusedLane()].fresh.append((pending, occurred(pending), sequence))
            sequence += 1
        }
        /// Applies, oldest first, every refused event that the fulfillment's moves have made legal. Each round
        /// drops the events older than the newest applied one (stale for good: that time only grows), weighs
        /// the oldest remaining event of each class, and applies the oldest legal one; it stops when none is
        /// legal. Each round is a decision per class, and each event is dropped or applied once, so the work is
        /// linear in the events, however many wait.
        func reconsider(_ id: String) {
            guard var lanes = refused[id], !lanes.isEmpty else { return }
            defer { refused[id] = lanes }
            while let fulfillment = fulfillments[id], let since = fulfillment.latestEventAt {
                var best: (eventClass: TrackingTransitionClass, decision: EventDecision, at: Timestamp, sequence: Int)?
                for eventClass in lanes.keys {
                    guard let head = lanes[eventClass]?.head(notBefore: since) else { continue }
                    plan.reconsiderations += 1
                    let decision = FulfillmentLedger.decide(eventStatus: status(head.item), occurredAt: head.at,
                                                            current: fulfillment.status, latestEventAt: fulfillment.latestEventAt)
                    guard decision.applied else { continue }
                    if best.map({ (head.at, head.sequence) < ($0.at, $0.sequence) }) ?? true {
                        best = (eventClass, decision, head.at, head.sequence)
                    }
                }
                guard let chosen = best, let head = lanes[chosen.eventClass]?.popHead() else { return }
                switch head {
                case .stored(let ref): plan.reapplied.append((ref.rowId, chosen.decision.resultingStatus))
                case .new(let index):
                    plan.newEvents[index].outcome = .applied
                    plan.newEvents[index].fulfillmentStatus = chosen.decision.resultingStatus
                }
                let scan = details(head)
                advance(id, decision: chosen.decision, eventStatus: status(head), occurredAt: chosen.at,
                        description: scan.description, location: scan.location, code: scan.code)
            }
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
                advance(id, decision: decision, eventStatus: event.status, occurredAt: event.occurredAt,
                        description: event.description, location: event.location, code: event.carrierStatusCode)
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

/// The refused events of one fulfillment and transition class waiting to be reconsidered: the stored ones and
/// this callback's, each sorted by (time, arrival), consumed from the front through indices (no copying).
struct RefusedLane<Item> {
    var stored: [(item: Item, at: Timestamp, sequence: Int)] = []
    var fresh: [(item: Item, at: Timestamp, sequence: Int)] = []
    private var storedHead = 0
    private var freshHead = 0

    /// The oldest event not older than `since`, after dropping for good the ones that are.
    mutating func head(notBefore since: Timestamp) -> (item: Item, at: Timestamp, sequence: Int)? {
        while storedHead < stored.count, stored[storedHead].at < since { storedHead += 1 }
        while freshHead < fresh.count, fresh[freshHead].at < since { freshHead += 1 }
        switch (storedHead < stored.count ? stored[storedHead] : nil, freshHead < fresh.count ? fresh[freshHead] : nil) {
        case let (a?, b?): return (a.at, a.sequence) <= (b.at, b.sequence) ? a : b
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    /// Removes and returns the head that ``head(notBefore:)`` last gave.
    mutating func popHead() -> Item? {
        let a = storedHead < stored.count ? stored[storedHead] : nil
        let b = freshHead < fresh.count ? fresh[freshHead] : nil
        switch (a, b) {
        case let (a?, b?):
            if (a.at, a.sequence) <= (b.at, b.sequence) { storedHead += 1; return a.item }
            freshHead += 1
            return b.item
        case let (a?, nil): storedHead += 1; return a.item
        case let (nil, b?): freshHead += 1; return b.item
        case (nil, nil): return nil
        }
    }
}
