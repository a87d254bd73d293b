import ParcelGateCore

/// The platform's fulfillment operations: create, read, list, and commands through the state machine.
enum FulfillmentWorkflows {
    /// Creates a fulfillment in `PENDING`. Callbacks queued because it was unknown become due now.
    static func create(_ new: NewFulfillment) -> Workflow<Fulfillment> {
        var deltas = ProjectionDeltas()
        deltas.created(tenant: new.tenant, fulfillmentId: new.id)
        return Workflow(.write, .run([FulfillmentStatements.insert(new), RetryStatements.expedite(tenant: new.tenant, matchKey: new.id, now: new.createdAt)]
                                     + deltas.statements) { results throws(GatewayError) in
            // A taken id throws, and the transaction (the expedite and the projection's count included) rolls back.
            guard try results.result(0).changes == 1 else { throw .conflict("A fulfillment with id '\(new.id)' already exists") }
            return .done(Fulfillment(id: new.id, tenant: new.tenant, orderId: new.orderId, createdAt: new.createdAt, updatedAt: new.createdAt))
        })
    }

    /// A fulfillment with its history, or `nil`.
    static func find(tenant: String, id: String) -> Workflow<Fulfillment?> {
        Workflow(.snapshot, .run([FulfillmentStatements.find(tenant: tenant, id: id), FulfillmentStatements.history(tenant: tenant, id: id)]) {
            results throws(GatewayError) in
            guard var fulfillment = try results.result(0).fulfillments.first else { return .done(nil) }
            fulfillment.trackingEvents = try results.result(1).historyEntries.map(\.entry)
            return .done(fulfillment)
        })
    }

    /// The fulfillments `filter` selects with their histories: two statements, whatever their number.
    static func list(tenant: String, filter: FulfillmentFilter) -> Workflow<[Fulfillment]> {
        Workflow(.snapshot, .run([FulfillmentStatements.list(tenant: tenant, filter: filter), FulfillmentStatements.histories(tenant: tenant, filter: filter)]) {
            results throws(GatewayError) in
            var histories: [String: [TrackingHistoryEntry]] = [:]
            for (id, entry) in try results.result(1).historyEntries { histories[id, default: []].append(entry) }
            return .done(try results.result(0).fulfillments.map { fulfillment in
                var fulfillment = fulfillment
                fulfillment.trackingEvents = histories[fulfillment.id] ?? []
                return fulfillment
            })
        })
    }

    /// Applies a platform command (``PlatformCommand``): `not_found` or `invalid_transition`, else the
    /// fulfillment as it is afterwards, with its history.
    static func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at now: Timestamp) -> Workflow<Fulfillment> {
        Workflow(.write, .run(FulfillmentStatements.find(tenant: tenant, id: fulfillmentId, lock: true)) { found throws(GatewayError) in
            guard var fulfillment = found.fulfillments.first else { throw .notFound("Fulfillment '\(fulfillmentId)' not found") }
            let change = try PlatformCommand.apply(command, to: &fulfillment, at: now)
            var writes: [Statement] = []
            if case .ship(_, let trackingNumber, _) = command {
                // Callbacks queued because this shipment was unknown can be applied now.
                writes.append(RetryStatements.expedite(tenant: tenant, matchKey: trackingNumber, now: now))
            }
            if let entry = change.historyEntry {
                writes.append(FulfillmentStatements.insertEvent(tenant: tenant, fulfillmentId: fulfillmentId, entry))
            }
            writes.append(FulfillmentStatements.update(fulfillment))
            writes.append(FulfillmentStatements.insertDomainEvent(change.domainEvent, recordedAt: now))
            writes += ProjectionDeltas.statements(for: [change.domainEvent])
            writes.append(FulfillmentStatements.history(tenant: tenant, id: fulfillmentId))
            let updated = fulfillment
            return .run(writes) { results throws(GatewayError) in
                var result = updated
                result.trackingEvents = try results.result(results.count - 1).historyEntries.map(\.entry)
                return .done(result)
            }
        })
    }
}
