import ParcelGateCore

/// The statements on `webhook_endpoints`, `webhook_deliveries`, `webhook_attempts` and the outbox columns of
/// `domain_events`: the only place that knows their columns.
enum WebhookStatements {
    /// What ``RowDecoder/endpoint`` reads, in order.
    static let endpointColumns = """
        id, tenant, url, description, event_types, enabled, disabled_reason, secret, secret_encrypted, previous_secret, previous_encrypted,
        previous_expires_at, retry_policy, rate_per_second, circuit_state, consecutive_failures, circuit_opened_at, circuit_open_until,
        first_failure_at, created_at, updated_at, rate_tokens, rate_updated_at
        """
    /// What ``RowDecoder/delivery`` reads, in order.
    static let deliveryColumns = """
        id, tenant, endpoint_id, event_id, event_type, fulfillment_id, sequence, payload, status, attempts, next_attempt_at, last_error,
        last_status_code, claim_token, created_at, updated_at, trace_parent
        """
    private static var qualifiedDeliveryColumns: String {
        deliveryColumns.split(separator: ",").map { "d." + $0.trimmingWhitespace() }.joined(separator: ", ")
    }

    // MARK: Endpoints

    static func insertEndpoint(_ e: EndpointRecord) -> Statement {
        Statement(built: "INSERT INTO webhook_endpoints (\(endpointColumns)) VALUES (\(Statement.placeholders(23)))", endpointValues(e))
    }

    private static func endpointValues(_ e: EndpointRecord) -> [SQLValue] {
        [.text(e.id), .text(e.tenant), .text(e.url), .optional(e.description), .text(e.eventTypes.joined(separator: ",")), .bool(e.enabled),
         .optional(e.disabledReason), .blob(e.secret.bytes), .bool(e.secret.encrypted), e.previousSecret.map { .blob($0.bytes) } ?? .null,
         e.previousSecret.map { .bool($0.encrypted) } ?? .null, .timestamp(e.previousExpiresAt), .optional(e.retryPolicyJSON),
         .optional(e.ratePerSecond), .text(e.circuit.state), .int(e.circuit.consecutiveFailures), .timestamp(e.circuit.openedAt),
         .timestamp(e.circuit.openUntil), .timestamp(e.circuit.firstFailureAt), .timestamp(e.createdAt), .timestamp(e.updatedAt),
         .optional(e.rateTokens), .timestamp(e.rateUpdatedAt)]
    }

    /// Everything but the id, tenant and creation time.
    static func updateEndpoint(_ e: EndpointRecord) -> Statement {
        Statement("""
            UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, enabled = ?, disabled_reason = ?, secret = ?, secret_encrypted = ?,
                previous_secret = ?, previous_encrypted = ?, previous_expires_at = ?, retry_policy = ?, rate_per_second = ?, circuit_state = ?,
                consecutive_failures = ?, circuit_opened_at = ?, circuit_open_until = ?, first_failure_at = ?, updated_at = ?
            WHERE tenant = ? AND id = ?
            """, Array(endpointValues(e)[2...18]) + [.timestamp(e.updatedAt), .text(e.tenant), .text(e.id)], yield: .changes)
    }

    /// One endpoint of the tenant; `lock` holds its row until the transaction ends (PostgreSQL).
    static func endpoint(tenant: String, id: String, lock: Bool = false) -> Statement {
        let sql = "SELECT \(endpointColumns) FROM webhook_endpoints WHERE tenant = ? AND id = ?"
        return Statement(sqlite: .built(sql), postgres: .built(lock ? sql + " FOR UPDATE" : sql), [.text(tenant), .text(id)], yield: .rows(.endpoint))
    }

    static func endpoints(tenant: String) -> Statement {
        Statement(built: "SELECT \(endpointColumns) FROM webhook_endpoints WHERE tenant = ? ORDER BY created_at, id", [.text(tenant)], yield: .rows(.endpoint))
    }

    /// Every endpoint of these tenants (a fan-out's targets).
    static func endpoints(tenants: [String]) -> Statement {
        Statement(built: "SELECT \(endpointColumns) FROM webhook_endpoints WHERE tenant IN (\(Statement.placeholders(tenants.count))) ORDER BY created_at, id",
                  tenants.map { .text($0) }, yield: .rows(.endpoint))
    }

