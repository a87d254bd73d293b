import ParcelGateCore

/// Versioned schema changes, applied in order, each in its own transaction, recorded in `schema_migrations`.
/// Append new versions; never edit one that has shipped.
enum SQLiteMigrations {
    static let all: [(version: Int, sql: String)] = [
        (1, """
            CREATE TABLE fulfillments (
                tenant TEXT NOT NULL,
                id TEXT NOT NULL,
                order_id TEXT NOT NULL,
                status TEXT NOT NULL,
                carrier TEXT,
                tracking_number TEXT,
                service_level TEXT,
                actual_delivery INTEGER,
                latest_event_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, id)
            ) WITHOUT ROWID;
            CREATE INDEX fulfillments_by_tracking ON fulfillments (tenant, tracking_number);

            CREATE TABLE tracking_events (
                id INTEGER PRIMARY KEY,
                tenant TEXT NOT NULL,
                fulfillment_id TEXT NOT NULL,
                scan_key TEXT NOT NULL,
                carrier TEXT,
                status TEXT NOT NULL,
                fulfillment_status TEXT NOT NULL,
                carrier_status_code TEXT,
                description TEXT NOT NULL,
                location_city TEXT,
                location_region TEXT,
                location_postal_code TEXT,
                location_country_code TEXT,
                location_text TEXT,
                occurred_at INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                applied INTEGER NOT NULL,
                -- applied | stale (older than the newest applied event) | refused (the state machine said no)
                outcome TEXT NOT NULL,
                UNIQUE (tenant, fulfillment_id, scan_key)
            );
            CREATE INDEX tracking_events_refused ON tracking_events (tenant, fulfillment_id, occurred_at) WHERE outcome = 'refused';

            CREATE TABLE domain_events (
                id INTEGER PRIMARY KEY,
                tenant TEXT NOT NULL,
                fulfillment_id TEXT NOT NULL,
                type TEXT NOT NULL,
                from_status TEXT NOT NULL,
                to_status TEXT NOT NULL,
                tracking_status TEXT,
                carrier TEXT,
                service_level TEXT,
                occurred_at INTEGER NOT NULL,
                recorded_at INTEGER NOT NULL
            );
            CREATE INDEX domain_events_by_fulfillment ON domain_events (tenant, fulfillment_id);

            CREATE TABLE receipts (
                tenant TEXT NOT NULL,
                carrier TEXT NOT NULL,
                receipt_key TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, carrier, receipt_key)
            ) WITHOUT ROWID;
            """),
        (2, """
            CREATE TABLE retry_entries (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                carrier TEXT NOT NULL,
                body BLOB NOT NULL,
                headers TEXT NOT NULL,
                reason TEXT NOT NULL,
                receipt_key TEXT,
                match_key TEXT,
                attempts INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                status TEXT NOT NULL,
                last_error TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX retry_entries_due ON retry_entries (next_attempt_at) WHERE status = 'pending';
            CREATE INDEX retry_entries_by_tenant ON retry_entries (tenant, status, created_at);
            CREATE INDEX retry_entries_by_match ON retry_entries (tenant, match_key) WHERE status = 'pending';
            """),
        (3, """
            CREATE TABLE tenants (
                slug TEXT PRIMARY KEY,
                rate_per_second REAL,
                rate_burst INTEGER,
                retry_policy TEXT,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE sources (
                tenant TEXT NOT NULL REFERENCES tenants (slug) ON DELETE CASCADE,
                carrier TEXT NOT NULL,
                scheme TEXT,
                header TEXT,
                prefix TEXT,
                tolerance_s INTEGER,
                timezone TEXT,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, carrier)
            );
            CREATE TABLE source_secrets (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                carrier TEXT NOT NULL,
                secret BLOB NOT NULL,
                encrypted INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                FOREIGN KEY (tenant, carrier) REFERENCES sources (tenant, carrier) ON DELETE CASCADE
            );
            CREATE INDEX source_secrets_by_source ON source_secrets (tenant, carrier);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL REFERENCES tenants (slug) ON DELETE CASCADE,
                digest BLOB NOT NULL UNIQUE,
                label TEXT,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
            INSERT INTO directory_version (id, version) VALUES (1, 0);
            """),
        // Nothing reads domain events by fulfillment, and the index cost a random page write per callback.
        (4, "DROP INDEX domain_events_by_fulfillment;"),
        // Who holds a claimed entry: `mark*` land only with the token of the current claim (see `claimDue`).
        (5, "ALTER TABLE retry_entries ADD COLUMN claim_token TEXT;"),
        (6, "CREATE INDEX fulfillments_by_order ON fulfillments (tenant, order_id);"),
        (7, """
            ALTER TABLE fulfillments ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE domain_events ADD COLUMN order_id TEXT;
            ALTER TABLE domain_events ADD COLUMN sequence INTEGER;
            ALTER TABLE domain_events ADD COLUMN reason TEXT;
            ALTER TABLE domain_events ADD COLUMN location TEXT;
            UPDATE domain_events SET sequence = numbered.n
                FROM (SELECT id, row_number() OVER (PARTITION BY tenant, fulfillment_id ORDER BY id) AS n FROM domain_events) AS numbered
                WHERE domain_events.id = numbered.id;
            UPDATE domain_events SET order_id = f.order_id
                FROM fulfillments AS f WHERE f.tenant = domain_events.tenant AND f.id = domain_events.fulfillment_id;
            UPDATE fulfillments SET event_sequence = counts.n
                FROM (SELECT tenant, fulfillment_id, count(*) AS n FROM domain_events GROUP BY tenant, fulfillment_id) AS counts
                WHERE fulfillments.tenant = counts.tenant AND fulfillments.id = counts.fulfillment_id;
            """),
        // Outbound notifications (issue 15). Domain events become an outbox: `dispatched` turns true once they
        // are fanned out to endpoints (existing ones count as dispatched: no endpoint existed); the partial index
        // holds only the few not yet dispatched, so it costs the ingest path one small append.
        (8, """
            ALTER TABLE domain_events ADD COLUMN tracking_number TEXT;
            ALTER TABLE domain_events ADD COLUMN retry_id TEXT;
            ALTER TABLE domain_events ADD COLUMN retry_reason TEXT;
            ALTER TABLE domain_events ADD COLUMN retry_attempts INTEGER;
            ALTER TABLE domain_events ADD COLUMN scan_code TEXT;
            ALTER TABLE domain_events ADD COLUMN scan_description TEXT;
            ALTER TABLE domain_events ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 1;
            CREATE INDEX domain_events_undispatched ON domain_events (tenant, fulfillment_id, sequence) WHERE dispatched = 0;
            CREATE TABLE webhook_endpoints (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                url TEXT NOT NULL,
                description TEXT,
                event_types TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                disabled_reason TEXT,
                secret BLOB NOT NULL,
                secret_encrypted INTEGER NOT NULL,
                previous_secret BLOB,
                previous_encrypted INTEGER,
                previous_expires_at INTEGER,
                retry_policy TEXT,
                rate_per_second REAL,
                rate_tokens REAL,
                rate_updated_at INTEGER,
                circuit_state TEXT NOT NULL,
                consecutive_failures INTEGER NOT NULL,
                circuit_opened_at INTEGER,
                circuit_open_until INTEGER,
                first_failure_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant, created_at);
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
                source_key TEXT NOT NULL,
                event_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                fulfillment_id TEXT,
                sequence INTEGER,
                order_key TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                payload BLOB NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                last_error TEXT,
                last_status_code INTEGER,
                claim_token TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (endpoint_id, source_key)
            );
            CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (endpoint_id, order_key, ordinal);
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
            CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (tenant, created_at);
            CREATE TABLE webhook_attempts (
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                attempt INTEGER NOT NULL,
                trigger TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                duration_ms INTEGER NOT NULL,
                status_code INTEGER,
                response_excerpt TEXT,
                error TEXT,
                succeeded INTEGER NOT NULL,
                endpoint_id TEXT NOT NULL,
                PRIMARY KEY (delivery_id, attempt)
            );
            CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, started_at);
            """),
        // The read side (issue 17). Projections are counters kept in the transaction of the change they count,
        // spread over `shard` rows per group (a stable hash of the fulfillment id) so concurrent writers on
        // PostgreSQL rarely wait for the same row; reads sum the shards. `projection_meta.stale` marks a database
        // that had fulfillments before the projections existed: the gateway rebuilds them at start. Ingest counts
        // per minute, the inbound retry attempt log, the ship time SHIPPED-to-DELIVERED is measured from, and the
        // indexes the dead-letter purges use.
        (9, """
            ALTER TABLE fulfillments ADD COLUMN shipped_at INTEGER;
            UPDATE fulfillments SET shipped_at = s.at
                FROM (SELECT tenant, fulfillment_id, max(occurred_at) AS at FROM domain_events
                      WHERE type = 'FulfillmentStatusChanged' AND to_status = 'SHIPPED' GROUP BY tenant, fulfillment_id) AS s
                WHERE fulfillments.tenant = s.tenant AND fulfillments.id = s.fulfillment_id;
            CREATE TABLE projection_status_counts (
                tenant TEXT NOT NULL, status TEXT NOT NULL, shard INTEGER NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY (tenant, status, shard)
            ) WITHOUT ROWID;
            CREATE TABLE projection_carrier_counts (
                tenant TEXT NOT NULL, carrier TEXT NOT NULL, service_level TEXT NOT NULL, shard INTEGER NOT NULL,
                exceptions INTEGER NOT NULL, deliveries INTEGER NOT NULL,
                PRIMARY KEY (tenant, carrier, service_level, shard)
            ) WITHOUT ROWID;
            CREATE TABLE projection_transit_buckets (
                tenant TEXT NOT NULL, carrier TEXT NOT NULL, service_level TEXT NOT NULL, bucket INTEGER NOT NULL, shard INTEGER NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (tenant, carrier, service_level, bucket, shard)
            ) WITHOUT ROWID;
            CREATE TABLE projection_daily_counts (
                tenant TEXT NOT NULL, day INTEGER NOT NULL, shard INTEGER NOT NULL,
                shipments INTEGER NOT NULL, deliveries INTEGER NOT NULL, exceptions INTEGER NOT NULL,
                PRIMARY KEY (tenant, day, shard)
            ) WITHOUT ROWID;
            CREATE TABLE projection_meta (id INTEGER PRIMARY KEY CHECK (id = 1), stale INTEGER NOT NULL, rebuilt_at INTEGER);
            INSERT INTO projection_meta (id, stale) SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM fulfillments) THEN 1 ELSE 0 END;
            CREATE TABLE ingest_counts (
                tenant TEXT NOT NULL, minute INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY (tenant, minute, outcome, code)
            ) WITHOUT ROWID;
            CREATE INDEX ingest_counts_by_minute ON ingest_counts (minute);
            CREATE TABLE retry_attempts (
                retry_id TEXT NOT NULL REFERENCES retry_entries (id) ON DELETE CASCADE, attempt INTEGER NOT NULL,
                attempted_at INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT,
                PRIMARY KEY (retry_id, attempt)
            ) WITHOUT ROWID;
            CREATE INDEX retry_entries_exhausted ON retry_entries (updated_at) WHERE status = 'exhausted';
            CREATE INDEX retry_entries_all ON retry_entries (created_at);
            CREATE INDEX webhook_deliveries_exhausted ON webhook_deliveries (updated_at) WHERE status = 'exhausted';
            CREATE INDEX webhook_deliveries_all ON webhook_deliveries (created_at);
            CREATE INDEX webhook_attempts_by_start ON webhook_attempts (started_at);
            """),
        // The console's sessions (issue 17), shared by replicas: only the SHA-256 digest of each token is kept;
        // `tenant` is NULL for the operator. Version 9 belongs to the read models (issue 17, same issue).
        (10, """
            CREATE TABLE console_sessions (
                digest TEXT PRIMARY KEY,
                tenant TEXT,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
            """),
        // 11 (issue 18, tracing): the W3C trace context of the request that queued a callback, caused a change, or
        // whose change a delivery notifies, so later spans link back to it. 9 and 10 are issue 17's.
        (11, """
            ALTER TABLE retry_entries ADD COLUMN trace_parent TEXT;
            ALTER TABLE domain_events ADD COLUMN trace_parent TEXT;
            ALTER TABLE webhook_deliveries ADD COLUMN trace_parent TEXT;
            """),
        // 12 (issue 19): the outbox poll reads the undispatched domain events oldest first. Without an index in
        // that order both planners walked the primary key past every dispatched event (SQLite always; PostgreSQL
        // until its statistics caught up), once a second. Only undispatched rows enter it.
        (12, "CREATE INDEX domain_events_outbox ON domain_events (id) WHERE dispatched = 0;"),
    ]

    static func migrate(_ connection: SQLiteConnection) throws(GatewayError) {
        try connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        for migration in all {
            let check = try connection.statement("SELECT 1 FROM schema_migrations WHERE version = ?")
            check.bind(.integer(Int64(migration.version)))
            if try check.step() { continue }
            try connection.execute("BEGIN IMMEDIATE")
            do throws(GatewayError) {
                try connection.execute(migration.sql)
                try connection.statement("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))")
                    .bind(.integer(Int64(migration.version))).run()
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
