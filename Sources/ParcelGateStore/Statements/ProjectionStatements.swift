import ParcelGateCore

/// The statements on the read side's tables (`projection_*`, `ingest_counts`): the only place that knows their
/// columns. Upserts add a delta to one counter row; reads sum a tenant's rows per group, so they cost the
/// number of groups (statuses, carrier and service levels, buckets, days, minutes), never the fulfillments.
enum ProjectionStatements {
    // MARK: Incremental upserts (``ProjectionDeltas``)

    static func addStatus(tenant: String, status: String, shard: Int, delta: Int64) -> Statement {
        Statement("""
            INSERT INTO projection_status_counts (tenant, status, shard, count) VALUES (?, ?, ?, ?)
            ON CONFLICT (tenant, status, shard) DO UPDATE SET count = projection_status_counts.count + excluded.count
            """, [.text(tenant), .text(status), .int(shard), .integer(delta)])
    }

    static func addCarrier(tenant: String, carrier: String, serviceLevel: String, shard: Int, exceptions: Int64, deliveries: Int64) -> Statement {
        Statement("""
            INSERT INTO projection_carrier_counts (tenant, carrier, service_level, shard, exceptions, deliveries) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, carrier, service_level, shard) DO UPDATE SET
                exceptions = projection_carrier_counts.exceptions + excluded.exceptions,
                deliveries = projection_carrier_counts.deliveries + excluded.deliveries
            """, [.text(tenant), .text(carrier), .text(serviceLevel), .int(shard), .integer(exceptions), .integer(deliveries)])
    }

    static func addTransit(tenant: String, carrier: String, serviceLevel: String, bucket: Int, shard: Int, delta: Int64) -> Statement {
        Statement("""
            INSERT INTO projection_transit_buckets (tenant, carrier, service_level, bucket, shard, count) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, carrier, service_level, bucket, shard) DO UPDATE SET count = projection_transit_buckets.count + excluded.count
            """, [.text(tenant), .text(carrier), .text(serviceLevel), .int(bucket), .int(shard), .integer(delta)])
    }

    static func addDaily(tenant: String, day: Int64, shard: Int, shipments: Int64, deliveries: Int64, exceptions: Int64) -> Statement {
        Statement("""
            INSERT INTO projection_daily_counts (tenant, day, shard, shipments, deliveries, exceptions) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, day, shard) DO UPDATE SET
                shipments = projection_daily_counts.shipments + excluded.shipments,
                deliveries = projection_daily_counts.deliveries + excluded.deliveries,
                exceptions = projection_daily_counts.exceptions + excluded.exceptions
            """, [.text(tenant), .integer(day), .int(shard), .integer(shipments), .integer(deliveries), .integer(exceptions)])
    }

    // MARK: Reads

    static func statusCounts(tenant: String) -> Statement {
        Statement("""
            SELECT status, CAST(sum(count) AS BIGINT) FROM projection_status_counts WHERE tenant = ? GROUP BY status
            """, [.text(tenant)], yield: .rows(.statusCount))
    }

    static func carrierCounts(tenant: String) -> Statement {
        Statement("""
            SELECT carrier, service_level, CAST(sum(exceptions) AS BIGINT), CAST(sum(deliveries) AS BIGINT)
            FROM projection_carrier_counts WHERE tenant = ? GROUP BY carrier, service_level ORDER BY carrier, service_level
            """, [.text(tenant)], yield: .rows(.carrierCount))
    }

    static func transitBuckets(tenant: String) -> Statement {
        Statement("""
            SELECT carrier, service_level, bucket, CAST(sum(count) AS BIGINT)
            FROM projection_transit_buckets WHERE tenant = ? GROUP BY carrier, service_level, bucket
            """, [.text(tenant)], yield: .rows(.transitBucket))
    }

    static func daily(tenant: String, fromDay: Int64, toDay: Int64) -> Statement {
        Statement("""
            SELECT day, CAST(sum(shipments) AS BIGINT), CAST(sum(deliveries) AS BIGINT), CAST(sum(exceptions) AS BIGINT)
            FROM projection_daily_counts WHERE tenant = ? AND day >= ? AND day <= ? GROUP BY day ORDER BY day
            """, [.text(tenant), .integer(fromDay), .integer(toDay)], yield: .rows(.dailyCount))
    }

    // MARK: Ingest counts per minute

    static func addIngest(_ c: IngestCount) -> Statement {
        Statement("""
            INSERT INTO ingest_counts (tenant, minute, outcome, code, count) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant, minute, outcome, code) DO UPDATE SET count = ingest_counts.count + excluded.count
            """, [.text(c.tenant), .integer(c.minute), .text(c.outcome), .text(c.code), .integer(c.count)])
    }

