import Hummingbird
import ParcelGateCore
import ParcelGateStore

/// The tenant's view of its retry queue and dead letters (README, "HTTP contract"). Never the raw body or its headers.
struct RetryRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let authentication: TenantAuthMiddleware<Context>
    let clock: any GatewayClock
    let replayed: @Sendable () -> Void

    func register(on router: Router<Context>) {
        let retries = router.group("/v1/retries").add(middleware: authentication)
        retries.get { request, context in try await self.list(request, tenant: context.tenant()) }
        retries.get("{id}") { _, context in try await self.show(tenant: context.tenant(), id: context.parameters.get("id") ?? "") }
        retries.post("{id}/replay") { _, context in try await self.replay(tenant: context.tenant(), id: context.parameters.get("id") ?? "") }
    }

    func list(_ request: Request, tenant: String) async throws(GatewayError) -> Response {
        var status: RetryStatus?
        if let name = request.uri.queryParameters.get("status") {
            guard let parsed = RetryStatus(rawValue: name) else { throw .badRequest("status must be pending, succeeded or exhausted") }
            status = parsed
        }
        var limit = 100
        if let text = request.uri.queryParameters.get("limit") {
            guard let parsed = StrictNumber.int(text, in: 1...1000) else { throw .badRequest("limit must be between 1 and 1000") }
            limit = parsed
        }
        let entries = try await store.retryEntries(tenant: tenant, status: status, limit: limit)
        return JSONResponse.make(.ok, RetryListJSON(retries: entries.map { RetryEntryJSON($0) }))
    }

    /// The entry with its audit trail: `attempts` is the list of attempts (time, outcome, error), oldest first,
    /// and `attempt_count` the count the list endpoint calls `attempts` (issue 17).
    func show(tenant: String, id: String) async throws(GatewayError) -> Response {
        guard let (entry, attempts) = try await store.retryEntryWithAttempts(tenant: tenant, id: id) else { throw .notFound("Retry entry '\(id)' not found") }
        return JSONResponse.make(.ok, RetryEntryJSON(entry, attemptLog: attempts))
    }

    func replay(tenant: String, id: String) async throws(GatewayError) -> Response {
        let entry = try await store.replayRetry(tenant: tenant, id: id, now: clock.now())
        replayed()
        return JSONResponse.make(.ok, RetryEntryJSON(entry))
    }
}

/// A retry entry as the API shows it: `{"id","carrier","reason","status","attempts","next_attempt_at","last_error","created_at","updated_at"}`.
struct RetryEntryJSON: Encodable {
    let id, carrier, reason, status: String
    let attempts: Int
    let nextAttemptAt: String
    let lastError: String?
    let createdAt, updatedAt: String
    /// Shown alone: the attempt log (then `attempts` is the log and `attempt_count` the count).
    let attemptLog: [RetryAttempt]?
    /// The operator's cross-tenant listing also names each entry's tenant.
    let tenant: String?

    init(_ e: RetryEntry, attemptLog: [RetryAttempt]? = nil, withTenant: Bool = false) {
        self.attemptLog = attemptLog
        tenant = withTenant ? e.tenant : nil
        id = e.id
        carrier = e.carrier
        reason = e.reason.rawValue
        status = e.status.rawValue
        attempts = e.attempts
        nextAttemptAt = e.nextAttemptAt.rfc3339
        lastError = e.lastError
        createdAt = e.createdAt.rfc3339
        updatedAt = e.updatedAt.rfc3339
    }

    enum CodingKeys: String, CodingKey {
        case id, carrier, reason, status, attempts, tenant
        case attemptCount = "attempt_count"
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(carrier, forKey: .carrier)
        try c.encode(reason, forKey: .reason)
        try c.encode(status, forKey: .status)
        if let tenant { try c.encode(tenant, forKey: .tenant) }
        if let attemptLog {
            try c.encode(attempts, forKey: .attemptCount)
            try c.encode(attemptLog.map(RetryAttemptJSON.init), forKey: .attempts)
        } else {
            try c.encode(attempts, forKey: .attempts)
        }
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

struct RetryListJSON: Encodable {
    let retries: [RetryEntryJSON]
}

/// One attempt of an inbound retry: `{"attempt","at","outcome","error"}`.
struct RetryAttemptJSON: Encodable {
    let attempt: RetryAttempt

    init(_ attempt: RetryAttempt) { self.attempt = attempt }

    enum CodingKeys: String, CodingKey { case attempt, at, outcome, error }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attempt.attempt, forKey: .attempt)
        try c.encode(attempt.at.rfc3339, forKey: .at)
        try c.encode(attempt.outcome, forKey: .outcome)
        try c.encode(attempt.error, forKey: .error)
    }
}
