import ParcelGateCore

/// Applies a callback's events inside the caller's SQLite transaction (DESIGN §1 step 6): match, read the
/// state the ``LedgerPlanner`` needs, and execute its plan.
enum CallbackApplication {
    /// What applying found: the outcome, or that some event matched no fulfillment.
    enum Result {
        case outcome(IngestOutcome)
        case unmatched(String)
    }

    static func apply(_ callback: IngestCallback, connection: SQLiteConnection) throws(GatewayError) -> Result {
        var matches: [String] = []
        var cache: [String: String?] = [:]
        for event in callback.events {
            let key = LedgerMatching.key(event)
            let id: String?
            if let cached = cache[key] { id = cached } else {
                id = try FulfillmentRows.match(connection, event: event, carrier: callback.carrier)
                cache[key] = id
            }
            guard let id else { return .unmatched(LedgerMatching.unmatchedDetail(event)) }
            matches.append(id)
        }

        var state = LedgerState(fulfillments: [:], knownScans: [], refused: [:])
        for id in Set(matches) {
            guard let fulfillment = try FulfillmentRows.load(connection, tenant: callback.tenant, id: id, withHistory: false) else {
                return .unmatched("No fulfillment '\(id)'")
            }
            state.fulfillments[id] = fulfillment
            state.refused[id] = try FulfillmentRows.refusedEvents(connection, tenant: callback.tenant, fulfillmentId: id)
        }
        for (event, id) in zip(callback.events, matches) where try FulfillmentRows.hasScan(connection, tenant: callback.tenant, fulfillmentId: id, scanKey: event.scanKey) {
            state.knownScans.insert(LedgerState.scanRef(id, event.scanKey))
        }

        let plan = LedgerPlanner.plan(events: callback.events, matches: matches, state: state, receivedAt: callback.receivedAt)
        for new in plan.newEvents {
            try FulfillmentRows.insertEvent(connection, tenant: callback.tenant, fulfillmentId: new.fulfillmentId, entry: HistoryInsert(new, receivedAt: callback.receivedAt))
        }
        for (rowId, status) in plan.reapplied { try FulfillmentRows.markApplied(connection, rowId: rowId, fulfillmentStatus: status) }
        for fulfillment in plan.updatedFulfillments { try FulfillmentRows.update(connection, fulfillment) }
        for domain in plan.domainEvents { try FulfillmentRows.recordDomainEvent(connection, domain, recordedAt: callback.receivedAt) }
        return .outcome(plan.outcome)
    }
}

/// Matching rules shared by the backends' queries.
enum LedgerMatching {
    /// Events naming the same fulfillment id, or the same tracking number, match the same fulfillment:
    /// each distinct key is looked up once per callback.
    static func key(_ event: TrackingEvent) -> String {
        event.fulfillmentId.map { "id:" + $0 } ?? "tn:" + (event.trackingNumber ?? "")
    }

    static func unmatchedDetail(_ event: TrackingEvent) -> String {
        event.fulfillmentId.map { "No fulfillment '\($0)'" } ?? "No fulfillment with tracking number '\(event.trackingNumber ?? "")'"
    }
}
