import Foundation
import Hummingbird
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// The operator API under `/v1/admin`: tenants, their carrier sources and secrets, and API keys.
///
/// New secrets and keys are shown once, in the response that creates them; nothing else ever returns
/// them. Every change reloads the directory before answering, so the next request sees it.
struct AdminRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let directory: DirectoryProvider
    let authentication: OperatorAuthMiddleware<Context>
    let clock: any GatewayClock
    let maxBodyBytes: Int
    let registry = CarrierRegistry.standard

    func register(on router: Router<Context>) {
        let admin = router.group("/v1/admin").add(middleware: authentication)
        admin.post("/tenants") { request, _ in try await self.createTenant(request) }
        admin.get("/tenants") { request, _ in try await self.listTenants(request) }
        admin.get("/tenants/{slug}") { request, context in try await self.showTenant(request, slug: context.slug) }
        admin.patch("/tenants/{slug}") { request, context in try await self.updateTenant(request, slug: context.slug) }
        admin.put("/tenants/{slug}/sources/{carrier}") { request, context in try await self.putSource(request, slug: context.slug, carrier: context.carrier) }
        admin.delete("/tenants/{slug}/sources/{carrier}") { request, context in try await self.deleteSource(request, slug: context.slug, carrier: context.carrier) }
        admin.post("/tenants/{slug}/sources/{carrier}/secrets") { request, context in try await self.addSecret(request, slug: context.slug, carrier: context.carrier) }
        admin.delete("/tenants/{slug}/sources/{carrier}/secrets/{id}") { request, context in
            try await self.removeSecret(request, slug: context.slug, carrier: context.carrier, id: context.parameters.get("id") ?? "")
        }
        admin.post("/tenants/{slug}/api-keys") { request, context in try await self.issueKey(request, slug: context.slug) }
        admin.delete("/tenants/{slug}/api-keys/{id}") { request, context in try await self.revokeKey(request, slug: context.slug, id: context.parameters.get("id") ?? "") }
    }

    // MARK: Tenants

    struct TenantBody: Decodable {
        let slug: String?
        let rateLimit: RateLimitConfig?
        let retry: RetryConfig?
        enum CodingKeys: String, CodingKey {
            case slug, retry
            case rateLimit = "rate_limit"
        }
    }

    func createTenant(_ request: Request) async throws(GatewayError) -> Response {
        let body = try await request.decodeJSON(TenantBody.self, limit: maxBodyBytes)
        guard let slug = body.slug, TenantDirectory.isSlug(slug) else { throw .badRequest("slug must be 1-64 lowercase letters, digits, '-' or '_'") }
        try validate(body)
        try await store.createTenant(TenantRecord(slug: slug, ratePerSecond: body.rateLimit?.perSecond, rateBurst: body.rateLimit?.burst,
                                                  retryPolicyJSON: body.retry?.json, createdAt: clock.now()))
        try await directory.reload()
        return JSONResponse.make(.created, try await tenantJSON(slug))
    }

    func listTenants(_ request: Request) async throws(GatewayError) -> Response {
        let snapshot = try await store.directory()
        return JSONResponse.make(.ok, ["tenants": snapshot.tenants.map { TenantJSON($0, snapshot: snapshot) }])
    }

    func showTenant(_ request: Request, slug: String) async throws(GatewayError) -> Response {
        return JSONResponse.make(.ok, try await tenantJSON(slug))
    }

    func updateTenant(_ request: Request, slug: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeJSON(TenantBody.self, limit: maxBodyBytes)
        try validate(body)
        guard var tenant = try await store.directory().tenants.first(where: { $0.slug == slug }) else { throw .notFound("Tenant '\(slug)' not found") }
        if let rateLimit = body.rateLimit {
            tenant.ratePerSecond = rateLimit.perSecond
            tenant.rateBurst = rateLimit.burst
        }
        if let retry = body.retry { tenant.retryPolicyJSON = retry.json }
        try await store.updateTenant(tenant)
        try await directory.reload()
        return JSONResponse.make(.ok, try await tenantJSON(slug))
    }

    func validate(_ body: TenantBody) throws(GatewayError) {
        _ = try body.rateLimit?.validated()
        _ = try body.retry?.policy()
    }

    // MARK: Sources and secrets

    struct SourceBody: Decodable {
        let scheme: String?
        let header: String?
        let prefix: String?
        let toleranceSeconds: Int?
        let timezone: String?
        let secret: String?
        enum CodingKeys: String, CodingKey {
            case scheme, header, prefix, timezone, secret
            case toleranceSeconds = "tolerance_s"
        }
    }

    /// Creates or updates a source. A new source gets the given `secret`, or a generated one, shown once.
    func putSource(_ request: Request, slug: String, carrier rawCarrier: String) async throws(GatewayError) -> Response {
        let carrier = rawCarrier.lowercased()
        let body = try await request.decodeJSON(SourceBody.self, limit: maxBodyBytes)
        let snapshot = try await store.directory()
        guard snapshot.tenants.contains(where: { $0.slug == slug }) else { throw .notFound("Tenant '\(slug)' not found") }
        let existing = snapshot.sources.first { $0.tenant == slug && $0.carrier == carrier }
        let isNew = existing == nil
        // An update keeps every setting the body leaves out.
        let now = clock.now()
        let record = SourceRecord(
            tenant: slug, carrier: carrier, scheme: body.scheme ?? existing?.scheme, header: body.header ?? existing?.header,
            prefix: body.prefix ?? existing?.prefix, toleranceSeconds: body.toleranceSeconds ?? existing?.toleranceSeconds,
            timezone: body.timezone ?? existing?.timezone, createdAt: existing?.createdAt ?? now
        )
        // Validate the source as it will be after this change, with every secret it will hold, before
        // anything commits: a change the directory could not load would otherwise disable the source (a new
        // scheme the stored secrets do not fit, a generated secret the scheme cannot use).
        let settings = try SourceValidation.settings(record.config(secrets: []), registry: registry)
        // A new source without a secret gets a generated one, or the carrier's published JWKS URL when it verifies
        // with public keys (nothing to generate).
        let newSecret = isNew || body.secret != nil ? body.secret ?? (settings.scheme == .rsaSHA256JWKS ? settings.defaultKeySetURL : nil) ?? Identifiers.newSecretValue(for: settings.scheme) : nil
        var kept: [String] = []
        var unusable = false
        for sealed in existing?.secrets ?? [] {
            // A stored secret that does not open (a damaged row) cannot be kept: only a replacement mends it.
            if let value = try? directory.secretBox.open(SealedSecret(bytes: sealed.bytes, encrypted: sealed.encrypted), tenant: slug, carrier: carrier) {
                kept.append(value)
            } else {
                unusable = true
            }
        }
        // With a given secret, the stored ones are replaced when they do not fit the new settings (or do not
        // open): the way to change a source's scheme, or to mend a source the directory disabled.
        var replacesStored = false
        do throws(GatewayError) {
            guard !unusable else { throw .badRequest("a stored secret of this source cannot be opened") }
            try SourceValidation.check(record.config(secrets: kept + [newSecret].compactMap { $0 }), registry: registry)
        } catch {
            guard !isNew else { throw error }
            guard let given = body.secret else {
                throw .badRequest("\(error.detail): the source's stored secrets do not fit these settings; give a `secret` that does, and it replaces them")
            }
            try SourceValidation.check(record.config(secrets: [given]), registry: registry)
            replacesStored = true
        }
        try await store.putSource(record)
        var created: NewSecretJSON?
        if let newSecret {
            created = try await storeSecret(newSecret, tenant: slug, carrier: carrier, at: now)
        }
        if replacesStored {
            for stale in existing?.secrets ?? [] { try await store.removeSecret(tenant: slug, carrier: carrier, id: stale.id) }
        }
        try await directory.reload()
        return JSONResponse.make(isNew ? .created : .ok, SourceReply(source: try await sourceJSON(slug, carrier), secret: created))
    }

    func deleteSource(_ request: Request, slug: String, carrier: String) async throws(GatewayError) -> Response {
        try await store.deleteSource(tenant: slug, carrier: carrier.lowercased())
        try await directory.reload()
        return JSONResponse.make(.ok, ["status": "deleted"])
    }

    struct SecretBody: Decodable {
        let secret: String?
    }

    /// Adds a secret beside the existing ones: during a rotation both verify until the old one is removed.
    func addSecret(_ request: Request, slug: String, carrier rawCarrier: String) async throws(GatewayError) -> Response {
        let carrier = rawCarrier.lowercased()
        let body = try await request.decodeOptionalJSON(SecretBody.self, limit: maxBodyBytes)
        guard let source = try await store.directory().sources.first(where: { $0.tenant == slug && $0.carrier == carrier }) else {
            throw .notFound("Source '\(carrier)' of tenant '\(slug)' not found")
        }
        let scheme = try SourceValidation.settings(source.config(secrets: []), registry: registry).scheme
        let value = body?.secret ?? Identifiers.newSecretValue(for: scheme)
        // A secret the source's scheme cannot use (say, not base64 for standard-webhooks) is refused here.
        try SourceValidation.check(source.config(secrets: [value]), registry: registry)
        let created = try await storeSecret(value, tenant: slug, carrier: carrier, at: clock.now())
        try await directory.reload()
        return JSONResponse.make(.created, created)
    }

    func removeSecret(_ request: Request, slug: String, carrier: String, id: String) async throws(GatewayError) -> Response {
        try await store.removeSecret(tenant: slug, carrier: carrier.lowercased(), id: id)
        try await directory.reload()
        return JSONResponse.make(.ok, ["status": "deleted"])
    }

    func storeSecret(_ value: String, tenant: String, carrier: String, at now: Timestamp) async throws(GatewayError) -> NewSecretJSON {
        let sealed = try directory.secretBox.seal(value, tenant: tenant, carrier: carrier)
        let id = Identifiers.secret()
        try await store.addSecret(tenant: tenant, carrier: carrier, SecretRecord(id: id, bytes: sealed.bytes, encrypted: sealed.encrypted, createdAt: now))
        return NewSecretJSON(id: id, secret: value, createdAt: now.rfc3339)
    }

    // MARK: API keys

    struct KeyBody: Decodable {
        let label: String?
    }

    func issueKey(_ request: Request, slug: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeOptionalJSON(KeyBody.self, limit: maxBodyBytes)
        let value = Identifiers.newAPIKeyValue()
        let now = clock.now()
        let record = APIKeyRecord(id: Identifiers.apiKey(), tenant: slug, digest: try TenantDirectory.digest(ofAPIKey: value), label: body?.label, createdAt: now)
        try await store.addAPIKey(record)
        try await directory.reload()
        return JSONResponse.make(.created, NewKeyJSON(id: record.id, key: value, label: record.label, createdAt: now.rfc3339))
    }

    func revokeKey(_ request: Request, slug: String, id: String) async throws(GatewayError) -> Response {
        try await store.revokeAPIKey(tenant: slug, id: id, at: clock.now())
        try await directory.reload()
        return JSONResponse.make(.ok, ["status": "revoked"])
    }

    // MARK: Views

    func tenantJSON(_ slug: String) async throws(GatewayError) -> TenantJSON {
        let snapshot = try await store.directory()
        guard let tenant = snapshot.tenants.first(where: { $0.slug == slug }) else { throw .notFound("Tenant '\(slug)' not found") }
        return TenantJSON(tenant, snapshot: snapshot)
    }

    func sourceJSON(_ slug: String, _ carrier: String) async throws(GatewayError) -> SourceJSON {
        guard let source = try await store.directory().sources.first(where: { $0.tenant == slug && $0.carrier == carrier }) else {
            throw .notFound("Source '\(carrier)' of tenant '\(slug)' not found")
        }
        return SourceJSON(source)
    }
}

