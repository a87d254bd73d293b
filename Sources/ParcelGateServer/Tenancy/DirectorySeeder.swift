import Logging
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// Seeds the database's tenants from the config file, and seals clear secrets once a master key is set.
///
/// The database is the source of truth: a tenant named in the config is created, with its sources, secrets
/// and API keys, only if it does not exist yet. Later changes go through the operator API, so a restart
/// never brings back a secret or key that an operator removed.
enum DirectorySeeder {
    static func seed(config: GatewayConfig, store: any GatewayStore, secretBox: SecretBox, clock: any GatewayClock,
                            registry: CarrierRegistry = .standard, logger: Logger) async throws(GatewayError) {
        let existing = Set(try await store.directory().tenants.map(\.slug))
        var seen: Set<String> = []
        for tenant in config.tenants {
            guard TenantDirectory.isSlug(tenant.slug) else { throw .badRequest("Tenant slug '\(tenant.slug)' must be lowercase letters, digits, '-' or '_'") }
            guard seen.insert(tenant.slug).inserted else { throw .badRequest("Tenant '\(tenant.slug)' is configured twice") }
            try validate(tenant, registry: registry)
            guard !existing.contains(tenant.slug) else { continue }
            let now = clock.now()
            var sources: [SourceRecord] = []
            for source in tenant.sources {
                let carrier = source.carrier.lowercased()
                var record = SourceRecord(tenant: tenant.slug, carrier: carrier, scheme: source.scheme, header: source.header, prefix: source.prefix,
                                          toleranceSeconds: source.toleranceSeconds, timezone: source.timezone, createdAt: now)
                let settings = try SourceValidation.settings(source, registry: registry)
                for secret in source.effectiveSecrets(settings: settings) {
                    let sealed = try secretBox.seal(secret, tenant: tenant.slug, carrier: carrier)
                    record.secrets.append(SecretRecord(id: Identifiers.secret(), bytes: sealed.bytes, encrypted: sealed.encrypted, createdAt: now))
                }
                sources.append(record)
            }
            var keys: [APIKeyRecord] = []
            for key in tenant.apiKeys {
                keys.append(APIKeyRecord(id: Identifiers.apiKey(), tenant: tenant.slug, digest: try TenantDirectory.digest(ofAPIKey: key), label: "config", createdAt: now))
            }
            do {
                try await store.createTenant(
                    TenantRecord(slug: tenant.slug, ratePerSecond: tenant.rateLimit?.perSecond, rateBurst: tenant.rateLimit?.burst,
                                 retryPolicyJSON: tenant.retry?.json, createdAt: now),
                    sources: sources, apiKeys: keys
                )
            } catch where error.code == "conflict" {
                // Another replica starting at the same moment created it, whole, in its own transaction; any other
                // conflict (an API key another tenant already has) is a configuration error.
                if try await store.directory().tenants.contains(where: { $0.slug == tenant.slug }) { continue }
                throw .badRequest("Tenant '\(tenant.slug)' cannot be seeded: \(error.detail)")
            }
            logger.info("Seeded tenant from config", metadata: ["tenant": "\(tenant.slug)", "sources": "\(tenant.sources.count)"])
        }
        try await sealClearSecrets(store: store, secretBox: secretBox, logger: logger)
    }

    /// Everything about a configured tenant that can be wrong, reported before anything is written.
    static func validate(_ tenant: TenantConfig, registry: CarrierRegistry) throws(GatewayError) {
        for key in tenant.apiKeys where key.utf8.count < 16 {
            throw .badRequest("Tenant '\(tenant.slug)' has an API key shorter than 16 characters")
        }
        do {
            _ = try tenant.retry?.policy()
            _ = try tenant.rateLimit?.validated()
        } catch {
            throw .badRequest("Tenant '\(tenant.slug)': \(error.detail)")
        }
        for source in tenant.sources {
            do {
                try SourceValidation.check(source, registry: registry)
            } catch {
                throw .badRequest("Tenant '\(tenant.slug)' source '\(source.carrier)': \(error.detail)")
            }
        }
    }

    /// With a master key set, re-seals secrets stored in clear before it was.
    ///
    /// A missing or wrong master key is a deployment error, so it stops the start here with a clear message
    /// (one secret that does not open, among others that do, is a bad row instead: the directory disables
    /// only its source).
    static func sealClearSecrets(store: any GatewayStore, secretBox: SecretBox, logger: Logger) async throws(GatewayError) {
        let sources = try await store.directory().sources
        let sealed = sources.flatMap { source in source.secrets.filter(\.encrypted).map { (source, $0) } }
        if let (source, secret) = sealed.first {
            if !secretBox.encrypts || !sealed.contains(where: { (try? secretBox.open(SealedSecret(bytes: $0.1.bytes, encrypted: true), tenant: $0.0.tenant, carrier: $0.0.carrier)) != nil }) {
                _ = try secretBox.open(SealedSecret(bytes: secret.bytes, encrypted: true), tenant: source.tenant, carrier: source.carrier)
            }
        }
        guard secretBox.encrypts else {
            logger.warning("PARCELGATE_MASTER_KEY is not set: carrier secrets are stored in clear in the database")
            return
        }
        for source in sources {
            for secret in source.secrets where !secret.encrypted {
                let clear = try secretBox.open(SealedSecret(bytes: secret.bytes, encrypted: false), tenant: source.tenant, carrier: source.carrier)
                let sealed = try secretBox.seal(clear, tenant: source.tenant, carrier: source.carrier)
                try await store.updateSecret(tenant: source.tenant, carrier: source.carrier, SecretRecord(id: secret.id, bytes: sealed.bytes, encrypted: true, createdAt: secret.createdAt))
            }
        }
    }
}
