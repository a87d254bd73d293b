import ParcelGateCore

/// Tenants, sources, secrets and API keys. Every change bumps the directory version in its transaction
/// (``DirectoryStatements/bumpVersion``), which is how every gateway on the database learns to reload.
enum DirectoryWorkflows {
    /// Everything, from one snapshot.
    static func snapshot() -> Workflow<DirectorySnapshot> {
        Workflow(.snapshot, .run([DirectoryStatements.version, DirectoryStatements.allTenants, DirectoryStatements.allSecrets,
                                  DirectoryStatements.allSources, DirectoryStatements.activeKeys]) { results throws(GatewayError) in
            var secrets: [String: [SecretRecord]] = [:]
            for (tenant, carrier, secret) in try results.result(2).secrets { secrets[tenant + "/" + carrier, default: []].append(secret) }
            let sources = try results.result(3).sources.map { source in
                var source = source
                source.secrets = secrets[source.tenant + "/" + source.carrier] ?? []
                return source
            }
            return .done(DirectorySnapshot(version: try results.result(0).integers.first ?? 0, tenants: try results.result(1).tenants,
                                           sources: sources, apiKeys: try results.result(4).apiKeys))
        })
    }

    static func version() -> Workflow<Int64> {
        Workflow(.read, .run(DirectoryStatements.version) { rows throws(GatewayError) in .done(rows.integers.first ?? 0) })
    }

    /// A tenant with its sources, secrets and keys, all or nothing, so no replica ever sees half a tenant.
    static func createTenant(_ tenant: TenantRecord, sources: [SourceRecord], apiKeys: [APIKeyRecord]) -> Workflow<Void> {
        Workflow(.write, .run(DirectoryStatements.insertTenant(tenant)) { inserted throws(GatewayError) in
            guard inserted.changes == 1 else { throw .conflict("Tenant '\(tenant.slug)' already exists") }
            var writes: [Statement] = []
            for source in sources {
                writes.append(DirectoryStatements.upsertSource(source))
                for secret in source.secrets { writes.append(DirectoryStatements.insertSecret(tenant: source.tenant, carrier: source.carrier, secret)) }
            }
            let firstKey = writes.count
            writes += apiKeys.map(DirectoryStatements.insertKey)
            writes.append(DirectoryStatements.bumpVersion)
            return .run(writes) { results throws(GatewayError) in
                for index in firstKey..<(firstKey + apiKeys.count) where try results.result(index).changes != 1 { throw keyExists }
                return .done(())
            }
        })
    }

    static func updateTenant(_ tenant: TenantRecord) -> Workflow<Void> {
        change([DirectoryStatements.updateTenant(tenant)], else: .notFound("Tenant '\(tenant.slug)' not found"))
    }

    /// Creates or updates a source's settings (its secrets are changed one by one).
    static func putSource(_ source: SourceRecord) -> Workflow<Void> {
        Workflow(.write, .run(DirectoryStatements.tenantExists(source.tenant)) { found throws(GatewayError) in
            guard !found.rows.isEmpty else { throw .notFound("Tenant '\(source.tenant)' not found") }
            return .run([DirectoryStatements.upsertSource(source), DirectoryStatements.bumpVersion], finishing: ())
        })
    }

    static func deleteSource(tenant: String, carrier: String) -> Workflow<Void> {
        change([DirectoryStatements.deleteSource(tenant: tenant, carrier: carrier)], else: sourceNotFound(tenant: tenant, carrier: carrier))
    }

    static func addSecret(tenant: String, carrier: String, _ secret: SecretRecord) -> Workflow<Void> {
        Workflow(.write, .run(DirectoryStatements.sourceExists(tenant: tenant, carrier: carrier)) { found throws(GatewayError) in
            guard !found.rows.isEmpty else { throw sourceNotFound(tenant: tenant, carrier: carrier) }
            return .run([DirectoryStatements.insertSecret(tenant: tenant, carrier: carrier, secret), DirectoryStatements.bumpVersion], finishing: ())
        })
    }

    /// Replaces a stored secret's bytes (re-sealing under a master key).
    static func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) -> Workflow<Void> {
        change([DirectoryStatements.updateSecret(tenant: tenant, carrier: carrier, secret)], else: .notFound("Secret '\(secret.id)' not found"))
    }

    /// A source keeps at least one secret: the last one cannot go before its replacement is added. The source
    /// is locked first, so two removals cannot both see two secrets left.
    static func removeSecret(tenant: String, carrier: String, id: String) -> Workflow<Void> {
        Workflow(.write, .run([DirectoryStatements.sourceExists(tenant: tenant, carrier: carrier, lock: true),
                               DirectoryStatements.countSecrets(tenant: tenant, carrier: carrier)]) { results throws(GatewayError) in
            guard !(try results.result(0).rows.isEmpty) else { throw sourceNotFound(tenant: tenant, carrier: carrier) }
            let existing = try results.result(1).integers.first ?? 0
            return .run([DirectoryStatements.deleteSecret(tenant: tenant, carrier: carrier, id: id), DirectoryStatements.bumpVersion]) { deleted throws(GatewayError) in
                guard try deleted.result(0).changes == 1 else { throw .notFound("Secret '\(id)' not found") }
                guard existing > 1 else { throw .conflict("Secret '\(id)' is the source's last one: add its replacement first") }
                return .done(())
            }
        })
    }

    static func addAPIKey(_ key: APIKeyRecord) -> Workflow<Void> {
        Workflow(.write, .run(DirectoryStatements.tenantExists(key.tenant)) { found throws(GatewayError) in
            guard !found.rows.isEmpty else { throw .notFound("Tenant '\(key.tenant)' not found") }
            return .run([DirectoryStatements.insertKey(key), DirectoryStatements.bumpVersion]) { results throws(GatewayError) in
                guard try results.result(0).changes == 1 else { throw keyExists }
                return .done(())
            }
        })
    }

    static func revokeAPIKey(tenant: String, id: String, at: Timestamp) -> Workflow<Void> {
        change([DirectoryStatements.revokeKey(tenant: tenant, id: id, at: at)], else: .notFound("API key '\(id)' not found"))
    }

    /// Runs `statements` with the version bump; fails with `failure`, rolling back, when the first changed no row.
    private static func change(_ statements: [Statement], else failure: GatewayError) -> Workflow<Void> {
        Workflow(.write, .run(statements + [DirectoryStatements.bumpVersion]) { results throws(GatewayError) in
            guard try results.result(0).changes == 1 else { throw failure }
            return .done(())
        })
    }

    private static func sourceNotFound(tenant: String, carrier: String) -> GatewayError {
        .notFound("Source '\(carrier)' of tenant '\(tenant)' not found")
    }

    private static let keyExists = GatewayError.conflict("That API key already exists")
}
