import ParcelGateCore

/// Several concurrent callbacks applied in one transaction with set-based statements: PostgreSQL's group
/// commit (docs/architecture.md, "Group commit on PostgreSQL").
///
/// The rules are ``IngestWorkflow``'s, in the same order, read once for the whole group instead of once per
/// callback: match every callback's events in one lookup per tenant, store the receipts in one insert (a
/// receipt already stored makes its callback a duplicate), lock and read the state of every matched
/// fulfillment in id order, plan each callback with the same ``LedgerPlanner``, and write the group's events,
/// updates, domain events and projections as multi-row statements. About a dozen round trips carry the whole
/// group, where one callback took as many alone.
///
/// Each callback must be planned against state no other member changes: a callback that repeats an earlier
/// member's receipt or touches an earlier member's fulfillment is left out (``Member/alone``), as is a retry
/// (it has no receipt to store). The caller runs those by themselves, with ``IngestWorkflow``, after the
/// group commits, so they see its writes.
enum IngestGroupWorkflow {
    /// What became of one callback of the group.
    enum Member: Sendable, Hashable {
        /// Decided in the group's transaction; true once it commits.
        case settled(IngestOutcome)
        /// Not part of the group: run it by itself once the group has committed.
        case alone
    }

    /// Whether a callback may join a group at all: a carrier's callback has a receipt to store and an entry to
    /// queue; a retry has neither and runs alone.
    static func canJoin(_ callback: IngestCallback) -> Bool {
        callback.receiptKey != nil && callback.queueIfUnmatched != nil
    }

    static func make(_ callbacks: [IngestCallback], dialect: StoreDialect) -> Workflow<[Member]> {
        var members: [Int] = []
        var receipts: Set<String> = []
        for (index, callback) in callbacks.enumerated() {
            guard canJoin(callback), receipts.insert(receiptRef(of: callback)).inserted else { continue }
            members.append(index)
        }
        return Workflow(.write, lookup(Group(callbacks: callbacks, members: members), dialect: dialect))
    }

    /// The group as it is decided, step by step.
    private struct Group: Sendable {
        let callbacks: [IngestCallback]
        /// Indices into `callbacks` still in the group, in arrival order.
        var members: [Int]
        var answers: [Member]
        /// Each member's fulfillment per event (`matches[i]` as ``LedgerPlanner`` takes it), or the event that matched nothing.
        var matches: [Int: [String]] = [:]
        var unmatched: [Int: TrackingEvent] = [:]
        /// Looked-up fulfillments by `tenant + "\n" + id`.
        var found: [String: Fulfillment] = [:]

        init(callbacks: [IngestCallback], members: [Int]) {
            self.callbacks = callbacks
            self.members = members
            answers = Array(repeating: .alone, count: callbacks.count)
        }
    }

    /// Finds every member's fulfillments: one statement per tenant for ids, one per tenant and carrier for
    /// tracking numbers (the carrier breaks ties between shipments sharing a number).
    private static func lookup(_ group: Group, dialect: StoreDialect) -> Step<[Member]> {
        var ids: [String: Set<String>] = [:]
        var numbers: [TrackingKey: Set<String>] = [:]
        for index in group.members {
            let callback = group.callbacks[index]
            for event in callback.events {
                if let id = event.fulfillmentId {
                    ids[event.tenant, default: []].insert(id)
                } else if let number = event.trackingNumber {
                    numbers[TrackingKey(tenant: event.tenant, carrier: callback.carrier), default: []].insert(number)
                }
            }
        }
        var reads: [Statement] = []
        var readKinds: [TrackingKey?] = []
        for (tenant, set) in ids.sorted(by: { $0.key < $1.key }) {
            reads.append(FulfillmentStatements.findMany(tenant: tenant, ids: set.sorted()))
            readKinds.append(nil)
        }
        for (key, set) in numbers.sorted(by: { $0.key < $1.key }) {
            reads.append(FulfillmentStatements.findByTrackingNumbers(tenant: key.tenant, trackingNumbers: set.sorted(), carrier: key.carrier))
            readKinds.append(key)
        }
        let kinds = readKinds
        return .run(reads) { results throws(GatewayError) in
            var group = group
            var byId: [String: Fulfillment] = [:]
            var byNumber: [String: Fulfillment] = [:]
            for (offset, kind) in kinds.enumerated() {
                for fulfillment in try results.result(offset).fulfillments {
                    if let kind {
                        byNumber[numberRef(kind, fulfillment.trackingNumber ?? "")] = fulfillment
                    } else {
                        byId[ref(fulfillment.tenant, fulfillment.id)] = fulfillment
                    }
                }
            }
            var claimed: Set<String> = []
            var kept: [Int] = []
            for index in group.members {
                let callback = group.callbacks[index]
                var matches: [String] = []
                var touched: Set<String> = []
                var missing: TrackingEvent?
                for event in callback.events {
                    let fulfillment: Fulfillment?
                    if let id = event.fulfillmentId {
                        fulfillment = byId[ref(event.tenant, id)]
                    } else if let number = event.trackingNumber {
                        fulfillment = byNumber[numberRef(TrackingKey(tenant: event.tenant, carrier: callback.carrier), number)]
                    } else {
                        fulfillment = nil
                    }
                    guard let fulfillment else { missing = event; break }
                    matches.append(fulfillment.id)
                    touched.insert(ref(fulfillment.tenant, fulfillment.id))
                    group.found[ref(fulfillment.tenant, fulfillment.id)] = fulfillment
                }
                if let missing {
                    group.unmatched[index] = missing
                } else {
                    // Planned against state no earlier member changes, or left to run alone after the group.
                    guard claimed.isDisjoint(with: touched) else { continue }
                    claimed.formUnion(touched)
                    group.matches[index] = matches
                }
                kept.append(index)
            }
            group.members = kept
            return storeReceipts(group, dialect: dialect)
        }
    }

