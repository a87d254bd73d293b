import ParcelGateCore

/// Outbound notifications (issue 15): endpoints, the outbox fan-out, claiming deliveries in order, and
/// recording attempts. The decisions that need the server's rules (which event types an endpoint takes, what
/// a body says, what the circuit breaker allows) arrive as closures; the store's own rules live here.
enum WebhookWorkflows {
    static func createEndpoint(_ endpoint: EndpointRecord) -> Workflow<Void> {
        Workflow(.write, .run([WebhookStatements.insertEndpoint(endpoint)], finishing: ()))
    }

    static func endpoints(tenant: String) -> Workflow<[EndpointRecord]> {
        Workflow(.read, .run(WebhookStatements.endpoints(tenant: tenant)) { rows throws(GatewayError) in .done(rows.endpoints) })
    }

    static func endpoint(tenant: String, id: String) -> Workflow<EndpointRecord?> {
        Workflow(.read, .run(WebhookStatements.endpoint(tenant: tenant, id: id)) { rows throws(GatewayError) in .done(rows.endpoints.first) })
    }

    /// Changes an endpoint under its row lock. Disabling it holds its waiting deliveries; enabling it sends
    /// them, in their order.
    static func updateEndpoint(tenant: String, id: String, now: Timestamp,
                               _ change: @escaping @Sendable (inout EndpointRecord) throws(GatewayError) -> Void) -> Workflow<EndpointRecord> {
        Workflow(.write, .run(WebhookStatements.endpoint(tenant: tenant, id: id, lock: true)) { found throws(GatewayError) in
            guard let before = found.endpoints.first else { throw endpointNotFound(id) }
            var after = before
            try change(&after)
            after.updatedAt = now
            if after.enabled { after.disabledReason = nil } else if after.disabledReason == nil { after.disabledReason = "operator" }
            var writes = [WebhookStatements.updateEndpoint(after)]
            if before.enabled && !after.enabled { writes.append(WebhookStatements.hold(endpointId: id, now: now)) }
            if !before.enabled && after.enabled {
                // A fresh start: the circuit closes, and the held deliveries go out in order.
                after.circuit = .closed
                writes[0] = WebhookStatements.updateEndpoint(after)
                writes.append(WebhookStatements.release(endpointId: id, now: now))
            }
            return .run(writes, finishing: after)
        })
    }

    static func deleteEndpoint(tenant: String, id: String) -> Workflow<Void> {
        Workflow(.write, .run(WebhookStatements.deleteEndpoint(tenant: tenant, id: id)) { deleted throws(GatewayError) in
            guard deleted.changes == 1 else { throw endpointNotFound(id) }
            return .done(())
        })
    }

    /// Fans out up to `limit` outbox events: one delivery per notification and matching endpoint (held when
    /// the endpoint is disabled), and marks the events dispatched, in one transaction. A repeat (another
    /// replica, a crash before the commit) adds nothing: a delivery is unique per endpoint and source.
    static func dispatch(limit: Int, now: Timestamp, notifications: @escaping @Sendable (OutboxEvent) -> [NewNotification],
                         accepts: @escaping @Sendable (EndpointRecord, NewNotification) -> Bool) -> Workflow<Int> {
        Workflow(.write, .run(WebhookStatements.undispatched(limit: limit)) { pending throws(GatewayError) in
            let events = pending.outboxEvents
            guard !events.isEmpty else { return .done(0) }
            let tenants = Array(Set(events.map(\.tenant))).sorted()
            return .run(WebhookStatements.endpoints(tenants: tenants)) { found throws(GatewayError) in
                let byTenant = Dictionary(grouping: found.endpoints, by: \.tenant)
                var writes: [Statement] = []
                for event in events {
                    let endpoints = byTenant[event.tenant] ?? []
                    guard !endpoints.isEmpty else { continue }
                    for notification in notifications(event) {
                        for endpoint in endpoints where accepts(endpoint, notification) {
                            writes.append(WebhookStatements.insertDelivery(
                                id: newDeliveryId(), tenant: event.tenant, endpointId: endpoint.id, notification,
                                status: endpoint.enabled ? .pending : .held, now: now))
                        }
                    }
                }
                let inserted = writes.count
                writes.append(WebhookStatements.markDispatched(ids: events.map(\.id)))
                return .run(writes) { results throws(GatewayError) in
                    .done(results.prefix(inserted).reduce(0) { $0 + $1.changes })
                }
            }
        })
    }

