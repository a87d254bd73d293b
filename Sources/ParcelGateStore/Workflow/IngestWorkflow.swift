import ParcelGateCore

/// Stores a callback's receipt and applies its events, in one transaction (docs/architecture.md, "The path
/// of one callback", step 5): dedupe, match, queue what matches nothing, read the state the
/// ``LedgerPlanner`` needs, and write its plan.
enum IngestWorkflow {
    static func make(_ callback: IngestCallback, dialect: StoreDialect) -> Workflow<IngestOutcome> {
        guard let receiptKey = callback.receiptKey else { return Workflow(.write, match(callback, dialect: dialect)) }
        return Workflow(.write, .run(FulfillmentStatements.insertReceipt(tenant: callback.tenant, carrier: callback.carrier, key: receiptKey, at: callback.receivedAt)) {
            inserted throws(GatewayError) in
            inserted.changes == 0 ? .done(.duplicate) : match(callback, dialect: dialect)
        })
    }

    /// Finds each event's fulfillment, one statement per distinct id or tracking number.
    private static func match(_ callback: IngestCallback, dialect: StoreDialect) -> Step<IngestOutcome> {
        var keys: [String] = []
        var lookups: [Statement] = []
        for event in callback.events {
            let key = LedgerMatching.key(event)
            guard !keys.contains(key), let lookup = LedgerMatching.lookup(event, carrier: callback.carrier) else { continue }
            keys.append(key)
            lookups.append(lookup)
        }
        let looked = keys
        return .run(lookups) { results throws(GatewayError) in
            var byKey: [String: Fulfillment] = [:]
            for (index, key) in looked.enumerated() {
                if let fulfillment = try results.result(index).fulfillments.first { byKey[key] = fulfillment }
            }
            var matches: [String] = []
            var byId: [String: Fulfillment] = [:]
            for event in callback.events {
                guard let fulfillment = byKey[LedgerMatching.key(event)] else { return try unmatched(callback, event: event) }
                matches.append(fulfillment.id)
                byId[fulfillment.id] = fulfillment
            }
            return readState(callback, matches: matches, matched: byId, dialect: dialect)
        }
    }

    /// Some event matches no fulfillment yet: queue the raw callback with its receipt, in the same
    /// transaction, so a 202 loses nothing. With nothing to queue (a retry) the whole callback rolls back,
    /// receipt included, and is tried again later.
    private static func unmatched(_ callback: IngestCallback, event: TrackingEvent) throws(GatewayError) -> Step<IngestOutcome> {
        guard let makeEntry = callback.queueIfUnmatched else { throw .unmatched(LedgerMatching.unmatchedDetail(event)) }
        let entry = makeEntry()
        return .run([RetryStatements.insert(entry)], finishing: .queued(retryId: entry.id))
    }

    /// Reads, per matched fulfillment, its refused events and which of the callback's scans it holds; where
    /// rows must be locked, first locks the fulfillments with one statement, in id order (`findMany`, the same
    /// statement and order a commit group locks with), so two transactions applying to the same ones cannot
    /// deadlock, and takes the locked rows as the state.
    private static func readState(_ callback: IngestCallback, matches: [String], matched: [String: Fulfillment], dialect: StoreDialect) -> Step<IngestOutcome> {
        let ids = Set(matches).sorted()
        var reads: [Statement] = []
        if dialect.hasRowLocks, !ids.isEmpty { reads.append(FulfillmentStatements.findMany(tenant: callback.tenant, ids: ids, lock: true)) }
        for id in ids {
            reads.append(FulfillmentStatements.refusedEvents(tenant: callback.tenant, fulfillmentId: id))
            let scanKeys = zip(callback.events, matches).filter { $0.1 == id }.map { $0.0.scanKey }
            reads.append(FulfillmentStatements.knownScans(tenant: callback.tenant, fulfillmentId: id, scanKeys: scanKeys))
        }
        let locks = dialect.hasRowLocks && !ids.isEmpty ? 1 : 0
        return .run(reads) { results throws(GatewayError) in
            var state = LedgerState(fulfillments: [:], knownScans: [], refused: [:])
            if locks == 1 {
                let locked = try results.result(0).fulfillments
                for id in ids {
                    guard let row = locked.first(where: { $0.id == id }) else { throw .unmatched("No fulfillment '\(id)'") }
                    state.fulfillments[id] = row
                }
            } else {
                for id in ids { state.fulfillments[id] = matched[id] }
            }
            for (offset, id) in ids.enumerated() {
                let next = locks + offset * 2
                state.refused[id] = try results.result(next).refusedEvents
                for row in try results.result(next + 1).textRows where row.count == 2 { state.knownScans.insert(LedgerState.scanRef(id, row[1])) }
            }
            return write(callback, plan: LedgerPlanner.plan(events: callback.events, matches: matches, state: state, receivedAt: callback.receivedAt))
        }
    }

    /// The plan's writes, in the order that keeps every row consistent.
    private static func write(_ callback: IngestCallback, plan: LedgerPlan) -> Step<IngestOutcome> {
        var writes: [Statement] = []
        for new in plan.newEvents {
            writes.append(FulfillmentStatements.insertEvent(tenant: callback.tenant, fulfillmentId: new.fulfillmentId, HistoryInsert(new, receivedAt: callback.receivedAt)))
        }
        for (rowId, status) in plan.reapplied { writes.append(FulfillmentStatements.markApplied(rowId: rowId, fulfillmentStatus: status)) }
        for fulfillment in plan.updatedFulfillments { writes.append(FulfillmentStatements.updateProgress(fulfillment)) }
        for domain in plan.domainEvents { writes.append(FulfillmentStatements.insertDomainEvent(domain, recordedAt: callback.receivedAt, traceParent: callback.traceParent)) }
        // The projections last, merged and in key order (``ProjectionDeltas``): a scan that keeps the status adds none.
        writes += ProjectionDeltas.statements(for: plan.domainEvents)
        return .run(writes, finishing: plan.outcome)
    }
}

/// How a callback's events find their fulfillments (README, "HTTP contract").
enum LedgerMatching {
    /// Events naming the same fulfillment id, or the same tracking number, match the same fulfillment:
    /// each distinct key is looked up once per callback.
    static func key(_ event: TrackingEvent) -> String {
        event.fulfillmentId.map { "id:" + $0 } ?? "tn:" + (event.trackingNumber ?? "")
    }

    /// By id when the payload names one, else by tracking number (preferring the source's carrier, then the
    /// newest); `nil` when the event names neither, which matches nothing.
    static func lookup(_ event: TrackingEvent, carrier: String) -> Statement? {
        if let id = event.fulfillmentId { return FulfillmentStatements.find(tenant: event.tenant, id: id) }
        guard let trackingNumber = event.trackingNumber else { return nil }
        return FulfillmentStatements.findByTrackingNumbers(tenant: event.tenant, trackingNumbers: [trackingNumber], carrier: carrier)
    }

    static func unmatchedDetail(_ event: TrackingEvent) -> String {
        event.fulfillmentId.map { "No fulfillment '\($0)'" } ?? "No fulfillment with tracking number '\(event.trackingNumber ?? "")'"
    }
}
