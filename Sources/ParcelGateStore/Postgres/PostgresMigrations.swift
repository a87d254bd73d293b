import Logging
import ParcelGateCore
import PostgresNIO

/// PostgreSQL schema versions, applied at start-up under an advisory lock so replicas that start together
/// do not race. Append new versions; never edit one that has shipped.
enum PostgresMigrations {
    /// `pg_advisory_lock` key: "PGMG" in ASCII.
    static let lockKey: Int64 = 0x5047_4D47

    static let all: [(version: Int, sql: [PostgresQuery])] = [
        (1, [
            """
            CREATE TABLE fulfillments (
                tenant TEXT NOT NULL, id TEXT NOT NULL, order_id TEXT NOT NULL, status TEXT NOT NULL,
                carrier TEXT, tracking_number TEXT, service_level TEXT, actual_delivery BIGINT, latest_event_at BIGINT,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, id)
            )
            """,
            "CREATE INDEX fulfillments_by_tracking ON fulfillments (tenant, tracking_number)",
            """
            CREATE TABLE tracking_events (
                id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, fulfillment_id TEXT NOT NULL, scan_key TEXT NOT NULL,
                carrier TEXT, status TEXT NOT NULL, fulfillment_status TEXT NOT NULL, carrier_status_code TEXT, description TEXT NOT NULL,
                location_city TEXT, location_region TEXT, location_postal_code TEXT, location_country_code TEXT, location_text TEXT,
                occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, applied BOOLEAN NOT NULL, outcome TEXT NOT NULL,
                UNIQUE (tenant, fulfillment_id, scan_key)
            )
            """,
            "CREATE INDEX tracking_events_refused ON tracking_events (tenant, fulfillment_id, occurred_at) WHERE outcome = 'refused'",
            """
            CREATE TABLE domain_events (
                id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, fulfillment_id TEXT NOT NULL, type TEXT NOT NULL,
                from_status TEXT NOT NULL, to_status TEXT NOT NULL, tracking_status TEXT, carrier TEXT, service_level TEXT,
                occurred_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX domain_events_by_fulfillment ON domain_events (tenant, fulfillment_id)",
            """
            CREATE TABLE receipts (
                tenant TEXT NOT NULL, carrier TEXT NOT NULL, receipt_key TEXT NOT NULL, received_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, carrier, receipt_key)
            )
            """,
            """
            CREATE TABLE retry_entries (
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL, carrier TEXT NOT NULL, body BYTEA NOT NULL, headers TEXT NOT NULL,
                reason TEXT NOT NULL, receipt_key TEXT, match_key TEXT, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL,
                status TEXT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX retry_entries_due ON retry_entries (tenant, next_attempt_at) WHERE status = 'pending'",
            "CREATE INDEX retry_entries_by_tenant ON retry_entries (tenant, status, created_at)",
            "CREATE INDEX retry_entries_by_match ON retry_entries (tenant, match_key) WHERE status = 'pending'",
            """
            CREATE TABLE tenants (
                slug TEXT PRIMARY KEY, rate_per_second DOUBLE PRECISION, rate_burst INTEGER, retry_policy TEXT, created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE sources (
                tenant TEXT NOT NULL REFERENCES tenants (slug) ON DELETE CASCADE, carrier TEXT NOT NULL,
                scheme TEXT, header TEXT, prefix TEXT, tolerance_s INTEGER, timezone TEXT, created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, carrier)
            )
            """,
            """
            CREATE TABLE source_secrets (
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL, carrier TEXT NOT NULL, secret BYTEA NOT NULL, encrypted BOOLEAN NOT NULL,
                created_at BIGINT NOT NULL,
                FOREIGN KEY (tenant, carrier) REFERENCES sources (tenant, carrier) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants (slug) ON DELETE CASCADE, digest BYTEA NOT NULL UNIQUE,
                label TEXT, created_at BIGINT NOT NULL, revoked_at BIGINT
            )
            """,
            "CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
            "INSERT INTO directory_version (id, version) VALUES (1, 0)",
        ]),
        // Nothing reads domain events by fulfillment; the index only cost writes (as on SQLite).
        (4, ["DROP INDEX IF EXISTS domain_events_by_fulfillment"]),
        // Who holds a claimed entry: `mark*` land only with the token of the current claim (as on SQLite).
        (5, ["ALTER TABLE retry_entries ADD COLUMN claim_token TEXT"]),
        (6, ["CREATE INDEX fulfillments_by_order ON fulfillments (tenant, order_id)"]),
        (7, [
            "ALTER TABLE fulfillments ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE domain_events ADD COLUMN order_id TEXT",
            "ALTER TABLE domain_events ADD COLUMN sequence BIGINT",
            "ALTER TABLE domain_events ADD COLUMN reason TEXT",
            "ALTER TABLE domain_events ADD COLUMN location TEXT",
            // Existing events are numbered in the order they were recorded, and counted on their fulfillment.
            """
            UPDATE domain_events SET sequence = numbered.n
                FROM (SELECT id, row_number() OVER (PARTITION BY tenant, fulfillment_id ORDER BY id) AS n FROM domain_events) AS numbered
                WHERE domain_events.id = numbered.id
            """,
            "UPDATE domain_events SET order_id = f.order_id FROM fulfillments f WHERE f.tenant = domain_events.tenant AND f.id = domain_events.fulfillment_id",
            """
            UPDATE fulfillments SET event_sequence = counts.n
                FROM (SELECT tenant, fulfillment_id, count(*) AS n FROM domain_events GROUP BY tenant, fulfillment_id) AS counts
                WHERE fulfillments.tenant = counts.tenant AND fulfillments.id = counts.fulfillment_id
            """,
        ]),
        // Outbound notifications: the outbox flag and the endpoint, delivery and attempt tables (as on SQLite).
        (8, [
            "ALTER TABLE domain_events ADD COLUMN tracking_number TEXT",
            "ALTER TABLE domain_events ADD COLUMN retry_id TEXT",
            "ALTER TABLE domain_events ADD COLUMN retry_reason TEXT",
            "ALTER TABLE domain_events ADD COLUMN retry_attempts INTEGER",
            "ALTER TABLE domain_events ADD COLUMN scan_code TEXT",
            "ALTER TABLE domain_events ADD COLUMN scan_description TEXT",
            "ALTER TABLE domain_events ADD COLUMN dispatched BOOLEAN NOT NULL DEFAULT TRUE",
            "CREATE INDEX domain_events_undispatched ON domain_events (tenant, fulfillment_id, sequence) WHERE NOT dispatched",
            """
            CREATE TABLE webhook_endpoints (
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL, url TEXT NOT NULL, description TEXT, event_types TEXT NOT NULL,
                enabled BOOLEAN NOT NULL, disabled_reason TEXT, secret BYTEA NOT NULL, secret_encrypted BOOLEAN NOT NULL,
                previous_secret BYTEA, previous_encrypted BOOLEAN, previous_expires_at BIGINT, retry_policy TEXT, rate_per_second DOUBLE PRECISION,
                rate_tokens DOUBLE PRECISION, rate_updated_at BIGINT, circuit_state TEXT NOT NULL, consecutive_failures INTEGER NOT NULL, circuit_opened_at BIGINT, circuit_open_until BIGINT,
                first_failure_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant, created_at)",
            """
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL, endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
                source_key TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, fulfillment_id TEXT, sequence BIGINT,
                order_key TEXT NOT NULL, ordinal BIGINT NOT NULL, payload BYTEA NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL, last_error TEXT, last_status_code INTEGER, claim_token TEXT,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (endpoint_id, source_key)
            )
            """,
            "CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (endpoint_id, order_key, ordinal)",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed')",
            "CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (tenant, created_at)",
            """
            CREATE TABLE webhook_attempts (
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE, attempt INTEGER NOT NULL, trigger TEXT NOT NULL,
                started_at BIGINT NOT NULL, duration_ms BIGINT NOT NULL, status_code INTEGER, response_excerpt TEXT, error TEXT,
                succeeded BOOLEAN NOT NULL, endpoint_id TEXT NOT NULL, PRIMARY KEY (delivery_id, attempt)
            )
            """,
            "CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, started_at)",
        ]),
        // The read side (issue 17), as on SQLite: sharded projection counters, ingest counts per minute, the
        // inbound retry attempt log, the ship time, and the indexes of the dead-letter purges.
        (9, [
            "ALTER TABLE fulfillments ADD COLUMN shipped_at BIGINT",
            """
            UPDATE fulfillments SET shipped_at = s.at
                FROM (SELECT tenant, fulfillment_id, max(occurred_at) AS at FROM domain_events
                      WHERE type = 'FulfillmentStatusChanged' AND to_status = 'SHIPPED' GROUP BY tenant, fulfillment_id) AS s
                WHERE fulfillments.tenant = s.tenant AND fulfillments.id = s.fulfillment_id
            """,
            """
            CREATE TABLE projection_status_counts (
                tenant TEXT NOT NULL, status TEXT NOT NULL, shard INTEGER NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (tenant, status, shard)
            )
            """,
            """
            CREATE TABLE projection_carrier_counts (
                tenant TEXT NOT NULL, carrier TEXT NOT NULL, service_level TEXT NOT NULL, shard INTEGER NOT NULL,
                exceptions BIGINT NOT NULL, deliveries BIGINT NOT NULL, PRIMARY KEY (tenant, carrier, service_level, shard)
            )
            """,
            """
            CREATE TABLE projection_transit_buckets (
                tenant TEXT NOT NULL, carrier TEXT NOT NULL, service_level TEXT NOT NULL, bucket INTEGER NOT NULL, shard INTEGER NOT NULL,
                count BIGINT NOT NULL, PRIMARY KEY (tenant, carrier, service_level, bucket, shard)
            )
            """,
            """
            CREATE TABLE projection_daily_counts (
                tenant TEXT NOT NULL, day BIGINT NOT NULL, shard INTEGER NOT NULL,
                shipments BIGINT NOT NULL, deliveries BIGINT NOT NULL, exceptions BIGINT NOT NULL, PRIMARY KEY (tenant, day, shard)
            )
            """,
            "CREATE TABLE projection_meta (id INTEGER PRIMARY KEY CHECK (id = 1), stale INTEGER NOT NULL, rebuilt_at BIGINT)",
            "INSERT INTO projection_meta (id, stale) SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM fulfillments) THEN 1 ELSE 0 END",
            """
            CREATE TABLE ingest_counts (
                tenant TEXT NOT NULL, minute BIGINT NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL, count BIGINT NOT NULL,
                PRIMARY KEY (tenant, minute, outcome, code)
            )
            """,
            "CREATE INDEX ingest_counts_by_minute ON ingest_counts (minute)",
            """
            CREATE TABLE retry_attempts (
                retry_id TEXT NOT NULL REFERENCES retry_entries (id) ON DELETE CASCADE, attempt INTEGER NOT NULL,
                attempted_at BIGINT NOT NULL, outcome TEXT NOT NULL, error TEXT, PRIMARY KEY (retry_id, attempt)
            )
            """,
            "CREATE INDEX retry_entries_exhausted ON retry_entries (updated_at) WHERE status = 'exhausted'",
            "CREATE INDEX retry_entries_all ON retry_entries (created_at)",
            "CREATE INDEX webhook_deliveries_exhausted ON webhook_deliveries (updated_at) WHERE status = 'exhausted'",
            "CREATE INDEX webhook_deliveries_all ON webhook_deliveries (created_at)",
            "CREATE INDEX webhook_attempts_by_start ON webhook_attempts (started_at)",
        ]),
        // The console's sessions (issue 17); see SQLiteMigrations. Version 9 belongs to the read models.
        (10, [
            "CREATE TABLE console_sessions (digest TEXT PRIMARY KEY, tenant TEXT, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "CREATE INDEX console_sessions_expiry ON console_sessions (expires_at)",
        ]),
        // 11 (issue 18, tracing): as SQLite's 11. 9 and 10 are issue 17's.
        (11, [
            "ALTER TABLE retry_entries ADD COLUMN trace_parent TEXT",
            "ALTER TABLE domain_events ADD COLUMN trace_parent TEXT",
            "ALTER TABLE webhook_deliveries ADD COLUMN trace_parent TEXT",
        ]),
        // 12 (issue 19): the outbox in id order; see SQLiteMigrations.
        (12, ["CREATE INDEX domain_events_outbox ON domain_events (id) WHERE NOT dispatched"]),
    ]

    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
                var applied: Set<Int> = []
                for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                    applied.insert(version)
                }
                for migration in all where !applied.contains(migration.version) {
                    try await connection.withTransaction(logger: logger) { tx in
                        for statement in migration.sql { try await tx.query(statement, logger: logger) }
                        try await tx.query("INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(SystemClock().now().milliseconds))", logger: logger)
                    }
                    logger.info("Applied PostgreSQL migration", metadata: ["version": "\(migration.version)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
        }
    }
}
