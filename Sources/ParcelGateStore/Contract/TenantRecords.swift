import ParcelGateCore

/// A platform using the gateway. Its sources, secrets and keys are separate records.
package struct TenantRecord: Sendable, Hashable {
    package var slug: String
    /// Token bucket refill rate for ingress; `nil` is unlimited.
    package var ratePerSecond: Double?
    package var rateBurst: Int?
    /// The tenant's retry policy as its config JSON (`nil`: the default policy).
    package var retryPolicyJSON: String?
    package var createdAt: Timestamp

    package init(slug: String, ratePerSecond: Double? = nil, rateBurst: Int? = nil, retryPolicyJSON: String? = nil, createdAt: Timestamp) {
        self.slug = slug
        self.ratePerSecond = ratePerSecond
        self.rateBurst = rateBurst
        self.retryPolicyJSON = retryPolicyJSON
        self.createdAt = createdAt
    }
}

/// A tenant's carrier source: overrides of the adapter's signature defaults, and its active secrets.
package struct SourceRecord: Sendable, Hashable {
    package var tenant: String
    package var carrier: String
    package var scheme: String?
    package var header: String?
    package var prefix: String?
    package var toleranceSeconds: Int?
    package var timezone: String?
    package var createdAt: Timestamp
    /// Every active secret, oldest first; any one verifies (rotation).
    package var secrets: [SecretRecord]

    package init(tenant: String, carrier: String, scheme: String? = nil, header: String? = nil, prefix: String? = nil,
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
package struct SecretRecord: Sendable, Hashable {
    package var id: String
    package var bytes: [UInt8]
    package var encrypted: Bool
    package var createdAt: Timestamp

    package init(id: String, bytes: [UInt8], encrypted: Bool, createdAt: Timestamp) {
        self.id = id
        self.bytes = bytes
        self.encrypted = encrypted
        self.createdAt = createdAt
    }
}

/// A tenant API key, held only as its SHA-256 digest.
package struct APIKeyRecord: Sendable, Hashable {
    package var id: String
    package var tenant: String
    package var digest: [UInt8]
    package var label: String?
    package var createdAt: Timestamp

    package init(id: String, tenant: String, digest: [UInt8], label: String?, createdAt: Timestamp) {
        self.id = id
        self.tenant = tenant
        self.digest = digest
        self.label = label
        self.createdAt = createdAt
    }
}

/// Everything the gateway needs to authenticate and route, read in one transaction.
package struct DirectorySnapshot: Sendable, Hashable {
    /// Increases with every change, so replicas can tell when to reload.
    package var version: Int64
    package var tenants: [TenantRecord]
    package var sources: [SourceRecord]
    /// Active (not revoked) keys only.
    package var apiKeys: [APIKeyRecord]

    package init(version: Int64, tenants: [TenantRecord], sources: [SourceRecord], apiKeys: [APIKeyRecord]) {
        self.version = version
        self.tenants = tenants
        self.sources = sources
        self.apiKeys = apiKeys
    }
}
