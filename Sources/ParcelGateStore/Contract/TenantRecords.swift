import ParcelGateCore

/// A platform using the gateway. Its sources, secrets and keys are separate records.
public struct TenantRecord: Sendable, Hashable {
    public var slug: String
    /// Token bucket refill rate for ingress; `nil` is unlimited.
    public var ratePerSecond: Double?
    public var rateBurst: Int?
    /// The tenant's retry policy as its config JSON (`nil`: the default policy).
    public var retryPolicyJSON: String?
    public var createdAt: Timestamp

    public init(slug: String, ratePerSecond: Double? = nil, rateBurst: Int? = nil, retryPolicyJSON: String? = nil, createdAt: Timestamp) {
        self.slug = slug
        self.ratePerSecond = ratePerSecond
        self.rateBurst = rateBurst
        self.retryPolicyJSON = retryPolicyJSON
        self.createdAt = createdAt
    }
}

/// A tenant's carrier source: overrides of the adapter's signature defaults, and its active secrets.
public struct SourceRecord: Sendable, Hashable {
    public var tenant: String
    public var carrier: String
    public var scheme: String?
    public var header: String?
    public var prefix: String?
    public var toleranceSeconds: Int?
    public var timezone: String?
    public var createdAt: Timestamp
    /// Every active secret, oldest first; any one verifies (rotation).
    public var secrets: [SecretRecord]

    public init(tenant: String, carrier: String, scheme: String? = nil, header: String? = nil, prefix: String? = nil,
                toleranceSeconds: Int? = nil, timezone: String? = nil, createdAt: Timestamp, secrets: [SecretRecord] = []) {
        self.tenant = tenant
        self.carrier = carrier
        self.scheme = scheme
        self.header = header
        self.prefix = prefix
        self.toleranceSeconds = toleranceSeconds
        self.timezone = timezone
        self.createdAt = createdAt
        self.secrets = secrets
    }
}

/// A carrier secret as stored: sealed (AES-256-GCM) or in clear when no master key is configured.
public struct SecretRecord: Sendable, Hashable {
    public var id: String
    public var bytes: [UInt8]
    public var encrypted: Bool
    public var createdAt: Timestamp

    public init(id: String, bytes: [UInt8], encrypted: Bool, createdAt: Timestamp) {
        self.id = id
        self.bytes = bytes
        self.encrypted = encrypted
        self.createdAt = createdAt
    }
}

/// A tenant API key, held only as its SHA-256 digest.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: String
    public var tenant: String
    public var digest: [UInt8]
    public var label: String?
    public var createdAt: Timestamp

    public init(id: String, tenant: String, digest: [UInt8], label: String?, createdAt: Timestamp) {
        self.id = id
        self.tenant = tenant
        self.digest = digest
        self.label = label
        self.createdAt = createdAt
    }
}

/// Everything the gateway needs to authenticate and route, read in one transaction.
public struct DirectorySnapshot: Sendable, Hashable {
    /// Increases with every change, so replicas can tell when to reload.
    public var version: Int64
    public var tenants: [TenantRecord]
    public var sources: [SourceRecord]
    /// Active (not revoked) keys only.
    public var apiKeys: [APIKeyRecord]

    public init(version: Int64, tenants: [TenantRecord], sources: [SourceRecord], apiKeys: [APIKeyRecord]) {
        self.version = version
        self.tenants = tenants
        self.sources = sources
        self.apiKeys = apiKeys
    }
}