    /// One notification to one endpoint outside the outbox (a `ping`), stored already claimed by the caller,
    /// who sends it now: the worker cannot take it first. `conflict` while the endpoint is disabled.
    static func enqueueClaimed(tenant: String, endpointId: String, _ notification: NewNotification, leaseMilliseconds: Int64,
                               now: Timestamp) -> Workflow<ClaimedDelivery> {
        Workflow(.write, .run(WebhookStatements.endpoint(tenant: tenant, id: endpointId, lock: true)) { found throws(GatewayError) in
            guard let endpoint = found.endpoints.first else { throw endpointNotFound(endpointId) }
            guard endpoint.enabled else { throw .conflict("Endpoint '\(endpointId)' is disabled: enable it first") }
            let id = newDeliveryId()
            let token = RetryClaim.newToken()
            return .run([WebhookStatements.insertDelivery(id: id, tenant: tenant, endpointId: endpointId, notification, status: .pending, now: now),
                         WebhookStatements.claim(ids: [id], token: token, leaseUntil: now.adding(milliseconds: leaseMilliseconds), now: now),
                         WebhookStatements.delivery(id: id, tenant: tenant, lock: false)]) { results throws(GatewayError) in
                guard let delivery = try results.result(2).deliveries.first else { throw .internalError("A new delivery was not stored") }
                return .done(ClaimedDelivery(delivery: delivery, endpoint: endpoint))
            }
        })
    }

    /// Claims due deliveries, each the head of its chain (see ``WebhookStatements/claimCandidates``), as many
    /// per endpoint as `admit` allows given what it has in flight, stamped with one fresh claim token and
    /// leased for `leaseMilliseconds`. Where rows are locked, the candidates are locked first (skipping
    /// those another replica holds).
    static func claim(limit: Int, perEndpoint: Int, leaseMilliseconds: Int64, now: Timestamp, dialect: StoreDialect,
                      admit: @escaping @Sendable (EndpointRecord, _ inFlight: Int) -> EndpointAdmission) -> Workflow<[ClaimedDelivery]> {
        let candidates = WebhookStatements.claimCandidates(now: now, perEndpoint: max(perEndpoint, 1), limit: max(limit, 1).multipliedReportingOverflow(by: 4).partialValue)
        return Workflow(.write, .run(candidates) { found throws(GatewayError) in
            guard !found.deliveries.isEmpty else { return .done([]) }
            guard dialect.hasRowLocks else { return admitted(found.deliveries, limit: limit, leaseMilliseconds: leaseMilliseconds, now: now, admit: admit) }
            let order = found.deliveries.map(\.id)
            return .run(WebhookStatements.lockCandidates(ids: order, now: now)) { locked throws(GatewayError) in
                // Back in the ranked order (round-robin across endpoints).
                let byId = Dictionary(uniqueKeysWithValues: locked.deliveries.map { ($0.id, $0) })
                let deliveries = order.compactMap { byId[$0] }
                guard !deliveries.isEmpty else { return .done([]) }
                return admitted(deliveries, limit: limit, leaseMilliseconds: leaseMilliseconds, now: now, admit: admit)
            }
        })
    }

    /// Admission per endpoint, then the claim itself.
    private static func admitted(_ deliveries: [DeliveryRecord], limit: Int, leaseMilliseconds: Int64, now: Timestamp,
                                 admit: @escaping @Sendable (EndpointRecord, _ inFlight: Int) -> EndpointAdmission) -> Step<[ClaimedDelivery]> {
        let endpointIds = Array(Set(deliveries.map(\.endpointId))).sorted()
        return .run([WebhookStatements.endpoints(ids: endpointIds), WebhookStatements.inFlight(endpointIds: endpointIds, now: now)]) {
            results throws(GatewayError) in
            let endpoints = Dictionary(uniqueKeysWithValues: try results.result(0).endpoints.map { ($0.id, $0) })
            var inFlight: [String: Int] = [:]
            for (id, count) in try results.result(1).statusCounts { inFlight[id] = Int(truncatingIfNeeded: count) }
            var slots: [String: Int] = [:]
            var admissions: [String: EndpointAdmission] = [:]
            var used: [String: Int] = [:]
            var chosen: [ClaimedDelivery] = []
            for delivery in deliveries where chosen.count < limit {
                guard let endpoint = endpoints[delivery.endpointId] else { continue }
                if slots[endpoint.id] == nil {
                    let admission = admit(endpoint, inFlight[endpoint.id] ?? 0)
                    admissions[endpoint.id] = admission
                    slots[endpoint.id] = max(admission.slots, 0)
                }
                guard let left = slots[endpoint.id], left > 0 else { continue }
                slots[endpoint.id] = left - 1
                used[endpoint.id, default: 0] += 1
                chosen.append(ClaimedDelivery(delivery: delivery, endpoint: endpoint))
            }
            guard !chosen.isEmpty else { return .done([]) }
            // What the admissions changed, for the endpoints that start something: a probe's circuit, the
            // rate limit's spent tokens.
            var circuitWrites: [Statement] = []
            for (id, count) in used.sorted(by: { $0.key < $1.key }) {
                guard let admission = admissions[id] else { continue }
                if let circuit = admission.circuit { circuitWrites.append(WebhookStatements.updateCircuit(endpointId: id, circuit, now: now)) }
                if let tokens = admission.rateTokens {
                    circuitWrites.append(WebhookStatements.updateRate(endpointId: id, tokens: max(tokens - Double(count), 0), at: now))
                }
            }
            let token = RetryClaim.newToken()
            let leaseUntil = now.adding(milliseconds: leaseMilliseconds)
            let claimed = chosen.map { item -> ClaimedDelivery in
                var item = item
                item.delivery.claimToken = token
                item.delivery.nextAttemptAt = leaseUntil
                return item
            }
            return .run([WebhookStatements.claim(ids: chosen.map(\.delivery.id), token: token, leaseUntil: leaseUntil, now: now)] + circuitWrites,
                        finishing: claimed)
        }
    }

