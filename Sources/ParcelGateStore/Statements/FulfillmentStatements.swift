import ParcelGateCore

/// The statements on `fulfillments`, `tracking_events`, `domain_events` and `receipts`: the only place that
/// knows their columns.
enum FulfillmentStatements {
    /// What ``RowDecoder/fulfillment(tenant:)`` reads.
    static let fulfillmentColumns = "id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence, shipped_at"

    /// Dedupe: inserts the callback's receipt; no change means it was already stored.
    static func insertReceipt(tenant: String, carrier: String, key: String, at: Timestamp) -> Statement {
        Statement("INSERT INTO receipts (tenant, carrier, receipt_key, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  [.text(tenant), .text(carrier), .text(key), .timestamp(at)], yield: .changes)
    }

    /// Creates a fulfillment in `PENDING`; no change means the id is taken.
    static func insert(_ new: NewFulfillment) -> Statement {
        Statement("""
            INSERT INTO fulfillments (tenant, id, order_id, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [.text(new.tenant), .text(new.id), .text(new.orderId), .text(FulfillmentStatus.pending.rawValue), .timestamp(new.createdAt), .timestamp(new.createdAt)],
            yield: .changes)
    }

    /// One fulfillment without its history. `lock` takes its row lock until the transaction ends, where the
    /// backend has row locks (PostgreSQL); SQLite's single writer already serialises every write.
    static func find(tenant: String, id: String, lock: Bool = false) -> Statement {
        Statement(
            sqlite: .literal("""
                SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence, shipped_at
                FROM fulfillments WHERE tenant = ? AND id = ?
                """),
            postgres: lock
                ? .literal("""
                    SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence, shipped_at
                    FROM fulfillments WHERE tenant = ? AND id = ? FOR UPDATE
                    """)
                : .literal("""
                    SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence, shipped_at
                    FROM fulfillments WHERE tenant = ? AND id = ?
                    """),
            [.text(tenant), .text(id)], yield: .rows(.fulfillment(tenant: tenant)))
    }

    /// The fulfillment each tracking number names (README, "HTTP contract"): the one shipped with the source's
    /// carrier first, then the newest; at most one row per number, read in one statement for a callback or a
    /// whole commit group. It runs for every callback, so it returns the rows themselves.
    static func findByTrackingNumbers(tenant: String, trackingNumbers: [String], carrier: String) -> Statement {
        // The index is named on SQLite: without statistics it may prefer walking the primary key.
        Statement(sqlite: .built(rankedByTrackingNumber(carrier: "?", """
                      FROM fulfillments INDEXED BY fulfillments_by_tracking
                      WHERE tenant = ? AND tracking_number IN (\(Statement.placeholders(trackingNumbers.count)))
                      """)),
                  [.text(carrier), .text(tenant)] + trackingNumbers.map { .text($0) },
                  postgres: Prepared.FindByTrackingNumbers.self, [.text(carrier), .text(tenant), .textArray(trackingNumbers)],
                  yield: .rows(.fulfillment(tenant: tenant)))
    }

    /// One row per tracking number of the fulfillments `rows` (a `FROM ... WHERE ...`) reads, by the preference above.
    private static func rankedByTrackingNumber(carrier: String, _ rows: String) -> String {
        """
        SELECT \(fulfillmentColumns) FROM (
            SELECT \(fulfillmentColumns), ROW_NUMBER() OVER (
                PARTITION BY tracking_number ORDER BY (lower(coalesce(carrier, '')) = lower(\(carrier))) DESC, created_at DESC, id) AS preference
            \(rows)
        ) AS ranked WHERE preference = 1
        """
    }

    /// Several fulfillments of a tenant by id; `lock` takes their row locks in id order where the backend has
    /// row locks, so two transactions locking overlapping sets cannot deadlock. The order is by bytes (Swift's
    /// `sorted()`: PostgreSQL locks the array's ids one by one in that order), whatever collation the database
    /// was created with.
    static func findMany(tenant: String, ids: [String], lock: Bool = false) -> Statement {
        Statement(sqlite: .built("SELECT \(fulfillmentColumns) FROM fulfillments WHERE tenant = ? AND id IN (\(Statement.placeholders(ids.count))) ORDER BY id"),
                  [.text(tenant)] + ids.map { .text($0) },
                  postgres: lock ? Prepared.LockFulfillments.self : Prepared.FindFulfillments.self, [.text(tenant), .textArray(ids.sorted())],
                  yield: .rows(.fulfillment(tenant: tenant)))
    }

    /// The fulfillments `filter` selects, oldest first (each filter's column has an index with the tenant).
    static func list(tenant: String, filter: FulfillmentFilter) -> Statement {
        Statement(built: "SELECT \(fulfillmentColumns) FROM fulfillments WHERE tenant = ? AND \(filter.column) = ? ORDER BY created_at, id",
                  [.text(tenant), .text(filter.value)], yield: .rows(.fulfillment(tenant: tenant)))
    }

    /// One fulfillment's tracking history, in event-time order.
    static func history(tenant: String, id: String) -> Statement {
        Statement("""
            SELECT fulfillment_id, id, status, fulfillment_status, carrier_status_code, description,
                   location_city, location_region, location_postal_code, location_country_code, location_text,
                   occurred_at, received_at, applied
            FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? ORDER BY occurred_at, id
            """, [.text(tenant), .text(id)], yield: .rows(.historyEntry))
    }

    /// The histories of every fulfillment `filter` selects, in one statement.
    static func histories(tenant: String, filter: FulfillmentFilter) -> Statement {
        Statement(built: """
            SELECT e.fulfillment_id, e.id, e.status, e.fulfillment_status, e.carrier_status_code, e.description,
                   e.location_city, e.location_region, e.location_postal_code, e.location_country_code, e.location_text,
                   e.occurred_at, e.received_at, e.applied
            FROM tracking_events e JOIN fulfillments f ON f.tenant = e.tenant AND f.id = e.fulfillment_id
            WHERE f.tenant = ? AND f.\(filter.column) = ? ORDER BY e.occurred_at, e.id
            """, [.text(tenant), .text(filter.value)], yield: .rows(.historyEntry))
    }

    /// Writes everything a platform command can change.
    static func update(_ f: Fulfillment) -> Statement {
        Statement("""
            UPDATE fulfillments SET status = ?, carrier = ?, tracking_number = ?, service_level = ?, actual_delivery = ?,
                latest_event_at = ?, updated_at = ?, event_sequence = ?, shipped_at = ? WHERE tenant = ? AND id = ?
            """,
            [.text(f.status.rawValue), .optional(f.carrier), .optional(f.trackingNumber), .optional(f.serviceLevel), .timestamp(f.actualDelivery),
             .timestamp(f.latestEventAt), .timestamp(f.updatedAt), .integer(f.eventSequence), .timestamp(f.shippedAt), .text(f.tenant), .text(f.id)])
    }

    /// Writes what a carrier callback can change: status and timestamps, never the shipment's carrier or
    /// tracking number (``LedgerPlannerTests`` pins that a plan changes nothing else). Leaving those out of the
    /// SET list keeps SQLite from rewriting the tracking-number index entry on every callback.
    static func updateProgress(_ f: Fulfillment) -> Statement {
        Statement("""
            UPDATE fulfillments SET status = ?, actual_delivery = ?, latest_event_at = ?, updated_at = ?, event_sequence = ?
            WHERE tenant = ? AND id = ?
            """,
            [.text(f.status.rawValue), .timestamp(f.actualDelivery), .timestamp(f.latestEventAt), .timestamp(f.updatedAt),
             .integer(f.eventSequence), .text(f.tenant), .text(f.id)])
    }

    /// ``updateProgress(_:)`` for many fulfillments in one statement (a commit group's writes), in the order given.
    /// The casts type the `VALUES` columns, which PostgreSQL cannot infer from a column of NULLs.
    static func updateProgress(_ fulfillments: [Fulfillment]) -> [Statement] {
        let row = "(?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?)"
        let perStatement = Statement.mergedBindLimit / 7
        return stride(from: 0, to: fulfillments.count, by: perStatement).map { start in
            let chunk = fulfillments[start..<min(start + perStatement, fulfillments.count)]
            return Statement(built: """
                UPDATE fulfillments SET status = v.column1, actual_delivery = v.column2, latest_event_at = v.column3, updated_at = v.column4,
                    event_sequence = v.column5
                FROM (VALUES \(Array(repeating: row, count: chunk.count).joined(separator: ", "))) AS v
                WHERE fulfillments.tenant = v.column6 AND fulfillments.id = v.column7
                """,
                // The single-row statement's bindings, in its order (SET columns, then tenant and id): one place.
                chunk.flatMap { updateProgress($0).binds })
        }
    }

    /// Which of `scanKeys` the fulfillment already holds, as `fulfillment_id, scan_key` rows.
    static func knownScans(tenant: String, fulfillmentId: String, scanKeys: [String]) -> Statement {
        Statement(built: """
            SELECT fulfillment_id, scan_key FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? AND scan_key IN (\(Statement.placeholders(scanKeys.count)))
            """, [.text(tenant), .text(fulfillmentId)] + scanKeys.map { .text($0) }, yield: .rows(.texts(2)))
    }

    /// The refused events of each of the fulfillments, oldest first, keyed by fulfillment id (a commit group's read).
    static func refusedEvents(tenant: String, fulfillmentIds: [String]) -> Statement {
        Statement(sqlite: .built("""
                      SELECT fulfillment_id, \(refusedEventColumns)
                      FROM tracking_events WHERE tenant = ? AND fulfillment_id IN (\(Statement.placeholders(fulfillmentIds.count))) AND outcome = 'refused'
                      ORDER BY fulfillment_id, occurred_at, id
                      """),
                  [.text(tenant)] + fulfillmentIds.map { .text($0) },
                  postgres: Prepared.RefusedEvents.self, [.text(tenant), .textArray(fulfillmentIds)], yield: .rows(.keyed(.refusedEvent)))
    }

    /// What ``RowDecoder/refusedEvent`` reads (after the key, for a group's read).
    static let refusedEventColumns = "id, status, occurred_at, description, location_city, location_region, location_postal_code, location_country_code, location_text"

    /// Which of each fulfillment's scan keys it already holds, as `fulfillment_id, scan_key` rows: a commit
    /// group's read, `scans` in fulfillment order. SQLite runs the lone statement once per fulfillment,
    /// joined by `UNION ALL`; PostgreSQL probes the unique key once per (fulfillment, key) pair, a nested loop
    /// whatever its statistics say (`LATERAL` with `OFFSET 0`, which it may not flatten into a join).
    static func knownScans(tenant: String, scans: [(fulfillmentId: String, scanKeys: [String])]) -> Statement {
        let arms = scans.map { knownScans(tenant: tenant, fulfillmentId: $0.fulfillmentId, scanKeys: $0.scanKeys) }
        let pairs = scans.flatMap { scan in scan.scanKeys.map { (scan.fulfillmentId, $0) } }
        return Statement(sqlite: .built(arms.map(\.sqlite.string).joined(separator: " UNION ALL ")), arms.flatMap(\.binds),
                         postgres: Prepared.KnownScans.self, [.text(tenant), .textArray(pairs.map(\.0)), .textArray(pairs.map(\.1))],
                         yield: .rows(.texts(2)))
    }

    /// PostgreSQL's fixed texts for the reads whose other dialect takes a list (``PreparedSQL``).
    ///
    /// Each probes its index once per array element: the array is `unnest`ed and joined `LATERAL` to a
    /// subquery that `OFFSET 0` keeps PostgreSQL from flattening, so the plan is a nested loop of index
    /// lookups whatever the statistics say. With `= ANY($2)` instead, the cached generic plan of a table
    /// grown since its last `ANALYZE` read the tenant's every row and filtered (500 rows for 32 ids here,
    /// and a big tenant's whole table).
    enum Prepared {
        /// `FROM` each element of the array `$n` (named `column`), `select`'s rows for it (`f`); `lock` takes
        /// their row locks as each is read.
        static func probe(_ array: String, as column: String, _ select: String, lock: Bool = false) -> String {
            "FROM unnest(\(array)::text[]) AS v (\(column)) CROSS JOIN LATERAL (\(select) OFFSET 0\(lock ? " FOR UPDATE" : "")) AS f"
        }

        enum FindFulfillments: PreparedSQL {
            static let name = "parcelgate_find_fulfillments"
            static let sql = "SELECT f.* " + probe("$2", as: "id", "SELECT \(fulfillmentColumns) FROM fulfillments WHERE tenant = $1 AND id = v.id")
        }

        /// Locked one by one in the array's order: the ids in byte order (``findMany(tenant:ids:lock:)`` sorts
        /// them), the order a lone callback and a commit group both lock in.
        enum LockFulfillments: PreparedSQL {
            static let name = "parcelgate_lock_fulfillments"
            static let sql = "SELECT f.* " + probe("$2", as: "id", "SELECT \(fulfillmentColumns) FROM fulfillments WHERE tenant = $1 AND id = v.id", lock: true)
        }

        enum FindByTrackingNumbers: PreparedSQL {
            static let name = "parcelgate_find_by_tracking_numbers"
            static let sql = rankedByTrackingNumber(
                carrier: "$1", probe("$3", as: "number", "SELECT \(fulfillmentColumns) FROM fulfillments WHERE tenant = $2 AND tracking_number = v.number"))
        }

        /// Each fulfillment's oldest first, said in the outer `ORDER BY` (the array's position, then time), not
        /// left to the nested loop's order.
        enum RefusedEvents: PreparedSQL {
            static let name = "parcelgate_refused_events"
            static let sql = """
                SELECT f.* FROM unnest($2::text[]) WITH ORDINALITY AS v (id, position) CROSS JOIN LATERAL (
                    SELECT fulfillment_id, \(refusedEventColumns)
                    FROM tracking_events WHERE tenant = $1 AND fulfillment_id = v.id AND outcome = 'refused' OFFSET 0
                ) AS f
                ORDER BY v.position, f.occurred_at, f.id
                """
        }

        enum KnownScans: PreparedSQL {
            static let name = "parcelgate_known_scans"
            static let sql = """
                SELECT f.fulfillment_id, f.scan_key FROM unnest($2::text[], $3::text[]) AS v (id, scan_key) CROSS JOIN LATERAL (
                    SELECT fulfillment_id, scan_key FROM tracking_events WHERE tenant = $1 AND fulfillment_id = v.id AND scan_key = v.scan_key OFFSET 0
                ) AS f
                """
        }
    }

    /// The fulfillment's refused events, oldest first.
    static func refusedEvents(tenant: String, fulfillmentId: String) -> Statement {
        Statement("""
            SELECT id, status, occurred_at, description,
                   location_city, location_region, location_postal_code, location_country_code, location_text
            FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? AND outcome = 'refused' ORDER BY occurred_at, id
            """, [.text(tenant), .text(fulfillmentId)], yield: .rows(.refusedEvent))
    }

    /// Inserts a history row. A scan another replica stored first is skipped by the unique key.
    static func insertEvent(tenant: String, fulfillmentId: String, _ e: HistoryInsert) -> Statement {
        Statement("""
            INSERT INTO tracking_events (tenant, fulfillment_id, scan_key, carrier, status, fulfillment_status, carrier_status_code,
                description, location_city, location_region, location_postal_code, location_country_code, location_text,
                occurred_at, received_at, applied, outcome)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, fulfillment_id, scan_key) DO NOTHING
            """,
            [.text(tenant), .text(fulfillmentId), .text(e.scanKey), .optional(e.carrier), .text(e.status.rawValue),
             .text(e.fulfillmentStatus.rawValue), .optional(e.carrierStatusCode), .text(e.description),
             .optional(e.location?.city), .optional(e.location?.region), .optional(e.location?.postalCode),
             .optional(e.location?.countryCode), .optional(e.location?.text),
             .timestamp(e.occurredAt), .timestamp(e.receivedAt), .bool(e.applied), .text(e.outcome.rawValue)])
    }

    /// Marks a reconsidered refused event as applied.
    static func markApplied(rowId: Int64, fulfillmentStatus: FulfillmentStatus) -> Statement {
        Statement("UPDATE tracking_events SET applied = ?, outcome = ?, fulfillment_status = ? WHERE id = ?",
                  [.bool(true), .text(EventOutcome.applied.rawValue), .text(fulfillmentStatus.rawValue), .integer(rowId)])
    }

    /// Records a domain event in the outbox: undispatched (the notification dispatcher fans it out) when the
    /// tenant has a webhook endpoint, else dispatched at once, so a tenant without endpoints costs the
    /// dispatcher nothing. Decided in the same statement, so it agrees with the endpoints this transaction sees.
    /// `traceParent`: the W3C trace context of the request that caused it (migration 11), `nil` untraced.
    ///
    /// The row is a `VALUES` list selected from, and the endpoint check is written once, outside it: merged into
    /// a commit group's multi-row insert (``Statement/coalesced(_:)``), the tuple repeats and the check does
    /// not. Inside the tuple, PostgreSQL planned one subquery per row: 0.25 ms of planning for a group of 32.
    static func insertDomainEvent(_ d: LedgerPlan.DomainEvent, recordedAt: Timestamp, traceParent: String? = nil) -> Statement {
        Statement("""
            INSERT INTO domain_events (tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, occurred_at, recorded_at,
                                       order_id, sequence, reason, location, tracking_number, scan_code, scan_description, dispatched, trace_parent)
            SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10,
                   v.column11, v.column12, v.column13, v.column14, v.column15, v.column16, v.column17,
                   NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant = v.column1), v.column18
            FROM (VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) AS v
            """,
            [.text(d.fulfillment.tenant), .text(d.fulfillment.id), .text(d.type.rawValue), .text(d.from.rawValue),
             .text(d.fulfillment.status.rawValue), .optional(d.trackingStatus?.rawValue), .optional(d.fulfillment.carrier),
             .optional(d.fulfillment.serviceLevel), .timestamp(d.occurredAt), .timestamp(recordedAt),
             .text(d.fulfillment.orderId), .integer(d.sequence), .optional(d.reason), .optional(d.location?.summary),
             .optional(d.fulfillment.trackingNumber), .optional(d.scanCode), .optional(d.scanDescription), .optional(traceParent)])
    }
}