extension RequestContext {
    var slug: String { parameters.get("slug") ?? "" }
    var carrier: String { parameters.get("carrier") ?? "" }
}

/// A tenant as the operator sees it: settings, sources with secret ids (never values), key ids.
struct TenantJSON: Encodable {
    let slug: String
    let rateLimit: RateLimitConfig?
    let retry: RetryConfig?
    let sources: [SourceJSON]
    let apiKeys: [KeyJSON]
    let createdAt: String

    init(_ tenant: TenantRecord, snapshot: DirectorySnapshot) {
        slug = tenant.slug
        rateLimit = tenant.ratePerSecond.map { RateLimitConfig(perSecond: $0, burst: tenant.rateBurst) }
        retry = tenant.retryPolicyJSON.flatMap { try? RetryConfig(json: $0) }
        sources = snapshot.sources.filter { $0.tenant == tenant.slug }.map(SourceJSON.init)
        apiKeys = snapshot.apiKeys.filter { $0.tenant == tenant.slug }.map { KeyJSON(id: $0.id, label: $0.label, createdAt: $0.createdAt.rfc3339) }
        createdAt = tenant.createdAt.rfc3339
    }

    enum CodingKeys: String, CodingKey {
        case slug, retry, sources
        case rateLimit = "rate_limit"
        case apiKeys = "api_keys"
        case createdAt = "created_at"
    }
}