    /// Claims one delivery of the tenant to send now, whatever its schedule (retry-now): `conflict` while its
    /// endpoint is disabled or an attempt is in flight. A manual send skips the chain order and the rate limit:
    /// the caller asked for this one.
    static func claimNow(tenant: String, id: String, leaseMilliseconds: Int64, now: Timestamp) -> Workflow<ClaimedDelivery> {
        Workflow(.write, .run(WebhookStatements.delivery(id: id, tenant: tenant, lock: true)) { found throws(GatewayError) in
            guard var delivery = found.deliveries.first else { throw .notFound("Delivery '\(id)' not found") }
            guard delivery.status != .held else { throw .conflict("Delivery '\(id)' is held: its endpoint is disabled") }
            if delivery.claimToken != nil, delivery.nextAttemptAt > now, delivery.status != .delivered, delivery.status != .exhausted {
                throw .conflict("Delivery '\(id)' is being sent")
            }
            let token = RetryClaim.newToken()
            delivery.claimToken = token
            delivery.nextAttemptAt = now.adding(milliseconds: leaseMilliseconds)
            let claimed = delivery
            return .run(WebhookStatements.endpoint(tenant: tenant, id: delivery.endpointId, lock: true)) { found throws(GatewayError) in
                guard let endpoint = found.endpoints.first else { throw endpointNotFound(claimed.endpointId) }
                guard endpoint.enabled else { throw .conflict("Endpoint '\(endpoint.id)' is disabled: enable it first") }
                return .run([WebhookStatements.claim(ids: [id], token: token, leaseUntil: claimed.nextAttemptAt, now: now)],
                            finishing: ClaimedDelivery(delivery: claimed, endpoint: endpoint))
            }
        })
    }

    /// Records one attempt and its end, only while `claimToken` still holds the delivery (else `conflict`,
    /// nothing written): the attempt row, the delivery's new status, and the endpoint's circuit as `circuit`
    /// decides from its stored columns. A circuit that disables the endpoint holds its waiting deliveries.
    static func finish(id: String, claimToken: String, attempt: AttemptRecord, succeeded: Bool, finish: DeliveryFinish, now: Timestamp,
                       circuit: @escaping @Sendable (CircuitRecord) -> CircuitChange?) -> Workflow<DeliveryRecord> {
        Workflow(.write, .run(WebhookStatements.delivery(id: id, tenant: nil, lock: true)) { found throws(GatewayError) in
            guard let held = found.deliveries.first, held.claimToken == claimToken else { throw claimLost(id) }
            return .run(WebhookStatements.endpoint(tenant: held.tenant, id: held.endpointId, lock: true)) { endpoints throws(GatewayError) in
                var delivery = held
                var numbered = attempt
                numbered.attempt = delivery.attempts.addingReportingOverflow(1).overflow ? Int.max : delivery.attempts + 1
                delivery.attempts = numbered.attempt
                delivery.lastStatusCode = attempt.statusCode
                delivery.lastError = succeeded ? nil : attempt.error ?? attempt.statusCode.map { "HTTP \($0)" }
                delivery.claimToken = nil
                delivery.updatedAt = now
                switch finish {
                case .delivered: delivery.status = .delivered
                case .retry(let at):
                    delivery.status = .failed
                    delivery.nextAttemptAt = at
                case .exhausted: delivery.status = .exhausted
                }
                var writes = [
                    WebhookStatements.finish(id: id, token: claimToken, status: delivery.status, attempts: delivery.attempts,
                                             nextAttemptAt: delivery.nextAttemptAt, error: delivery.lastError, statusCode: delivery.lastStatusCode, now: now),
                    WebhookStatements.insertAttempt(deliveryId: id, endpointId: delivery.endpointId, numbered, succeeded: succeeded),
                ]
                if let endpoint = endpoints.endpoints.first, let change = circuit(endpoint.circuit) {
                    writes.append(WebhookStatements.updateCircuit(endpointId: endpoint.id, change.circuit, now: now))
                    if let reason = change.disableReason, endpoint.enabled {
                        writes.append(WebhookStatements.disableEndpoint(endpointId: endpoint.id, reason: reason, now: now))
                        writes.append(WebhookStatements.hold(endpointId: endpoint.id, now: now))
                    }
                }
                let finished = delivery
                return .run(writes) { results throws(GatewayError) in
                    guard try results.result(0).changes == 1 else { throw claimLost(id) }
                    return .done(finished)
                }
            }
        })
    }

