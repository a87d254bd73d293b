import ParcelGateCore

/// Tenants, sources, secrets and API keys on SQLite. Every change bumps `directory_version` in the same
/// transaction, which is how every gateway on this database learns to reload.
extension SQLiteStore {
    package func directory() async throws(GatewayError) -> DirectorySnapshot {
        try await database.read { connection throws(GatewayError) in
            let version = try DirectoryRows.version(connection)
            var tenants: [TenantRecord] = []
            let tenantQuery = try connection.statement("SELECT slug, rate_per_second, rate_burst, retry_policy, created_at FROM tenants ORDER BY slug")
            while try tenantQuery.step() {
                tenants.append(TenantRecord(
                    slug: tenantQuery.text(0), ratePerSecond: tenantQuery.optionalDouble(1), rateBurst: tenantQuery.optionalInt(2).map(Int.init),
                    retryPolicyJSON: tenantQuery.optionalText(3), createdAt: Timestamp(milliseconds: tenantQuery.int(4))
                ))
            }
            var secrets: [String: [SecretRecord]] = [:]
            let secretQuery = try connection.statement("SELECT id, tenant, carrier, secret, encrypted, created_at FROM source_secrets ORDER BY created_at, id")
            while try secretQuery.step() {
                let record = SecretRecord(id: secretQuery.text(0), bytes: secretQuery.blob(3), encrypted: secretQuery.int(4) != 0,
                                          createdAt: Timestamp(milliseconds: secretQuery.int(5)))
                secrets[secretQuery.text(1) + "/" + secretQuery.text(2), default: []].append(record)
            }
            var sources: [SourceRecord] = []
            let sourceQuery = try connection.statement("""
                SELECT tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at FROM sources ORDER BY tenant, carrier
                """)
            while try sourceQuery.step() {
                let tenant = sourceQuery.text(0), carrier = sourceQuery.text(1)
                sources.append(SourceRecord(
                    tenant: tenant, carrier: carrier, scheme: sourceQuery.optionalText(2), header: sourceQuery.optionalText(3),
                    prefix: sourceQuery.optionalText(4), toleranceSeconds: sourceQuery.optionalInt(5).map(Int.init),
                    timezone: sourceQuery.optionalText(6), createdAt: Timestamp(milliseconds: sourceQuery.int(7)),
                    secrets: secrets[tenant + "/" + carrier] ?? []
                ))
            }
            var keys: [APIKeyRecord] = []
            let keyQuery = try connection.statement("SELECT id, tenant, digest, label, created_at FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id")
            while try keyQuery.step() {
                keys.append(APIKeyRecord(id: keyQuery.text(0), tenant: keyQuery.text(1), digest: keyQuery.blob(2), label: keyQuery.optionalText(3),
                                         createdAt: Timestamp(milliseconds: keyQuery.int(4))))
            }
            return DirectorySnapshot(version: version, tenants: tenants, sources: sources, apiKeys: keys)
        }
    }

    package func directoryVersion() async throws(GatewayError) -> Int64 {
        try await database.read { connection throws(GatewayError) in try DirectoryRows.version(connection) }
    }