    /// Stores every member's receipt in one insert, sorted so that two transactions wait for each other's
    /// receipts in one order; a receipt already stored makes its callback a duplicate.
    private static func storeReceipts(_ group: Group, dialect: StoreDialect) -> Step<[Member]> {
        // Nothing in the group (every callback runs alone): nothing to store.
        guard !group.members.isEmpty else { return .done(group.answers) }
        let ordered = group.members.sorted { receiptRef(of: group.callbacks[$0]) < receiptRef(of: group.callbacks[$1]) }
        let inserts = ordered.map { index in
            let callback = group.callbacks[index]
            return FulfillmentStatements.insertReceipt(tenant: callback.tenant, carrier: callback.carrier, key: callback.receiptKey ?? "", at: callback.receivedAt)
        }
        guard let statements = Statement.multiRow(inserts, returning: "tenant, carrier, receipt_key", yield: .rows(.texts(3))) else {
            // Never answer duplicates for receipts that were not stored: fail the group, whose members run alone.
            return .run([]) { _ throws(GatewayError) in throw .internalError("The receipt insert is not a single-row INSERT ... VALUES") }
        }
        return .run(statements) { results throws(GatewayError) in
            var group = group
            var stored: Set<String> = []
            for result in results {
                for row in result.textRows where row.count == 3 { stored.insert(receiptRef(row[0], row[1], row[2])) }
            }
            group.members = group.members.filter { index in
                guard stored.contains(receiptRef(of: group.callbacks[index])) else {
                    group.answers[index] = .settled(.duplicate)
                    return false
                }
                return true
            }
            return readState(group, dialect: dialect)
        }
    }

    /// Per tenant, locks the matched fulfillments in id order (where rows must be locked) and reads their
    /// refused events and which of the members' scans they hold: three statements a tenant.
    private static func readState(_ group: Group, dialect: StoreDialect) -> Step<[Member]> {
        var ids: [String: Set<String>] = [:]
        var scans: [String: [String: Set<String>]] = [:]
        for index in group.members {
            guard let matches = group.matches[index] else { continue }
            let callback = group.callbacks[index]
            for (event, id) in zip(callback.events, matches) {
                ids[event.tenant, default: []].insert(id)
                scans[event.tenant, default: [:]][id, default: []].insert(event.scanKey)
            }
        }
        let tenants = ids.keys.sorted()
        var reads: [Statement] = []
        for tenant in tenants {
            let sorted = ids[tenant, default: []].sorted()
            if dialect.hasRowLocks { reads.append(FulfillmentStatements.findMany(tenant: tenant, ids: sorted, lock: true)) }
            reads.append(FulfillmentStatements.refusedEvents(tenant: tenant, fulfillmentIds: sorted))
            // A tenant here has at least one fulfillment with one key (its ids and scans are gathered together).
            let known = scans[tenant, default: [:]].sorted { $0.key < $1.key }.map { (fulfillmentId: $0.key, scanKeys: $0.value.sorted()) }
            reads.append(FulfillmentStatements.knownScans(tenant: tenant, scans: known))
        }
        let perTenant = dialect.hasRowLocks ? 3 : 2
        let counts = ids.mapValues(\.count)
        return .run(reads) { results throws(GatewayError) in
            var fulfillments = group.found
            var refused: [String: [RefusedEventRef]] = [:]
            var known: Set<String> = []
            for (offset, tenant) in tenants.enumerated() {
                var next = offset * perTenant
                if dialect.hasRowLocks {
                    // The locked rows are the state: they may have moved since the lookup.
                    let locked = try results.result(next).fulfillments
                    guard locked.count == counts[tenant, default: 0] else { throw .unmatched("A matched fulfillment of '\(tenant)' is gone") }
                    for fulfillment in locked { fulfillments[ref(tenant, fulfillment.id)] = fulfillment }
                    next += 1
                }
                for (id, row) in try results.result(next).keyed {
                    if case .refused(let event) = row { refused[ref(tenant, id), default: []].append(event) }
                }
                for row in try results.result(next + 1).textRows where row.count == 2 { known.insert(ref(tenant, LedgerState.scanRef(row[0], row[1]))) }
            }
            return write(group, fulfillments: fulfillments, refused: refused, known: known)
        }
    }

