import ParcelGateCore

/// One tracking-history row to insert, as every backend writes it.
struct HistoryInsert: Sendable {
    var scanKey: String
    var carrier: String?
    var status: TrackingStatus
    var fulfillmentStatus: FulfillmentStatus
    var carrierStatusCode: String?
    var description: String
    var location: TrackingLocation?
    var occurredAt: Timestamp
    var receivedAt: Timestamp
    var outcome: EventOutcome

    var applied: Bool { outcome == .applied }

    init(scanKey: String, carrier: String?, status: TrackingStatus, fulfillmentStatus: FulfillmentStatus, carrierStatusCode: String?,
         description: String, location: TrackingLocation?, occurredAt: Timestamp, receivedAt: Timestamp, outcome: EventOutcome) {
        self.scanKey = scanKey
        self.carrier = carrier
        self.status = status
        self.fulfillmentStatus = fulfillmentStatus
        self.carrierStatusCode = carrierStatusCode
        self.description = description
        self.location = location
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
        self.outcome = outcome
    }

    /// A carrier event the planner decided on.
    init(_ new: LedgerPlan.NewEvent, receivedAt: Timestamp) {
        self.init(scanKey: new.scanKey, carrier: new.event.carrier, status: new.event.status, fulfillmentStatus: new.fulfillmentStatus,
                  carrierStatusCode: new.event.carrierStatusCode, description: new.event.description, location: new.event.location,
                  occurredAt: new.event.occurredAt, receivedAt: receivedAt, outcome: new.outcome)
    }
}

/// A platform command applied to a fulfillment in memory: what to write besides the fulfillment itself.
enum PlatformCommand {
    struct Change {
        /// An exception raised through the API adds a history entry: it is an event the platform observed. A
        /// delivery confirmation does not: it sets the status and `actual_delivery` and records the domain
        /// event, but the tracking history stays the carrier's scans.
        var historyEntry: HistoryInsert?
        var domainEvent: LedgerPlan.DomainEvent
    }

    /// Moves `fulfillment` through the state machine (or throws `invalid_transition`) and says what to record.
    static func apply(_ command: FulfillmentCommand, to fulfillment: inout Fulfillment, at now: Timestamp) throws(GatewayError) -> Change {
        let from = fulfillment.status
        fulfillment.status = try FulfillmentStateMachine.next(from: from, on: command.transition)
        fulfillment.updatedAt = now
        var history: (TrackingStatus, String, String?)?
        switch command {
        case .ship(let carrier, let trackingNumber, let serviceLevel):
            fulfillment.carrier = carrier
            fulfillment.trackingNumber = trackingNumber
            fulfillment.serviceLevel = serviceLevel
            fulfillment.shippedAt = now
        case .exception(let reason, let location, let status):
            history = (status, reason, location)
        case .deliver:
            fulfillment.actualDelivery = now
            // The confirmation is the newest word on the shipment: a carrier scan dated before it, arriving
            // after, is history (stale), not a refused transition out of DELIVERED.
            fulfillment.latestEventAt = max(fulfillment.latestEventAt ?? now, now)
        case .pick, .pack, .ready, .cancel:
            break
        }
        var entry: HistoryInsert?
        if let (status, description, location) = history {
            fulfillment.latestEventAt = max(fulfillment.latestEventAt ?? now, now)
            entry = HistoryInsert(
                scanKey: "platform:\(now.milliseconds):\(UInt64.random(in: .min ... .max))", carrier: fulfillment.carrier, status: status,
                fulfillmentStatus: fulfillment.status, carrierStatusCode: nil, description: description,
                location: location.map { TrackingLocation(text: $0) }, occurredAt: now, receivedAt: now, outcome: .applied
            )
        }
        fulfillment.eventSequence += 1
        var reason: String?
        var place: TrackingLocation?
        if case .exception(let text, let location, _) = command {
            reason = text
            place = location.map { TrackingLocation(text: $0) }
        }
        let domain = LedgerPlan.DomainEvent(
            fulfillment: fulfillment, type: FulfillmentLedger.domainEvent(for: command.transition), from: from,
            trackingStatus: history?.0 ?? (command.transition == .deliver ? .delivered : nil), occurredAt: now,
            reason: reason, location: place
        )
        return Change(historyEntry: entry, domainEvent: domain)
    }
}
