import Logging
import NIOCore
import ParcelGateCore
import PostgresNIO

/// Tenants, sources, secrets and API keys on PostgreSQL; every change bumps `directory_version` in the
/// same transaction, which is how the other replicas learn to reload.
extension PostgresStore {
    package func directory() async throws(GatewayError) -> DirectorySnapshot {
        try await transaction { connection in
            let version = try await Self.directoryVersion(connection, logger: self.logger)
            var tenants: [TenantRecord] = []
            for try await (slug, rate, burst, retry, created) in try await connection.query(
                "SELECT slug, rate_per_second, rate_burst, retry_policy, created_at FROM tenants ORDER BY slug", logger: self.logger
            ).decode((String, Double?, Int?, String?, Int64).self) {
                tenants.append(TenantRecord(slug: slug, ratePerSecond: rate, rateBurst: burst, retryPolicyJSON: retry, createdAt: Timestamp(milliseconds: created)))
            }
            var secrets: [String: [SecretRecord]] = [:]
            for try await (id, tenant, carrier, secret, encrypted, created) in try await connection.query(
                "SELECT id, tenant, carrier, secret, encrypted, created_at FROM source_secrets ORDER BY created_at, id", logger: self.logger
            ).decode((String, String, String, ByteBuffer, Bool, Int64).self) {
                secrets[tenant + "/" + carrier, default: []].append(
                    SecretRecord(id: id, bytes: Array(secret.readableBytesView), encrypted: encrypted, createdAt: Timestamp(milliseconds: created)))
            }
            var sources: [SourceRecord] = []
            for try await (tenant, carrier, scheme, header, prefix, tolerance, timezone, created) in try await connection.query(
                "SELECT tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at FROM sources ORDER BY tenant, carrier", logger: self.logger
            ).decode((String, String, String?, String?, String?, Int?, String?, Int64).self) {
                sources.append(SourceRecord(tenant: tenant, carrier: carrier, scheme: scheme, header: header, prefix: prefix, toleranceSeconds: tolerance,
                                            timezone: timezone, createdAt: Timestamp(milliseconds: created), secrets: secrets[tenant + "/" + carrier] ?? []))
            }
            var keys: [APIKeyRecord] = []
            for try await (id, tenant, digest, label, created) in try await connection.query(
                "SELECT id, tenant, digest, label, created_at FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id", logger: self.logger
            ).decode((String, String, ByteBuffer, String?, Int64).self) {
                keys.append(APIKeyRecord(id: id, tenant: tenant, digest: Array(digest.readableBytesView), label: label, createdAt: Timestamp(milliseconds: created)))
            }
            return DirectorySnapshot(version: version, tenants: tenants, sources: sources, apiKeys: keys)
        }
    }

    package func directoryVersion() async throws(GatewayError) -> Int64 {
        try await run { try await self.client.withConnection { try await Self.directoryVersion($0, logger: self.logger) } }
    }