    /// These endpoints, locked in id order where rows are locked (the claim's admission decides on them).
    static func endpoints(ids: [String]) -> Statement {
        let sql = "SELECT \(endpointColumns) FROM webhook_endpoints WHERE id IN (\(Statement.placeholders(ids.count))) ORDER BY id"
        return Statement(sqlite: .built(sql), postgres: .built(sql + " FOR UPDATE"), ids.map { .text($0) }, yield: .rows(.endpoint))
    }

    static func deleteEndpoint(tenant: String, id: String) -> Statement {
        Statement("DELETE FROM webhook_endpoints WHERE tenant = ? AND id = ?", [.text(tenant), .text(id)], yield: .changes)
    }

    static func updateCircuit(endpointId: String, _ circuit: CircuitRecord, now: Timestamp) -> Statement {
        Statement("""
            UPDATE webhook_endpoints SET circuit_state = ?, consecutive_failures = ?, circuit_opened_at = ?, circuit_open_until = ?, first_failure_at = ?,
                updated_at = ? WHERE id = ?
            """, [.text(circuit.state), .int(circuit.consecutiveFailures), .timestamp(circuit.openedAt), .timestamp(circuit.openUntil),
                  .timestamp(circuit.firstFailureAt), .timestamp(now), .text(endpointId)])
    }

    /// The rate limit's bucket after a claim spent from it.
    static func updateRate(endpointId: String, tokens: Double, at now: Timestamp) -> Statement {
        Statement("UPDATE webhook_endpoints SET rate_tokens = ?, rate_updated_at = ? WHERE id = ?", [.real(tokens), .timestamp(now), .text(endpointId)])
    }

    static func disableEndpoint(endpointId: String, reason: String, now: Timestamp) -> Statement {
        Statement("UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?",
                  [.bool(false), .text(reason), .timestamp(now), .text(endpointId)])
    }

    // MARK: Held deliveries

    /// A disabled endpoint's waiting deliveries are held, in order; an attempt in flight loses its claim.
    static func hold(endpointId: String, now: Timestamp) -> Statement {
        Statement("""
            UPDATE webhook_deliveries SET status = 'held', claim_token = NULL, updated_at = ?
            WHERE endpoint_id = ? AND status IN ('pending', 'failed')
            """, [.timestamp(now), .text(endpointId)])
    }

    /// Enabled again: its held deliveries are due now (the chain order still applies).
    static func release(endpointId: String, now: Timestamp) -> Statement {
        Statement("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE endpoint_id = ? AND status = 'held'",
                  [.timestamp(now), .timestamp(now), .text(endpointId)])
    }

    // MARK: The outbox

    /// Domain events not yet fanned out, oldest first. PostgreSQL skips rows another replica is fanning out.
    ///
    /// Through `domain_events_outbox` (migration 12), a partial index in id order: without it both planners
    /// walked the primary key past every dispatched event to skip a sort, and the dispatcher polls every
    /// second, so an idle gateway read every domain event it ever recorded once a second (30 MB/s of reads on
    /// a 350 MB SQLite file). SQLite is told the index by name (`INDEXED BY` fails the statement rather than
    /// scan); `QueryPlanTests` reads both plans.
    static func undispatched(limit: Int) -> Statement {
        Statement(
            sqlite: .literal("""
                SELECT id, tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, tracking_number, order_id,
                       sequence, reason, location, retry_id, occurred_at, recorded_at, retry_reason, retry_attempts, scan_code, scan_description,
                       trace_parent
                FROM domain_events INDEXED BY domain_events_outbox WHERE dispatched = 0 ORDER BY id LIMIT ?
                """),
            postgres: .literal("""
                SELECT id, tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, tracking_number, order_id,
                       sequence, reason, location, retry_id, occurred_at, recorded_at, retry_reason, retry_attempts, scan_code, scan_description,
                       trace_parent
                FROM domain_events WHERE NOT dispatched ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED
                """),
            [.int(limit)], yield: .rows(.outboxEvent))
    }

    static func markDispatched(ids: [Int64]) -> Statement {
        Statement(built: "UPDATE domain_events SET dispatched = ? WHERE id IN (\(Statement.placeholders(ids.count)))",
                  [.bool(true)] + ids.map { .integer($0) })
    }

