import ParcelGateCore

/// Applies a callback's events to their fulfillments inside the caller's transaction (DESIGN §1 step 6, §4).
///
/// The rules themselves live in ``FulfillmentLedger``; this type only reads and writes rows around them.
enum CallbackApplication {
    /// What applying found: the outcome, or that some event matched no fulfillment.
    enum Result {
        case outcome(IngestOutcome)
        case unmatched(String)
    }

    static func apply(_ callback: IngestCallback, connection: SQLiteConnection) throws(GatewayError) -> Result {
        // Carriers send out of order and newest-first: apply in event-time order (stable for equal times).
        let events = callback.events.enumerated()
            .sorted { ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset) }
            .map(\.element)

        var cache: [String: Fulfillment] = [:]
        var recorded = 0
        var lastApplied: Fulfillment?
        var lastRefused: (String, GatewayError)?
        var unmatched: String?

        for event in events {
            guard let id = try FulfillmentRows.match(connection, event: event, carrier: callback.carrier) else {
                unmatched = event.fulfillmentId.map { "No fulfillment '\($0)'" }
                    ?? "No fulfillment with tracking number '\(event.trackingNumber ?? "")'"
                continue
            }
            var loaded = cache[id]
            if loaded == nil { loaded = try FulfillmentRows.load(connection, tenant: callback.tenant, id: id, withHistory: false) }
            guard var fulfillment = loaded else { continue }
            let scanKey = event.scanKey
            if try FulfillmentRows.hasScan(connection, tenant: callback.tenant, fulfillmentId: id, scanKey: scanKey) { continue }

            let decision = FulfillmentLedger.decide(
                eventStatus: event.status, occurredAt: event.occurredAt,
                current: fulfillment.status, latestEventAt: fulfillment.latestEventAt
            )
            try FulfillmentRows.insertEvent(
                connection, tenant: callback.tenant, fulfillmentId: id, scanKey: scanKey, carrier: event.carrier,
                status: event.status, fulfillmentStatus: decision.resultingStatus, carrierStatusCode: event.carrierStatusCode,
                description: event.description, location: event.location, occurredAt: event.occurredAt,
                receivedAt: callback.receivedAt, outcome: decision.outcomeName
            )
            recorded += 1
            switch decision.outcome {
            case .applied:
                try advance(&fulfillment, to: decision, eventStatus: event.status, occurredAt: event.occurredAt, at: callback.receivedAt, connection: connection)
                try reconsiderRefused(&fulfillment, at: callback.receivedAt, connection: connection)
                lastApplied = fulfillment
            case .stale:
                lastApplied = lastApplied ?? fulfillment
            case .invalidTransition(let error):
                lastRefused = (id, error)
            }
            cache[id] = fulfillment
        }

        if let unmatched { return .unmatched(unmatched) }
        if let lastApplied { return .outcome(.applied(fulfillmentId: lastApplied.id, status: lastApplied.status, recorded: recorded)) }
        if let (id, error) = lastRefused { return .outcome(.invalidTransition(fulfillmentId: id, error)) }
        return .outcome(.duplicate)
    }

    /// Moves the fulfillment as an applied decision says and records the domain event.
    private static func advance(
        _ fulfillment: inout Fulfillment, to decision: EventDecision, eventStatus: TrackingStatus, occurredAt: Timestamp,
        at now: Timestamp, connection: SQLiteConnection
    ) throws(GatewayError) {
        let from = fulfillment.status
        fulfillment.status = decision.resultingStatus
        fulfillment.latestEventAt = max(fulfillment.latestEventAt ?? occurredAt, occurredAt)
        if decision.resultingStatus == .delivered { fulfillment.actualDelivery = occurredAt }
        fulfillment.updatedAt = now
        try FulfillmentRows.update(connection, fulfillment)
        if let type = decision.domainEvent {
            try FulfillmentRows.recordDomainEvent(
                connection, fulfillment: fulfillment, type: type, from: from, trackingStatus: eventStatus,
                occurredAt: occurredAt, recordedAt: now
            )
        }
    }

    /// Applies, oldest first, refused events that a newly applied event has made legal (see ``FulfillmentLedger``).
    private static func reconsiderRefused(_ fulfillment: inout Fulfillment, at now: Timestamp, connection: SQLiteConnection) throws(GatewayError) {
        guard let since = fulfillment.latestEventAt else { return }
        for refused in try FulfillmentRows.refusedEvents(connection, tenant: fulfillment.tenant, fulfillmentId: fulfillment.id, since: since) {
            let decision = FulfillmentLedger.decide(
                eventStatus: refused.status, occurredAt: refused.occurredAt,
                current: fulfillment.status, latestEventAt: fulfillment.latestEventAt
            )
            guard decision.applied else { continue }
            try FulfillmentRows.markApplied(connection, rowId: refused.rowId, fulfillmentStatus: decision.resultingStatus)
            try advance(&fulfillment, to: decision, eventStatus: refused.status, occurredAt: refused.occurredAt, at: now, connection: connection)
        }
    }
}
