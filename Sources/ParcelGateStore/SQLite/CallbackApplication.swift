import ParcelGateCore

/// Applies a callback's events inside the caller's SQLite transaction (docs/architecture.md, "The path of one callback", step 5): match, read the
/// state the ``LedgerPlanner`` needs, and execute its plan.
enum CallbackApplication {
    /// What applying found: the outcome, or that some event matched no fulfillment.
    enum Result {
        case outcome(IngestOutcome)
        case unmatched(String)
    }

    static func apply(_ callback: IngestCallback, connection: SQLiteConnection) throws(GatewayError) -> Result {
        var matches: [String] = []
        var cache: [String: Fulfillment?] = [:]
        var state = LedgerState(fulfillments: [:], knownScans: [], refused: [:])
        for event in callback.events {
            let key = LedgerMatching.key(event)
            let found: Fulfillment?
            if let cached = cache[key] { found = cached } else {
                found = try FulfillmentRows.match(connection, event: event, carrier: callback.carrier)
                cache[key] = found
            }
            guard let found else { return .unmatched(LedgerMatching.unmatchedDetail(event)) }
            matches.append(found.id)
            if state.fulfillments[found.id] == nil {
                state.fulfillments[found.id] = found
                state.refused[found.id] = try FulfillmentRows.refusedEvents(connection, tenant: callback.tenant, fulfillmentId: found.id)
            }
        }
        for (event, id) in zip(callback.events, matches) where try FulfillmentRows.hasScan(connection, tenant: callback.tenant, fulfillmentId: id, scanKey: event.scanKey) {
            state.knownScans.insert(LedgerState.scanRef(id, event.scanKey))
        }

        let plan = LedgerPlanner.plan(events: callback.events, matches: matches, state: state, receivedAt: callback.receivedAt)
        for new in plan.newEvents {
            try FulfillmentRows.insertEvent(connection, tenant: callback.tenant, fulfillmentId: new.fulfillmentId, entry: HistoryInsert(new, receivedAt: callback.receivedAt))
        }
        for (rowId, status) in plan.reapplied { try FulfillmentRows.markApplied(connection, rowId: rowId, fulfillmentStatus: status) }
        for fulfillment in plan.updatedFulfillments { try FulfillmentRows.updateProgress(connection, fulfillment) }
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