    /// An inbound callback became a dead letter: an outbox row the platform is told of (`retry.exhausted`), with
    /// its last error (`reason`), why it was queued and how many attempts it had.
    static func recordDeadLetter(_ entry: RetryEntry, reason: String, at now: Timestamp) -> Statement {
        Statement("""
            INSERT INTO domain_events (tenant, fulfillment_id, type, from_status, to_status, carrier, occurred_at, recorded_at, sequence, reason,
                                       tracking_number, retry_id, retry_reason, retry_attempts, dispatched, trace_parent)
            VALUES (?, '', 'retry.exhausted', '', '', ?, ?, ?, 0, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE tenant = ?), ?)
            """, [.text(entry.tenant), .text(entry.carrier), .timestamp(now), .timestamp(now), .text(reason), .optional(entry.matchKey),
                  .text(entry.id), .text(entry.reason.rawValue), .int(entry.attempts), .text(entry.tenant), .optional(entry.traceParent)])
    }

    // MARK: Deliveries

    /// A notification for one endpoint. A second insert of the same event for the same endpoint adds nothing.
    static func insertDelivery(id: String, tenant: String, endpointId: String, _ n: NewNotification, status: DeliveryStatus, now: Timestamp) -> Statement {
        let chain = DeliveryChain(n, deliveryId: id)
        return Statement("""
            INSERT INTO webhook_deliveries (id, tenant, endpoint_id, source_key, event_id, event_type, fulfillment_id, sequence, order_key, ordinal,
                                            payload, status, attempts, next_attempt_at, created_at, updated_at, trace_parent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
            ON CONFLICT (endpoint_id, source_key) DO NOTHING
            """, [.text(id), .text(tenant), .text(endpointId), .text(n.sourceKey), .text(n.eventId), .text(n.eventType), .optional(n.fulfillmentId),
                  .optional(n.sequence), .text(chain.orderKey), .integer(chain.ordinal), .blob(n.payload), .text(status.rawValue),
                  .timestamp(now), .timestamp(now), .timestamp(now), .optional(n.traceParent)], yield: .changes)
    }

    /// Due deliveries that are the head of their chain: nothing earlier for the same endpoint and fulfillment
    /// is still waiting or in flight, and no earlier change of that fulfillment is still undispatched. Their
    /// endpoint is enabled and its circuit not open. At most `perEndpoint` per endpoint, taken round-robin
    /// across endpoints (every endpoint's first, then every endpoint's second...), so one endpoint's backlog
    /// never hides another's due deliveries. Read without locks: see ``lockCandidates(ids:now:)``.
    static func claimCandidates(now: Timestamp, perEndpoint: Int, limit: Int) -> Statement {
        let gate = """
            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= ?
              AND e.enabled = ? AND (e.circuit_state <> 'open' OR e.circuit_open_until <= ?)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key
                              AND p.ordinal < d.ordinal AND p.status IN ('pending', 'failed', 'held'))
            """
        func ranked(_ undispatched: String) -> String {
            """
            SELECT \(deliveryColumns) FROM (
                SELECT \(qualifiedDeliveryColumns),
                       ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.created_at, d.id) AS turn
                \(gate)
                  AND (d.sequence IS NULL OR NOT EXISTS (SELECT 1 FROM domain_events u WHERE u.tenant = d.tenant
                       AND u.fulfillment_id = d.fulfillment_id AND u.sequence < d.sequence AND \(undispatched)))
            ) ranked WHERE turn <= ? ORDER BY turn, next_attempt_at, created_at, id LIMIT ?
            """
        }
        return Statement(sqlite: .built(ranked("u.dispatched = 0")), postgres: .built(ranked("NOT u.dispatched")),
                         [.timestamp(now), .bool(true), .timestamp(now), .int(perEndpoint), .int(limit)], yield: .rows(.delivery))
    }

    /// Where rows are locked (PostgreSQL): the candidates still due, locked for this claim; rows another
    /// replica is claiming are skipped, not waited for, and one it has just claimed is no longer due.
    static func lockCandidates(ids: [String], now: Timestamp) -> Statement {
        Statement(built: """
            SELECT \(deliveryColumns) FROM webhook_deliveries
            WHERE id IN (\(Statement.placeholders(ids.count))) AND status IN ('pending', 'failed') AND next_attempt_at <= ?
            ORDER BY id FOR UPDATE SKIP LOCKED
            """, ids.map { .text($0) } + [.timestamp(now)], yield: .rows(.delivery))
    }

