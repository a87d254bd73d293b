import Foundation
import Hummingbird
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// A tenant's webhook endpoints (README, "Platform notifications"). Another tenant's endpoint is `404`, exactly
/// like one that does not exist. The signing secret is shown when it is made (create, rotate) and never again.
struct WebhookEndpointRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let authentication: TenantAuthMiddleware<Context>
    let notifications: NotificationsRuntime
    let clock: any GatewayClock
    let maxBodyBytes: Int

    func register(on router: Router<Context>) {
        let endpoints = router.group("/v1/webhook-endpoints").add(middleware: authentication)
        endpoints.post { request, context in try await self.create(request, tenant: context.tenant()) }
        endpoints.get { _, context in try await self.list(tenant: context.tenant()) }
        endpoints.get("{id}") { _, context in try await self.show(tenant: context.tenant(), id: Self.id(context)) }
        endpoints.patch("{id}") { request, context in try await self.update(request, tenant: context.tenant(), id: Self.id(context)) }
        endpoints.delete("{id}") { _, context in try await self.delete(tenant: context.tenant(), id: Self.id(context)) }
        endpoints.get("{id}/retry-config") { _, context in try await self.retryConfig(tenant: context.tenant(), id: Self.id(context)) }
        endpoints.put("{id}/retry-config") { request, context in try await self.putRetryConfig(request, tenant: context.tenant(), id: Self.id(context)) }
        endpoints.post("{id}/rotate-secret") { request, context in try await self.rotate(request, tenant: context.tenant(), id: Self.id(context)) }
        endpoints.post("{id}/test") { _, context in try await self.test(tenant: context.tenant(), id: Self.id(context)) }
        endpoints.post("{id}/recover") { request, context in try await self.recover(request, tenant: context.tenant(), id: Self.id(context)) }
        endpoints.get("{id}/stats") { _, context in try await self.stats(tenant: context.tenant(), id: Self.id(context)) }
    }

    static func id(_ context: Context) -> String { context.parameters.get("id") ?? "" }

    func create(_ request: Request, tenant: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeJSON(EndpointBody.self, limit: maxBodyBytes)
        guard let url = body.url else { throw .badRequest("url is required") }
        let now = clock.now()
        let id = "ep_" + ByteEncoding.hex(Crypto.randomBytes(count: 10))
        let secret = try body.secret.map(Self.validSecret) ?? WebhookSecret.generate()
        var endpoint = EndpointRecord(
            id: id, tenant: tenant, url: try validURL(url), description: try EndpointBody.description(body.description),
            eventTypes: try EventTypeFilter(body.eventTypes).names, secret: try notifications.secrets.seal(secret, tenant: tenant, endpointId: id, id: "current", at: now),
            createdAt: now, updatedAt: now)
        if let retry = body.retry { endpoint.retryPolicyJSON = try Self.validated(retry).json }
        if let rate = body.rateLimit { endpoint.ratePerSecond = try Self.validated(rate) }
        if body.enabled == false {
            endpoint.enabled = false
            endpoint.disabledReason = "operator"
        }
        try await store.createEndpoint(endpoint)
        return JSONResponse.make(.created, EndpointJSON(endpoint, secret: secret))
    }

    func list(tenant: String) async throws(GatewayError) -> Response {
        JSONResponse.make(.ok, EndpointListJSON(endpoints: try await store.endpoints(tenant: tenant).map { EndpointJSON($0) }))
    }

    func show(tenant: String, id: String) async throws(GatewayError) -> Response {
        JSONResponse.make(.ok, EndpointJSON(try await found(tenant: tenant, id: id)))
    }

    /// `{"url"?, "event_types"?, "description"?, "enabled"?, "rate_limit"?}`: what is given changes. Enabling
    /// sends the deliveries held while it was disabled, in order.
    func update(_ request: Request, tenant: String, id: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeJSON(EndpointBody.self, limit: maxBodyBytes)
        guard body.secret == nil else { throw .badRequest("secret cannot be changed here: use rotate-secret") }
        let url = try body.url.map(validURL)
        let types = try body.eventTypes.map { names throws(GatewayError) in try EventTypeFilter(names).names }
        let description = try EndpointBody.description(body.description)
        let rate = try body.rateLimit.map(Self.validated)
        let retry = try body.retry.map(Self.validated)
        let updated = try await store.updateEndpoint(tenant: tenant, id: id, now: clock.now()) { endpoint in
            if let url { endpoint.url = url }
            if let types { endpoint.eventTypes = types }
            if body.description != nil { endpoint.description = description }
            if let rate { endpoint.ratePerSecond = rate }
            if let retry { endpoint.retryPolicyJSON = retry.json }
            if let enabled = body.enabled { endpoint.enabled = enabled }
        }
        if updated.enabled { notifications.wake() }
        return JSONResponse.make(.ok, EndpointJSON(updated))
    }

    func delete(tenant: String, id: String) async throws(GatewayError) -> Response {
        try await store.deleteEndpoint(tenant: tenant, id: id)
        return Response(status: .noContent)
    }

    func retryConfig(tenant: String, id: String) async throws(GatewayError) -> Response {
        let endpoint = try await found(tenant: tenant, id: id)
        let config = try endpoint.retryPolicyJSON.map { json throws(GatewayError) in try RetryConfig(json: json) }
        let policy = try DeliveryRetryPolicy.policy(for: config)
        return JSONResponse.make(.ok, RetryPolicyJSON(policy))
    }

    func putRetryConfig(_ request: Request, tenant: String, id: String) async throws(GatewayError) -> Response {
        let config = try Self.validated(try await request.decodeJSON(RetryConfig.self, limit: maxBodyBytes))
        let policy = try DeliveryRetryPolicy.policy(for: config)
        _ = try await store.updateEndpoint(tenant: tenant, id: id, now: clock.now()) { $0.retryPolicyJSON = config.json }
        return JSONResponse.make(.ok, RetryPolicyJSON(policy))
    }

    /// `{"grace_s"?}` (default 24 h, at most 7 days): a new secret, shown once; the old one keeps signing
    /// beside it until the grace ends.
    func rotate(_ request: Request, tenant: String, id: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeOptionalJSON(RotateBody.self, limit: maxBodyBytes)
        let grace = body?.graceSeconds ?? 86_400
        try Bounds.check(grace, 0...604_800, "grace_s")
        let now = clock.now()
        let secret = WebhookSecret.generate()
        let sealed = try notifications.secrets.seal(secret, tenant: tenant, endpointId: id, id: "current", at: now)
        let updated = try await store.updateEndpoint(tenant: tenant, id: id, now: now) { endpoint in
            endpoint.previousSecret = endpoint.secret
            endpoint.previousExpiresAt = now.adding(milliseconds: Int64(grace).multipliedSaturating(by: 1000))
            endpoint.secret = sealed
        }
        return JSONResponse.make(.ok, EndpointJSON(updated, secret: secret))
    }

    /// Sends a `ping` now and answers with the delivery as the attempt left it.
    func test(tenant: String, id: String) async throws(GatewayError) -> Response {
        let delivery = try await notifications.ping(tenant: tenant, endpointId: id)
        return JSONResponse.make(.ok, DeliveryJSON(delivery: delivery, detailed: true))
    }

    /// `{"since", "until"?}` (RFC 3339): the endpoint's exhausted deliveries created in that window go back to pending.
    func recover(_ request: Request, tenant: String, id: String) async throws(GatewayError) -> Response {
        let body = try await request.decodeJSON(RecoverBody.self, limit: maxBodyBytes)
        let now = clock.now()
        let since = try Self.instant(body.since, "since")
        // Without `until`, everything since `since`, up to now included.
        let until = try body.until.map { text throws(GatewayError) in try Self.instant(text, "until") } ?? Timestamp(milliseconds: .max)
        guard since < until else { throw .badRequest("since must be before until") }
        let recovered = try await store.recoverDeliveries(tenant: tenant, endpointId: id, since: since, until: until, now: now)
        notifications.wake()
        return JSONResponse.make(.ok, ["recovered": recovered])
    }

    func stats(tenant: String, id: String) async throws(GatewayError) -> Response {
        let endpoint = try await found(tenant: tenant, id: id)
        let now = clock.now()
        let activity = try await store.endpointActivity(tenant: tenant, endpointId: id, since: now.adding(milliseconds: -86_400_000))
        return JSONResponse.make(.ok, EndpointStatsJSON(endpoint: endpoint, activity: activity, now: now))
    }

    private func found(tenant: String, id: String) async throws(GatewayError) -> EndpointRecord {
        guard let endpoint = try await store.endpoint(tenant: tenant, id: id) else { throw .notFound("Webhook endpoint '\(id)' not found") }
        return endpoint
    }

    private func validURL(_ text: String) throws(GatewayError) -> String {
        guard text.utf8.count <= 2048 else { throw .badRequest("url must be at most 2048 bytes") }
        _ = try notifications.urlPolicy.validate(text)
        return text
    }

    /// A caller-chosen signing secret (as Svix allows, for a receiver configured first): `whsec_` and base64
    /// of 24 to 64 random bytes.
    static func validSecret(_ text: String) throws(GatewayError) -> String {
        guard text.hasPrefix("whsec_"), let bytes = ByteEncoding.fromBase64(text.dropFirst(6)), (24...64).contains(bytes.count) else {
            throw .badRequest("secret must be 'whsec_' and the base64 of 24 to 64 random bytes")
        }
        _ = try WebhookSigner(secrets: [text])
        return text
    }

    static func validated(_ retry: RetryConfig) throws(GatewayError) -> RetryConfig {
        do {
            _ = try DeliveryRetryPolicy.policy(for: retry)
        } catch {
            throw .badRequest("retry: \(error.detail)")
        }
        return retry
    }

    static func validated(_ rate: RateLimitJSON) throws(GatewayError) -> Double {
        guard rate.perSecond.isFinite, rate.perSecond >= 0.01, rate.perSecond <= 10_000 else {
            throw .badRequest("rate_limit.per_second must be between 0.01 and 10000")
        }
        return rate.perSecond
    }

    static func instant(_ text: String, _ name: String) throws(GatewayError) -> Timestamp {
        guard let instant = ISO8601Parser.parse(text)?.instant else { throw .badRequest("\(name) must be an RFC 3339 time with an offset, e.g. 2026-11-28T10:00:00Z") }
        return instant
    }
}