    static func purgeIngest(beforeMinute: Int64) -> Statement {
        Statement("DELETE FROM ingest_counts WHERE minute < ?", [.integer(beforeMinute)], yield: .changes)
    }

    static func ingest(tenant: String, fromMinute: Int64) -> Statement {
        Statement("""
            SELECT tenant, minute, outcome, code, count FROM ingest_counts WHERE tenant = ? AND minute >= ? ORDER BY minute, outcome, code
            """, [.text(tenant), .integer(fromMinute)], yield: .rows(.ingestCount))
    }

    // MARK: Rebuild: the counters recomputed from the raw tables, one tenant per transaction, into shard 0

    /// Where rows are locked (PostgreSQL): holds every projection writer off until this rebuild commits, so a
    /// change committed meanwhile is either in the raw tables this rebuild reads or added after it, never both.
    static let lockForRebuild = Statement(
        "LOCK TABLE projection_status_counts, projection_carrier_counts, projection_transit_buckets, projection_daily_counts IN SHARE ROW EXCLUSIVE MODE")

    /// Every tenant with fulfillments or projection rows.
    static let tenants = Statement("""
        SELECT tenant FROM fulfillments GROUP BY tenant UNION SELECT tenant FROM projection_status_counts GROUP BY tenant ORDER BY 1
        """, yield: .rows(.text))

    static func clear(tenant: String) -> [Statement] {
        [
            Statement("DELETE FROM projection_status_counts WHERE tenant = ?", [.text(tenant)]),
            Statement("DELETE FROM projection_carrier_counts WHERE tenant = ?", [.text(tenant)]),
            Statement("DELETE FROM projection_transit_buckets WHERE tenant = ?", [.text(tenant)]),
            Statement("DELETE FROM projection_daily_counts WHERE tenant = ?", [.text(tenant)]),
        ]
    }

    /// The recount, as inserts from the raw tables; each yields the rows it wrote.
    static func recount(tenant: String) -> [Statement] {
        let transit = TransitHistogram.sqlCase("(actual_delivery - shipped_at)")
        let day = UTCDay.sql("occurred_at")
        return [
            Statement("""
                INSERT INTO projection_status_counts (tenant, status, shard, count)
                SELECT tenant, status, 0, count(*) FROM fulfillments WHERE tenant = ? GROUP BY tenant, status
                """, [.text(tenant)], yield: .changes),
            Statement("""
                INSERT INTO projection_carrier_counts (tenant, carrier, service_level, shard, exceptions, deliveries)
                SELECT tenant, coalesce(carrier, ''), coalesce(service_level, ''), 0,
                       sum(CASE WHEN type = 'DeliveryException' THEN 1 ELSE 0 END), sum(CASE WHEN type = 'DeliveryConfirmed' THEN 1 ELSE 0 END)
                FROM domain_events WHERE tenant = ? AND type IN ('DeliveryException', 'DeliveryConfirmed') GROUP BY 1, 2, 3
                """, [.text(tenant)], yield: .changes),
            Statement(built: """
                INSERT INTO projection_transit_buckets (tenant, carrier, service_level, bucket, shard, count)
                SELECT tenant, coalesce(carrier, ''), coalesce(service_level, ''), \(transit), 0, count(*)
                FROM fulfillments WHERE tenant = ? AND status = 'DELIVERED' AND shipped_at IS NOT NULL AND actual_delivery IS NOT NULL
                GROUP BY 1, 2, 3, 4
                """, [.text(tenant)], yield: .changes),
            Statement(built: """
                INSERT INTO projection_daily_counts (tenant, day, shard, shipments, deliveries, exceptions)
                SELECT tenant, \(day), 0,
                       sum(CASE WHEN type = 'FulfillmentStatusChanged' THEN 1 ELSE 0 END),
                       sum(CASE WHEN type = 'DeliveryConfirmed' THEN 1 ELSE 0 END),
                       sum(CASE WHEN type = 'DeliveryException' THEN 1 ELSE 0 END)
                FROM domain_events
                WHERE tenant = ? AND (type IN ('DeliveryException', 'DeliveryConfirmed')
                      OR (type = 'FulfillmentStatusChanged' AND to_status = 'SHIPPED' AND from_status <> 'SHIPPED'))
                GROUP BY 1, 2
                """, [.text(tenant)], yield: .changes),
        ]
    }

    static func fulfillmentCount(tenant: String) -> Statement {
        Statement("SELECT count(*) FROM fulfillments WHERE tenant = ?", [.text(tenant)], yield: .rows(.integer))
    }

    static let isStale = Statement("SELECT stale FROM projection_meta WHERE id = 1", yield: .rows(.integer))

    static func markRebuilt(at: Timestamp) -> Statement {
        Statement("UPDATE projection_meta SET stale = 0, rebuilt_at = ? WHERE id = 1", [.timestamp(at)])
    }
}