    static func deliveries(tenant: String, filter: DeliveryFilter, limit: Int) -> Workflow<[DeliveryRecord]> {
        Workflow(.read, .run(WebhookStatements.list(tenant: tenant, filter: filter, limit: limit)) { rows throws(GatewayError) in .done(rows.deliveries) })
    }

    /// One delivery with its attempts.
    static func delivery(tenant: String, id: String) -> Workflow<DeliveryRecord?> {
        Workflow(.snapshot, .run([WebhookStatements.delivery(id: id, tenant: tenant, lock: false), WebhookStatements.attempts(deliveryId: id)]) {
            results throws(GatewayError) in
            guard var delivery = try results.result(0).deliveries.first else { return .done(nil) }
            delivery.attemptLog = try results.result(1).attempts
            return .done(delivery)
        })
    }

    /// The endpoint's exhausted deliveries created in `[since, until)` back to pending; how many.
    static func recover(tenant: String, endpointId: String, since: Timestamp, until: Timestamp, now: Timestamp) -> Workflow<Int> {
        Workflow(.write, .run(WebhookStatements.endpoint(tenant: tenant, id: endpointId)) { found throws(GatewayError) in
            guard !found.endpoints.isEmpty else { throw endpointNotFound(endpointId) }
            return .run(WebhookStatements.recover(endpointId: endpointId, since: since, until: until, now: now)) { updated throws(GatewayError) in
                .done(updated.changes)
            }
        })
    }

    /// Counts by status and the attempts since `since`.
    static func activity(tenant: String, endpointId: String, since: Timestamp) -> Workflow<EndpointActivity> {
        Workflow(.snapshot, .run(WebhookStatements.endpoint(tenant: tenant, id: endpointId)) { found throws(GatewayError) in
            guard !found.endpoints.isEmpty else { throw endpointNotFound(endpointId) }
            return .run([WebhookStatements.countsByStatus(endpointId: endpointId), WebhookStatements.attemptSamples(endpointId: endpointId, since: since)]) {
                results throws(GatewayError) in
                var counts: [DeliveryStatus: Int] = [:]
                for (status, count) in try results.result(0).statusCounts {
                    if let status = DeliveryStatus(rawValue: status) { counts[status] = Int(truncatingIfNeeded: count) }
                }
                return .done(EndpointActivity(countsByStatus: counts, attempts: try results.result(1).attemptSamples))
            }
        })
    }

    /// Deliveries by status and endpoints by circuit state, from one snapshot.
    static func counts() -> Workflow<NotificationCounts> {
        Workflow(.snapshot, .run([WebhookStatements.countsByStatusAll, WebhookStatements.circuitCounts]) { results throws(GatewayError) in
            var counts = NotificationCounts()
            for (status, count) in try results.result(0).statusCounts {
                if let status = DeliveryStatus(rawValue: status) { counts.deliveries[status] = Int(truncatingIfNeeded: count) }
            }
            for (state, count) in try results.result(1).statusCounts { counts.circuits[state] = Int(truncatingIfNeeded: count) }
            return .done(counts)
        })
    }

    static func purgeDelivered(before: Timestamp) -> Workflow<Int> {
        Workflow(.write, .run(WebhookStatements.purgeDelivered(before: before)) { deleted throws(GatewayError) in .done(deleted.changes) })
    }

    /// `msg_` and 96 random bits: the delivery's id and its `webhook-id`.
    static func newDeliveryId() -> String { "msg_" + RandomToken.hex(bytes: 12) }

    private static func endpointNotFound(_ id: String) -> GatewayError { .notFound("Webhook endpoint '\(id)' not found") }

    private static func claimLost(_ id: String) -> GatewayError {
        .conflict("Delivery '\(id)' is no longer held by this claim (its lease ran out and it was claimed again, or the attempt was already recorded)")
    }
}