    /// Attempts under a live claim, per endpoint (`endpoint_id, count`).
    static func inFlight(endpointIds: [String], now: Timestamp) -> Statement {
        Statement(built: """
            SELECT endpoint_id, count(*) FROM webhook_deliveries
            WHERE endpoint_id IN (\(Statement.placeholders(endpointIds.count))) AND claim_token IS NOT NULL
              AND status IN ('pending', 'failed') AND next_attempt_at > ?
            GROUP BY endpoint_id
            """, endpointIds.map { .text($0) } + [.timestamp(now)], yield: .rows(.statusCount))
    }

    /// Stamps the chosen deliveries with a claim and pushes them to the lease's end (a vanished sender's
    /// deliveries come back by themselves).
    static func claim(ids: [String], token: String, leaseUntil: Timestamp, now: Timestamp) -> Statement {
        Statement(built: "UPDATE webhook_deliveries SET claim_token = ?, next_attempt_at = ?, updated_at = ? WHERE id IN (\(Statement.placeholders(ids.count)))",
                  [.text(token), .timestamp(leaseUntil), .timestamp(now)] + ids.map { .text($0) }, yield: .changes)
    }

    static func delivery(id: String, tenant: String?, lock: Bool) -> Statement {
        let sql = "SELECT \(deliveryColumns) FROM webhook_deliveries WHERE id = ? AND (CAST(? AS TEXT) IS NULL OR tenant = ?)"
        return Statement(sqlite: .built(sql), postgres: .built(lock ? sql + " FOR UPDATE" : sql),
                         [.text(id), .optional(tenant), .optional(tenant)], yield: .rows(.delivery))
    }

    static func attempts(deliveryId: String) -> Statement {
        Statement("""
            SELECT attempt, trigger, started_at, duration_ms, status_code, response_excerpt, error FROM webhook_attempts
            WHERE delivery_id = ? ORDER BY attempt
            """, [.text(deliveryId)], yield: .rows(.attempt))
    }

    /// Appends an attempt to the delivery's log, numbered after the last one (a recovered delivery's count
    /// starts again, its log does not).
    static func insertAttempt(deliveryId: String, endpointId: String, _ a: AttemptRecord, succeeded: Bool) -> Statement {
        Statement("""
            INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code, response_excerpt, error, succeeded, endpoint_id)
            VALUES (?, (SELECT coalesce(max(attempt), 0) + 1 FROM webhook_attempts WHERE delivery_id = ?), ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(deliveryId), .text(deliveryId), .text(a.trigger), .timestamp(a.startedAt), .integer(a.durationMilliseconds),
                  .optional(a.statusCode), .optional(a.responseExcerpt), .optional(a.error), .bool(succeeded), .text(endpointId)])
    }

    /// Records an attempt's end on the delivery, only while `token` still holds it; releases the claim.
    static func finish(id: String, token: String, status: DeliveryStatus, attempts: Int, nextAttemptAt: Timestamp, error: String?,
                       statusCode: Int?, now: Timestamp) -> Statement {
        Statement("""
            UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ?, claim_token = NULL,
                updated_at = ? WHERE id = ? AND claim_token = ?
            """, [.text(status.rawValue), .int(attempts), .timestamp(nextAttemptAt), .optional(error), .optional(statusCode), .timestamp(now),
                  .text(id), .text(token)], yield: .changes)
    }

    /// The tenant's deliveries, newest first.
    static func list(tenant: String, filter: DeliveryFilter, limit: Int) -> Statement {
        Statement(built: """
            SELECT \(deliveryColumns) FROM webhook_deliveries
            WHERE tenant = ? AND (CAST(? AS TEXT) IS NULL OR endpoint_id = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)
              AND (CAST(? AS TEXT) IS NULL OR fulfillment_id = ?)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, [.text(tenant), .optional(filter.endpointId), .optional(filter.endpointId), .optional(filter.status?.rawValue),
                  .optional(filter.status?.rawValue), .optional(filter.fulfillmentId), .optional(filter.fulfillmentId), .int(limit)],
            yield: .rows(.delivery))
    }

