import ParcelGateCore

/// The statements on `tenants`, `sources`, `source_secrets`, `api_keys` and `directory_version`: the only
/// place that knows their columns.
enum DirectoryStatements {
    static let version = Statement("SELECT version FROM directory_version WHERE id = 1", yield: .rows(.integer))
    /// Every directory change runs this in its transaction: how every gateway on the database learns to reload.
    static let bumpVersion = Statement("UPDATE directory_version SET version = version + 1 WHERE id = 1")

    static let allTenants = Statement("SELECT slug, rate_per_second, rate_burst, retry_policy, created_at FROM tenants ORDER BY slug",
                                      yield: .rows(.tenant))
    static let allSources = Statement("SELECT tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at FROM sources ORDER BY tenant, carrier",
                                      yield: .rows(.source))
    static let allSecrets = Statement("SELECT id, tenant, carrier, secret, encrypted, created_at FROM source_secrets ORDER BY created_at, id",
                                      yield: .rows(.secret))
    static let activeKeys = Statement("SELECT id, tenant, digest, label, created_at FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id",
                                      yield: .rows(.apiKey))

    /// No change means the slug is taken.
    static func insertTenant(_ t: TenantRecord) -> Statement {
        Statement("INSERT INTO tenants (slug, rate_per_second, rate_burst, retry_policy, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  [.text(t.slug), .optional(t.ratePerSecond), .optional(t.rateBurst), .optional(t.retryPolicyJSON), .timestamp(t.createdAt)],
                  yield: .changes)
    }

    static func updateTenant(_ t: TenantRecord) -> Statement {
        Statement("UPDATE tenants SET rate_per_second = ?, rate_burst = ?, retry_policy = ? WHERE slug = ?",
                  [.optional(t.ratePerSecond), .optional(t.rateBurst), .optional(t.retryPolicyJSON), .text(t.slug)], yield: .changes)
    }

    /// One row when the tenant exists.
    static func tenantExists(_ slug: String) -> Statement {
        Statement("SELECT 1 FROM tenants WHERE slug = ?", [.text(slug)], yield: .rows(.integer))
    }

    /// One row when the source exists; `lock` holds it until the transaction ends (PostgreSQL), so two
    /// removals of its secrets cannot both see two left.
    static func sourceExists(tenant: String, carrier: String, lock: Bool = false) -> Statement {
        Statement(sqlite: .literal("SELECT 1 FROM sources WHERE tenant = ? AND carrier = ?"),
                  postgres: lock ? .literal("SELECT 1 FROM sources WHERE tenant = ? AND carrier = ? FOR UPDATE")
                                 : .literal("SELECT 1 FROM sources WHERE tenant = ? AND carrier = ?"),
                  [.text(tenant), .text(carrier)], yield: .rows(.integer))
    }

    static func upsertSource(_ s: SourceRecord) -> Statement {
        Statement("""
            INSERT INTO sources (tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, carrier) DO UPDATE SET scheme = excluded.scheme, header = excluded.header, prefix = excluded.prefix,
                tolerance_s = excluded.tolerance_s, timezone = excluded.timezone
            """,
            [.text(s.tenant), .text(s.carrier), .optional(s.scheme), .optional(s.header), .optional(s.prefix),
             .optional(s.toleranceSeconds), .optional(s.timezone), .timestamp(s.createdAt)])
    }

    static func deleteSource(tenant: String, carrier: String) -> Statement {
        Statement("DELETE FROM sources WHERE tenant = ? AND carrier = ?", [.text(tenant), .text(carrier)], yield: .changes)
    }

    static func insertSecret(tenant: String, carrier: String, _ secret: SecretRecord) -> Statement {
        Statement("INSERT INTO source_secrets (id, tenant, carrier, secret, encrypted, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                  [.text(secret.id), .text(tenant), .text(carrier), .blob(secret.bytes), .bool(secret.encrypted), .timestamp(secret.createdAt)])
    }

    static func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) -> Statement {
        Statement("UPDATE source_secrets SET secret = ?, encrypted = ? WHERE id = ? AND tenant = ? AND carrier = ?",
                  [.blob(secret.bytes), .bool(secret.encrypted), .text(secret.id), .text(tenant), .text(carrier)], yield: .changes)
    }

    static func countSecrets(tenant: String, carrier: String) -> Statement {
        Statement("SELECT count(*) FROM source_secrets WHERE tenant = ? AND carrier = ?", [.text(tenant), .text(carrier)], yield: .rows(.integer))
    }

    static func deleteSecret(tenant: String, carrier: String, id: String) -> Statement {
        Statement("DELETE FROM source_secrets WHERE id = ? AND tenant = ? AND carrier = ?", [.text(id), .text(tenant), .text(carrier)], yield: .changes)
    }

    /// No change means a key with that id or digest exists.
    static func insertKey(_ key: APIKeyRecord) -> Statement {
        Statement("INSERT INTO api_keys (id, tenant, digest, label, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  [.text(key.id), .text(key.tenant), .blob(key.digest), .optional(key.label), .timestamp(key.createdAt)], yield: .changes)
    }

    static func revokeKey(tenant: String, id: String, at: Timestamp) -> Statement {
        Statement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant = ? AND revoked_at IS NULL",
                  [.timestamp(at), .text(id), .text(tenant)], yield: .changes)
    }
}
