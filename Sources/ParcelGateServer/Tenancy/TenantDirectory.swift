import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// A carrier source ready for the hot path: adapter and verifier built once, secrets already derived into keys.
public struct ResolvedSource: Sendable {
    public let tenant: String
    public let carrier: String
    public let adapter: any CarrierAdapter
    public let verifier: SignatureVerifier
    public let timezone: String?
    /// Lower-cased names of headers never stored with a queued callback: credentials and this source's signature headers.
    public let unstorableHeaders: Set<String>
    /// The tenant's retry policy.
    public let retryPolicy: BackoffPolicy
}

/// Who is who: tenants' carrier sources and API keys, resolved once from configuration.
///
/// Lookups are dictionary reads with no locking or allocation beyond the key, so the ingress path
/// does no per-request setup. API keys are held only as SHA-256 digests and compared in constant time.
public struct TenantDirectory: Sendable {
    private let sources: [SourceKey: ResolvedSource]
    private let apiKeyDigests: [(digest: [UInt8], tenant: String)]
    private let policies: [String: BackoffPolicy]
    public let defaultPolicy: BackoffPolicy
    public let tenants: [String]

    /// Headers that carry credentials on any request.
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    struct SourceKey: Hashable, Sendable {
        let tenant: String
        let carrier: String
    }

    public init(config: GatewayConfig, registry: CarrierRegistry = .standard) throws(GatewayError) {
        var sources: [SourceKey: ResolvedSource] = [:]
        var digests: [(digest: [UInt8], tenant: String)] = []
        var tenants: [String] = []
        var policies: [String: BackoffPolicy] = [:]
        let defaultPolicy: BackoffPolicy
        do {
            defaultPolicy = try config.retry?.policy() ?? .default
        } catch {
            throw .badRequest("Invalid default retry policy: \(error.detail)")
        }
        for tenant in config.tenants {
            let slug = tenant.slug
            guard Self.isSlug(slug) else { throw .badRequest("Tenant slug '\(slug)' must be lowercase letters, digits, '-' or '_'") }
            guard !tenants.contains(slug) else { throw .badRequest("Tenant '\(slug)' is configured twice") }
            tenants.append(slug)
            do {
                policies[slug] = try tenant.retry?.policy() ?? defaultPolicy
            } catch {
                throw .badRequest("Tenant '\(slug)' has an invalid retry policy: \(error.detail)")
            }
            for key in tenant.apiKeys {
                guard key.utf8.count >= 16 else { throw .badRequest("Tenant '\(slug)' has an API key shorter than 16 characters") }
                digests.append((Crypto.sha256(Array(key.utf8)), slug))
            }
            for source in tenant.sources {
                let carrier = source.carrier.lowercased()
                guard let adapter = registry.adapter(for: carrier) else {
                    throw .badRequest("Tenant '\(slug)' names unknown carrier '\(source.carrier)'; known: \(registry.slugs.joined(separator: ", "))")
                }
                let settings: SignatureSettings
                do {
                    settings = try source.signatureSettings(defaults: adapter.defaultSignature)
                } catch {
                    throw .badRequest("Tenant '\(slug)' source '\(carrier)': \(error.detail)")
                }
                if let zone = source.timezone, TimeZone(identifier: zone) == nil {
                    throw .badRequest("Tenant '\(slug)' source '\(carrier)': unknown time zone '\(zone)'")
                }
                let verifier: SignatureVerifier
                do {
                    verifier = try SignatureVerifier(settings: settings, secrets: source.secrets)
                } catch {
                    throw .badRequest("Tenant '\(slug)' source '\(carrier)': \(error.detail)")
                }
                var unstorable = Self.credentialHeaders
                unstorable.insert(settings.header.lowercased())
                for alternative in settings.alternatives { unstorable.insert(alternative.header.lowercased()) }
                if settings.scheme == .standardWebhooks { unstorable.insert(SignatureSettings.StandardWebhooksHeader.signature) }
                sources[SourceKey(tenant: slug, carrier: carrier)] = ResolvedSource(
                    tenant: slug, carrier: carrier, adapter: adapter, verifier: verifier, timezone: source.timezone,
                    unstorableHeaders: unstorable, retryPolicy: policies[slug] ?? defaultPolicy
                )
            }
        }
        self.sources = sources
        self.apiKeyDigests = digests
        self.tenants = tenants
        self.policies = policies
        self.defaultPolicy = defaultPolicy
    }

    /// The retry policy for `tenant`'s entries.
    public func retryPolicy(for tenant: String) -> BackoffPolicy { policies[tenant] ?? defaultPolicy }

    public func source(tenant: String, carrier: String) -> ResolvedSource? {
        sources[SourceKey(tenant: tenant, carrier: carrier)]
    }

    /// The tenant an API key belongs to. Every stored digest is compared, so timing says nothing about which.
    public func tenant(forAPIKey key: String) -> String? {
        let digest = Crypto.sha256(Array(key.utf8))
        var found: String?
        for entry in apiKeyDigests where Crypto.constantTimeEquals(entry.digest, digest) { found = entry.tenant }
        return found
    }

    static func isSlug(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }
    }
}