    /// An endpoint's exhausted deliveries created in `[since, until)` back to pending, due now, with a fresh count.
    static func recover(endpointId: String, since: Timestamp, until: Timestamp, now: Timestamp) -> Statement {
        Statement("""
            UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, claim_token = NULL, updated_at = ?
            WHERE endpoint_id = ? AND status = 'exhausted' AND created_at >= ? AND created_at < ?
            """, [.timestamp(now), .timestamp(now), .text(endpointId), .timestamp(since), .timestamp(until)], yield: .changes)
    }

    static func countsByStatus(endpointId: String) -> Statement {
        Statement("SELECT status, count(*) FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY status", [.text(endpointId)], yield: .rows(.statusCount))
    }

    static func attemptSamples(endpointId: String, since: Timestamp) -> Statement {
        Statement("""
            SELECT started_at, duration_ms, succeeded FROM webhook_attempts WHERE endpoint_id = ? AND started_at >= ? ORDER BY started_at
            """, [.text(endpointId), .timestamp(since)], yield: .rows(.attemptSample))
    }

    /// Delivered deliveries last changed before `before`; their attempts go with them (`ON DELETE CASCADE`).
    /// `created_at < ?` adds no condition (a delivery is created before it changes) but lets the purge walk
    /// `webhook_deliveries_all` from the oldest instead of every delivery kept.
    static func purgeDelivered(before: Timestamp) -> Statement {
        Statement("DELETE FROM webhook_deliveries WHERE status = 'delivered' AND updated_at < ? AND created_at < ?", [.timestamp(before), .timestamp(before)],
                  yield: .changes)
    }

    /// Dead deliveries (exhausted) last changed before `before`, with their attempts (`ON DELETE CASCADE`).
    static func purgeExhausted(before: Timestamp) -> Statement {
        Statement("DELETE FROM webhook_deliveries WHERE status = 'exhausted' AND updated_at < ?", [.timestamp(before)], yield: .changes)
    }

    /// Attempts started before `before`, whatever became of their delivery (a held delivery's log stays bounded).
    static func purgeAttempts(before: Timestamp) -> Statement {
        Statement("DELETE FROM webhook_attempts WHERE started_at < ?", [.timestamp(before)], yield: .changes)
    }

    /// Every tenant's deliveries (or one tenant's), newest first, optionally of one status: the operator's view.
    static func listAll(tenant: String?, status: DeliveryStatus?, limit: Int) -> Statement {
        Statement(built: """
            SELECT \(deliveryColumns) FROM webhook_deliveries
            WHERE (CAST(? AS TEXT) IS NULL OR tenant = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, [.optional(tenant), .optional(tenant), .optional(status?.rawValue), .optional(status?.rawValue), .int(limit)], yield: .rows(.delivery))
    }

    /// The tenant's deliveries by status.
    static func countsByStatus(tenant: String) -> Statement {
        Statement("SELECT status, count(*) FROM webhook_deliveries WHERE tenant = ? GROUP BY status", [.text(tenant)], yield: .rows(.statusCount))
    }

    /// Every delivery by status, all tenants (for `/metrics`).
    static let countsByStatusAll = Statement("SELECT status, count(*) FROM webhook_deliveries GROUP BY status", yield: .rows(.statusCount))

    /// Endpoints by circuit state, a disabled one counted as `disabled` (for `/metrics`).
    static let circuitCounts = Statement(sqlite: .literal("""
            SELECT CASE WHEN enabled = 1 THEN circuit_state ELSE 'disabled' END AS state, count(*) FROM webhook_endpoints GROUP BY state
            """), postgres: .literal("""
            SELECT CASE WHEN enabled THEN circuit_state ELSE 'disabled' END AS state, count(*) FROM webhook_endpoints GROUP BY state
            """), yield: .rows(.statusCount))
}

/// Where a notification stands in its endpoint's order: a fulfillment's notifications form one chain, ordered
/// by sequence and then position; anything else (a ping, a dead letter) is a chain of its own.
struct DeliveryChain {
    var orderKey: String
    var ordinal: Int64

    init(_ n: NewNotification, deliveryId: String) {
        if let fulfillmentId = n.fulfillmentId, let sequence = n.sequence {
            orderKey = fulfillmentId
            // Two positions per sequence number; saturating, as every number from storage is combined.
            ordinal = sequence.multipliedReportingOverflow(by: 2).overflow ? .max : sequence &* 2 &+ Int64(n.position & 1)
        } else {
            orderKey = "msg:" + deliveryId
            ordinal = 0
        }
    }
}