    package func createTenant(_ tenant: TenantRecord, sources: [SourceRecord], apiKeys: [APIKeyRecord]) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("""
                INSERT INTO tenants (slug, rate_per_second, rate_burst, retry_policy, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
                .bind(.text(tenant.slug), .optional(tenant.ratePerSecond), .optional(tenant.rateBurst.map(Int64.init)),
                      .optional(tenant.retryPolicyJSON), .timestamp(tenant.createdAt))
                .run()
            guard connection.changes == 1 else { throw .conflict("Tenant '\(tenant.slug)' already exists") }
            for source in sources {
                try DirectoryRows.upsertSource(connection, source)
                for secret in source.secrets { try DirectoryRows.insertSecret(connection, tenant: source.tenant, carrier: source.carrier, secret) }
            }
            for key in apiKeys { try DirectoryRows.insertKey(connection, key) }
            try DirectoryRows.bump(connection)
        }
    }

    package func updateTenant(_ tenant: TenantRecord) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("UPDATE tenants SET rate_per_second = ?, rate_burst = ?, retry_policy = ? WHERE slug = ?")
                .bind(.optional(tenant.ratePerSecond), .optional(tenant.rateBurst.map(Int64.init)), .optional(tenant.retryPolicyJSON), .text(tenant.slug))
                .run()
            guard connection.changes == 1 else { throw .notFound("Tenant '\(tenant.slug)' not found") }
            try DirectoryRows.bump(connection)
        }
    }

    package func putSource(_ source: SourceRecord) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try DirectoryRows.requireTenant(connection, source.tenant)
            try DirectoryRows.upsertSource(connection, source)
            try DirectoryRows.bump(connection)
        }
    }

    package func deleteSource(tenant: String, carrier: String) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("DELETE FROM sources WHERE tenant = ? AND carrier = ?").bind(.text(tenant), .text(carrier)).run()
            guard connection.changes == 1 else { throw .notFound("Source '\(carrier)' of tenant '\(tenant)' not found") }
            try DirectoryRows.bump(connection)
        }
    }

    package func addSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try DirectoryRows.requireSource(connection, tenant: tenant, carrier: carrier)
            try DirectoryRows.insertSecret(connection, tenant: tenant, carrier: carrier, secret)
            try DirectoryRows.bump(connection)
        }
    }

    package func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("UPDATE source_secrets SET secret = ?, encrypted = ? WHERE id = ? AND tenant = ? AND carrier = ?")
                .bind(.blob(secret.bytes), .integer(secret.encrypted ? 1 : 0), .text(secret.id), .text(tenant), .text(carrier))
                .run()
            guard connection.changes == 1 else { throw .notFound("Secret '\(secret.id)' not found") }
            try DirectoryRows.bump(connection)
        }
    }

    package func removeSecret(tenant: String, carrier: String, id: String) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try DirectoryRows.requireSource(connection, tenant: tenant, carrier: carrier)
            let count = try connection.statement("SELECT count(*) FROM source_secrets WHERE tenant = ? AND carrier = ?")
            count.bind(.text(tenant), .text(carrier))
            _ = try count.step()
            let existing = count.int(0)
            try connection.statement("DELETE FROM source_secrets WHERE id = ? AND tenant = ? AND carrier = ?")
                .bind(.text(id), .text(tenant), .text(carrier)).run()
            guard connection.changes == 1 else { throw .notFound("Secret '\(id)' not found") }
            guard existing > 1 else { throw .conflict("Secret '\(id)' is the source's last one: add its replacement first") }
            try DirectoryRows.bump(connection)
        }
    }

    package func addAPIKey(_ key: APIKeyRecord) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try DirectoryRows.requireTenant(connection, key.tenant)
            try DirectoryRows.insertKey(connection, key)
            try DirectoryRows.bump(connection)
        }
    }

    package func revokeAPIKey(tenant: String, id: String, at: Timestamp) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant = ? AND revoked_at IS NULL")
                .bind(.timestamp(at), .text(id), .text(tenant)).run()
            guard connection.changes == 1 else { throw .notFound("API key '\(id)' not found") }
            try DirectoryRows.bump(connection)
        }
    }
}

/// Helpers for the directory tables.
enum DirectoryRows {
    static func version(_ connection: SQLiteConnection) throws(GatewayError) -> Int64 {
        let query = try connection.statement("SELECT version FROM directory_version WHERE id = 1")
        return try query.step() ? query.int(0) : 0
    }

    static func bump(_ connection: SQLiteConnection) throws(GatewayError) {
        try connection.statement("UPDATE directory_version SET version = version + 1 WHERE id = 1").run()
    }

    static func upsertSource(_ connection: SQLiteConnection, _ source: SourceRecord) throws(GatewayError) {
        try connection.statement("""
            INSERT INTO sources (tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, carrier) DO UPDATE SET scheme = excluded.scheme, header = excluded.header, prefix = excluded.prefix,
                tolerance_s = excluded.tolerance_s, timezone = excluded.timezone
            """)
            .bind(.text(source.tenant), .text(source.carrier), .optional(source.scheme), .optional(source.header), .optional(source.prefix),
                  .optional(source.toleranceSeconds.map(Int64.init)), .optional(source.timezone), .timestamp(source.createdAt))
            .run()
    }

    static func insertSecret(_ connection: SQLiteConnection, tenant: String, carrier: String, _ secret: SecretRecord) throws(GatewayError) {
        try connection.statement("INSERT INTO source_secrets (id, tenant, carrier, secret, encrypted, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(.text(secret.id), .text(tenant), .text(carrier), .blob(secret.bytes), .integer(secret.encrypted ? 1 : 0), .timestamp(secret.createdAt))
            .run()
    }

    static func insertKey(_ connection: SQLiteConnection, _ key: APIKeyRecord) throws(GatewayError) {
        try connection.statement("INSERT INTO api_keys (id, tenant, digest, label, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(.text(key.id), .text(key.tenant), .blob(key.digest), .optional(key.label), .timestamp(key.createdAt))
            .run()
        guard connection.changes == 1 else { throw .conflict("That API key already exists") }
    }

    static func requireTenant(_ connection: SQLiteConnection, _ slug: String) throws(GatewayError) {
        let query = try connection.statement("SELECT 1 FROM tenants WHERE slug = ?")
        query.bind(.text(slug))
        guard try query.step() else { throw .notFound("Tenant '\(slug)' not found") }
    }

    static func requireSource(_ connection: SQLiteConnection, tenant: String, carrier: String) throws(GatewayError) {
        let query = try connection.statement("SELECT 1 FROM sources WHERE tenant = ? AND carrier = ?")
        query.bind(.text(tenant), .text(carrier))
        guard try query.step() else { throw .notFound("Source '\(carrier)' of tenant '\(tenant)' not found") }
    }
}