/// The create and update body; every field optional here (create requires `url`).
struct EndpointBody: Decodable {
    var url: String?
    /// Create only: the signing secret to use instead of a generated one.
    var secret: String?
    var eventTypes: [String]?
    var description: String?
    var enabled: Bool?
    var retry: RetryConfig?
    var rateLimit: RateLimitJSON?

    enum CodingKeys: String, CodingKey {
        case url, description, enabled, retry, secret
        case eventTypes = "event_types"
        case rateLimit = "rate_limit"
    }

    static func description(_ text: String?) throws(GatewayError) -> String? {
        guard let text else { return nil }
        guard text.utf8.count <= 1024 else { throw .badRequest("description must be at most 1024 bytes") }
        return text
    }
}

struct RotateBody: Decodable {
    var graceSeconds: Int?
    enum CodingKeys: String, CodingKey { case graceSeconds = "grace_s" }
}

struct RecoverBody: Decodable {
    var since: String
    var until: String?
}

/// An endpoint's retry policy as `{"max_attempts","base_delay_s","max_delay_s","multiplier","jitter","schedule_s"}`.
struct RetryPolicyJSON: Encodable {
    let policy: BackoffPolicy
    init(_ policy: BackoffPolicy) { self.policy = policy }

    enum CodingKeys: String, CodingKey {
        case multiplier, jitter
        case maxAttempts = "max_attempts"
        case baseDelay = "base_delay_s"
        case maxDelay = "max_delay_s"
        case schedule = "schedule_s"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(policy.maxAttempts, forKey: .maxAttempts)
        switch policy.curve {
        case .schedule(let seconds):
            try c.encode(seconds, forKey: .schedule)
            try c.encodeNil(forKey: .baseDelay)
            try c.encodeNil(forKey: .maxDelay)
            try c.encodeNil(forKey: .multiplier)
            try c.encode(false, forKey: .jitter)
        case .exponential(let base, let multiplier, let max, let jitter):
            try c.encodeNil(forKey: .schedule)
            try c.encode(base, forKey: .baseDelay)
            try c.encode(max, forKey: .maxDelay)
            try c.encode(multiplier, forKey: .multiplier)
            try c.encode(jitter, forKey: .jitter)
        }
    }
}

