import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// A carrier source ready for the hot path: adapter and verifier built once, secrets already derived into keys.
struct ResolvedSource: Sendable {
    let tenant: String
    let carrier: String
    let adapter: any CarrierAdapter
    let verifier: SignatureVerifier
    let timezone: String?
    /// Lower-cased names of headers never stored with a queued callback: credentials and this source's signature headers.
    let unstorableHeaders: Set<String>
    /// The tenant's retry policy.
    let retryPolicy: BackoffPolicy
    /// The tenant's ingress rate limit, if it has one (resolved here so a callback needs one directory read).
    let rateLimit: RateLimitConfig?
}

/// Who is who: tenants' carrier sources, API keys, retry policies and rate limits, resolved once from a
/// ``DirectorySnapshot`` of the database.
///
/// Immutable: an operator change builds a new directory (see ``DirectoryProvider``). Lookups are
/// dictionary reads, so the ingress path does no per-request setup. API keys are held only as SHA-256
/// digests and compared in constant time; carrier secrets are decrypted here, once, into verifier keys.
struct TenantDirectory: Sendable {
    private let sources: [SourceKey: ResolvedSource]
    /// Tenants by the SHA-256 digest of their API keys.
    private let apiKeyDigests: [[UInt8]: String]
    private let policies: [String: BackoffPolicy]
    let defaultPolicy: BackoffPolicy
    let tenants: [String]
    /// The snapshot version this directory was built from.
    let version: Int64
    /// What could not be loaded, each disabled on its own so that everything else keeps working: a source
    /// whose row cannot be used (edited by hand, say) or a tenant's unusable retry policy (the default
    /// applies). The provider logs each and counts them in `/metrics`.
    let problems: [LoadProblem]

    /// One part of the directory that did not load, and why (never a secret).
    struct LoadProblem: Sendable, Hashable {
        let tenant: String
        /// The source's carrier, or `nil` for a tenant-level setting.
        let carrier: String?
        let detail: String
    }

    /// Headers that carry credentials on any request.
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    struct SourceKey: Hashable, Sendable {
        let tenant: String
        let carrier: String
    }

    init(snapshot: DirectorySnapshot, secretBox: SecretBox, defaultPolicy: BackoffPolicy, registry: CarrierRegistry = .standard) throws(GatewayError) {
        var policies: [String: BackoffPolicy] = [:]
        var rateLimits: [String: RateLimitConfig] = [:]
        var problems: [LoadProblem] = []
        for tenant in snapshot.tenants {
            do {
                policies[tenant.slug] = try tenant.retryPolicyJSON.map { json throws(GatewayError) in try RetryConfig(json: json).policy() } ?? defaultPolicy
            } catch {
                policies[tenant.slug] = defaultPolicy
                problems.append(LoadProblem(tenant: tenant.slug, carrier: nil, detail: "invalid retry policy, the default applies: \(error.detail)"))
            }
            if let perSecond = tenant.ratePerSecond {
                do {
                    rateLimits[tenant.slug] = try RateLimitConfig(perSecond: perSecond, burst: tenant.rateBurst).validated()
                } catch {
                    problems.append(LoadProblem(tenant: tenant.slug, carrier: nil, detail: "invalid rate limit, none applies: \(error.detail)"))
                }
            }
        }
        var sources: [SourceKey: ResolvedSource] = [:]
        for source in snapshot.sources where !source.secrets.isEmpty {
            guard let adapter = registry.adapter(for: source.carrier) else {
                problems.append(LoadProblem(tenant: source.tenant, carrier: source.carrier, detail: "no adapter for this carrier"))
                continue
            }
            do {
                let settings = try source.config(secrets: []).signatureSettings(defaults: adapter.defaultSignature)
                var secrets: [String] = []
                for sealed in source.secrets {
                    secrets.append(try secretBox.open(SealedSecret(bytes: sealed.bytes, encrypted: sealed.encrypted), tenant: source.tenant, carrier: source.carrier))
                }
                var unstorable = Self.credentialHeaders
                unstorable.insert(settings.header.lowercased())
                for alternative in settings.alternatives { unstorable.insert(alternative.header.lowercased()) }
                if settings.scheme == .standardWebhooks { unstorable.insert(SignatureSettings.StandardWebhooksHeader.signature) }
                sources[SourceKey(tenant: source.tenant, carrier: source.carrier)] = ResolvedSource(
                    tenant: source.tenant, carrier: source.carrier, adapter: adapter,
                    verifier: try SignatureVerifier(settings: settings, secrets: secrets), timezone: source.timezone,
                    unstorableHeaders: unstorable, retryPolicy: policies[source.tenant] ?? defaultPolicy,
                    rateLimit: rateLimits[source.tenant]
                )
            } catch {
                // Only this source is disabled; its callbacks answer `unknown_source` until it is fixed.
                problems.append(LoadProblem(tenant: source.tenant, carrier: source.carrier, detail: error.detail))
            }
        }
        self.sources = sources
        self.apiKeyDigests = Dictionary(snapshot.apiKeys.map { ($0.digest, $0.tenant) }, uniquingKeysWith: { first, _ in first })
        self.policies = policies
        self.defaultPolicy = defaultPolicy
        self.tenants = snapshot.tenants.map(\.slug)
        self.version = snapshot.version
        self.problems = problems
    }

    func source(tenant: String, carrier: String) -> ResolvedSource? {
        sources[SourceKey(tenant: tenant, carrier: carrier)]
    }

    /// The retry policy for `tenant`'s entries.
    func retryPolicy(for tenant: String) -> BackoffPolicy { policies[tenant] ?? defaultPolicy }


    /// The tenant an API key belongs to: one dictionary lookup by the key's digest, then the digest found
    /// compared in constant time. Only digests are hashed and compared, so timing says nothing about a key.
    func tenant(forAPIKey key: String) -> String? {
        guard let digest = try? Self.digest(ofAPIKey: key), let entry = apiKeyDigests.index(forKey: digest) else { return nil }
        let (stored, tenant) = apiKeyDigests[entry]
        return Crypto.constantTimeEquals(stored, digest) ? tenant : nil
    }

    /// How an API key is stored.
    static func digest(ofAPIKey key: String) throws(GatewayError) -> [UInt8] { try Crypto.sha256(Array(key.utf8)) }

    static func isSlug(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }
    }
}

extension SourceRecord {
    /// This record as a config source, so one function (``SourceConfig/signatureSettings(defaults:)``)
    /// resolves settings for config files and database rows alike.
    func config(secrets: [String]) -> SourceConfig {
        SourceConfig(carrier: carrier, scheme: scheme, header: header, prefix: prefix, secrets: secrets, toleranceSeconds: toleranceSeconds, timezone: timezone)
    }
}