    static func directoryVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await version in try await connection.query("SELECT version FROM directory_version WHERE id = 1", logger: logger).decode(Int64.self) {
            return version
        }
        return 0
    }

    /// Runs a directory change in a transaction and bumps the version with it.
    func directoryChange(_ work: @escaping (PostgresConnection) async throws -> Void) async throws(GatewayError) {
        try await transaction { connection in
            try await work(connection)
            try await connection.query("UPDATE directory_version SET version = version + 1 WHERE id = 1", logger: self.logger)
        }
    }

    /// Runs `query` and fails with `failure` when it changed no row.
    static func requireChange(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger, else failure: GatewayError) async throws {
        var changed = query
        changed.sql += " RETURNING 1"
        if try await connection.query(changed, logger: logger).collect().isEmpty { throw failure }
    }

    static func requireRow(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger, else failure: GatewayError) async throws {
        if try await connection.query(query, logger: logger).collect().isEmpty { throw failure }
    }

    package func createTenant(_ t: TenantRecord, sources: [SourceRecord], apiKeys: [APIKeyRecord]) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireChange(connection, """
                INSERT INTO tenants (slug, rate_per_second, rate_burst, retry_policy, created_at)
                VALUES (\(t.slug), \(t.ratePerSecond), \(t.rateBurst), \(t.retryPolicyJSON), \(t.createdAt.milliseconds)) ON CONFLICT DO NOTHING
                """, logger: self.logger, else: .conflict("Tenant '\(t.slug)' already exists"))
            for source in sources {
                try await self.upsertSource(connection, source)
                for secret in source.secrets { try await self.insertSecret(connection, tenant: source.tenant, carrier: source.carrier, secret) }
            }
            for key in apiKeys { try await self.insertKey(connection, key) }
        }
    }

    package func updateTenant(_ t: TenantRecord) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireChange(connection, """
                UPDATE tenants SET rate_per_second = \(t.ratePerSecond), rate_burst = \(t.rateBurst), retry_policy = \(t.retryPolicyJSON) WHERE slug = \(t.slug)
                """, logger: self.logger, else: .notFound("Tenant '\(t.slug)' not found"))
        }
    }

    package func putSource(_ s: SourceRecord) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireRow(connection, "SELECT 1 FROM tenants WHERE slug = \(s.tenant)", logger: self.logger, else: .notFound("Tenant '\(s.tenant)' not found"))
            try await self.upsertSource(connection, s)
        }
    }

    func upsertSource(_ connection: PostgresConnection, _ s: SourceRecord) async throws {
        try await connection.query("""
            INSERT INTO sources (tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at)
            VALUES (\(s.tenant), \(s.carrier), \(s.scheme), \(s.header), \(s.prefix), \(s.toleranceSeconds), \(s.timezone), \(s.createdAt.milliseconds))
            ON CONFLICT (tenant, carrier) DO UPDATE SET scheme = excluded.scheme, header = excluded.header, prefix = excluded.prefix,
                tolerance_s = excluded.tolerance_s, timezone = excluded.timezone
            """, logger: logger)
    }

    func insertSecret(_ connection: PostgresConnection, tenant: String, carrier: String, _ secret: SecretRecord) async throws {
        try await connection.query("""
            INSERT INTO source_secrets (id, tenant, carrier, secret, encrypted, created_at)
            VALUES (\(secret.id), \(tenant), \(carrier), \(ByteBuffer(bytes: secret.bytes)), \(secret.encrypted), \(secret.createdAt.milliseconds))
            """, logger: logger)
    }

    func insertKey(_ connection: PostgresConnection, _ key: APIKeyRecord) async throws {
        try await Self.requireChange(connection, """
            INSERT INTO api_keys (id, tenant, digest, label, created_at)
            VALUES (\(key.id), \(key.tenant), \(ByteBuffer(bytes: key.digest)), \(key.label), \(key.createdAt.milliseconds)) ON CONFLICT DO NOTHING
            """, logger: logger, else: .conflict("That API key already exists"))
    }

    package func deleteSource(tenant: String, carrier: String) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireChange(connection, "DELETE FROM sources WHERE tenant = \(tenant) AND carrier = \(carrier)",
                                         logger: self.logger, else: .notFound("Source '\(carrier)' of tenant '\(tenant)' not found"))
        }
    }

    package func addSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireRow(connection, "SELECT 1 FROM sources WHERE tenant = \(tenant) AND carrier = \(carrier)",
                                      logger: self.logger, else: .notFound("Source '\(carrier)' of tenant '\(tenant)' not found"))
            try await self.insertSecret(connection, tenant: tenant, carrier: carrier, secret)
        }
    }

    package func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireChange(connection, """
                UPDATE source_secrets SET secret = \(ByteBuffer(bytes: secret.bytes)), encrypted = \(secret.encrypted)
                WHERE id = \(secret.id) AND tenant = \(tenant) AND carrier = \(carrier)
                """, logger: self.logger, else: .notFound("Secret '\(secret.id)' not found"))
        }
    }

    package func removeSecret(tenant: String, carrier: String, id: String) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireRow(connection, "SELECT 1 FROM sources WHERE tenant = \(tenant) AND carrier = \(carrier) FOR UPDATE",
                                      logger: self.logger, else: .notFound("Source '\(carrier)' of tenant '\(tenant)' not found"))
            var count = 0
            for try await n in try await connection.query("SELECT count(*) FROM source_secrets WHERE tenant = \(tenant) AND carrier = \(carrier)", logger: self.logger).decode(Int.self) {
                count = n
            }
            try await Self.requireChange(connection, "DELETE FROM source_secrets WHERE id = \(id) AND tenant = \(tenant) AND carrier = \(carrier)",
                                         logger: self.logger, else: .notFound("Secret '\(id)' not found"))
            guard count > 1 else { throw GatewayError.conflict("Secret '\(id)' is the source's last one: add its replacement first") }
        }
    }

    package func addAPIKey(_ key: APIKeyRecord) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireRow(connection, "SELECT 1 FROM tenants WHERE slug = \(key.tenant)", logger: self.logger, else: .notFound("Tenant '\(key.tenant)' not found"))
            try await self.insertKey(connection, key)
        }
    }

    package func revokeAPIKey(tenant: String, id: String, at: Timestamp) async throws(GatewayError) {
        try await directoryChange { connection in
            try await Self.requireChange(connection, """
                UPDATE api_keys SET revoked_at = \(at.milliseconds) WHERE id = \(id) AND tenant = \(tenant) AND revoked_at IS NULL
                """, logger: self.logger, else: .notFound("API key '\(id)' not found"))
        }
    }
}