/// `GET .../stats`: counts by status, success rate and latency percentiles over the last hour and day, the
/// circuit and its consecutive failures.
struct EndpointStatsJSON: Encodable {
    let endpoint: EndpointRecord
    let activity: EndpointActivity
    let now: Timestamp

    enum CodingKeys: String, CodingKey {
        case counts, circuit, enabled
        case lastHour = "last_hour"
        case lastDay = "last_day"
        case consecutiveFailures = "consecutive_failures"
    }

    struct Window: Encodable {
        let attempts: Int
        let successRate: Double?
        let p50, p90, p99: Int64?
        enum CodingKeys: String, CodingKey {
            case attempts
            case successRate = "success_rate"
            case p50 = "p50_ms"
            case p90 = "p90_ms"
            case p99 = "p99_ms"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(successRate, forKey: .successRate)
            try c.encode(p50, forKey: .p50)
            try c.encode(p90, forKey: .p90)
            try c.encode(p99, forKey: .p99)
        }
    }

    static func window(_ samples: [AttemptSample]) -> Window {
        guard !samples.isEmpty else { return Window(attempts: 0, successRate: nil, p50: nil, p90: nil, p99: nil) }
        let durations = samples.map(\.durationMilliseconds).sorted()
        func percentile(_ p: Int) -> Int64 { durations[min(durations.count - 1, (durations.count * p) / 100)] }
        let succeeded = samples.filter(\.succeeded).count
        return Window(attempts: samples.count, successRate: Double(succeeded) / Double(samples.count), p50: percentile(50), p90: percentile(90), p99: percentile(99))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var counts: [String: Int] = [:]
        for status in DeliveryStatus.allCases { counts[status.rawValue] = activity.countsByStatus[status] ?? 0 }
        try c.encode(counts, forKey: .counts)
        let hourAgo = now.adding(milliseconds: -3_600_000)
        try c.encode(Self.window(activity.attempts.filter { $0.startedAt >= hourAgo }), forKey: .lastHour)
        try c.encode(Self.window(activity.attempts), forKey: .lastDay)
        try c.encode(endpoint.circuit.state, forKey: .circuit)
        try c.encode(endpoint.circuit.consecutiveFailures, forKey: .consecutiveFailures)
        try c.encode(endpoint.enabled, forKey: .enabled)
    }
}