struct SourceJSON: Encodable {
    let carrier: String
    let scheme, header, prefix, timezone: String?
    let toleranceSeconds: Int?
    let secrets: [SecretIdJSON]

    init(_ source: SourceRecord) {
        carrier = source.carrier
        scheme = source.scheme
        header = source.header
        prefix = source.prefix
        timezone = source.timezone
        toleranceSeconds = source.toleranceSeconds
        secrets = source.secrets.map { SecretIdJSON(id: $0.id, encrypted: $0.encrypted, createdAt: $0.createdAt.rfc3339) }
    }

    enum CodingKeys: String, CodingKey {
        case carrier, scheme, header, prefix, timezone, secrets
        case toleranceSeconds = "tolerance_s"
    }
}

struct SecretIdJSON: Encodable {
    let id: String
    let encrypted: Bool
    let createdAt: String
    enum CodingKeys: String, CodingKey {
        case id, encrypted
        case createdAt = "created_at"
    }
}

struct KeyJSON: Encodable {
    let id: String
    let label: String?
    let createdAt: String
    enum CodingKeys: String, CodingKey {
        case id, label
        case createdAt = "created_at"
    }
}

/// The only response that carries a secret's value: the one that creates it.
struct NewSecretJSON: Encodable {
    let id: String
    let secret: String
    let createdAt: String
    enum CodingKeys: String, CodingKey {
        case id, secret
        case createdAt = "created_at"
    }
}

/// The only response that carries an API key: the one that issues it.
struct NewKeyJSON: Encodable {
    let id: String
    let key: String
    let label: String?
    let createdAt: String
    enum CodingKeys: String, CodingKey {
        case id, key, label
        case createdAt = "created_at"
    }
}

struct SourceReply: Encodable {
    let source: SourceJSON
    let secret: NewSecretJSON?
}