    /// Plans each member with ``LedgerPlanner`` and writes the group's plans with multi-row statements.
    private static func write(_ group: Group, fulfillments: [String: Fulfillment], refused: [String: [RefusedEventRef]], known: Set<String>) -> Step<[Member]> {
        var answers = group.answers
        var events: [Statement] = []
        var reapplied: [Statement] = []
        var updated: [Fulfillment] = []
        var domain: [Statement] = []
        var queued: [Statement] = []
        var deltas = ProjectionDeltas()
        for index in group.members {
            let callback = group.callbacks[index]
            guard let matches = group.matches[index] else {
                guard let makeEntry = callback.queueIfUnmatched else { continue }
                let entry = makeEntry()
                queued.append(RetryStatements.insert(entry))
                answers[index] = .settled(.queued(retryId: entry.id))
                continue
            }
            var state = LedgerState(fulfillments: [:], knownScans: [], refused: [:])
            for (event, id) in zip(callback.events, matches) {
                let key = ref(event.tenant, id)
                state.fulfillments[id] = fulfillments[key]
                state.refused[id] = refused[key] ?? []
                if known.contains(ref(event.tenant, LedgerState.scanRef(id, event.scanKey))) { state.knownScans.insert(LedgerState.scanRef(id, event.scanKey)) }
            }
            let plan = LedgerPlanner.plan(events: callback.events, matches: matches, state: state, receivedAt: callback.receivedAt)
            for new in plan.newEvents {
                events.append(FulfillmentStatements.insertEvent(tenant: callback.tenant, fulfillmentId: new.fulfillmentId, HistoryInsert(new, receivedAt: callback.receivedAt)))
            }
            for (rowId, status) in plan.reapplied { reapplied.append(FulfillmentStatements.markApplied(rowId: rowId, fulfillmentStatus: status)) }
            updated += plan.updatedFulfillments
            for event in plan.domainEvents {
                domain.append(FulfillmentStatements.insertDomainEvent(event, recordedAt: callback.receivedAt, traceParent: callback.traceParent))
                deltas.record(event)
            }
            answers[index] = .settled(plan.outcome)
        }
        updated.sort { ($0.tenant, $0.id) < ($1.tenant, $1.id) }
        let writes = Statement.coalesced(events) + reapplied + FulfillmentStatements.updateProgress(updated) + Statement.coalesced(domain)
            + Statement.coalesced(deltas.statements) + Statement.coalesced(queued)
        return .run(writes, finishing: answers)
    }

    private struct TrackingKey: Hashable, Comparable, Sendable {
        var tenant: String
        var carrier: String
        static func < (a: Self, b: Self) -> Bool { (a.tenant, a.carrier) < (b.tenant, b.carrier) }
    }

    private static func ref(_ tenant: String, _ id: String) -> String { tenant + "\n" + id }
    private static func numberRef(_ key: TrackingKey, _ number: String) -> String { key.tenant + "\n" + key.carrier + "\n" + number }
    private static func receiptRef(_ tenant: String, _ carrier: String, _ key: String) -> String { tenant + "\n" + carrier + "\n" + key }
    private static func receiptRef(of callback: IngestCallback) -> String { receiptRef(callback.tenant, callback.carrier, callback.receiptKey ?? "") }
}
