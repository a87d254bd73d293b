import ParcelGateCore
import ParcelGateStore

/// A webhook endpoint as the API shows it: `{"id","url","event_types","enabled","description","created_at",
/// "updated_at"}`, plus `disabled_reason`, `rate_limit` and `circuit`; `secret` only when it is created or rotated.
struct EndpointJSON: Encodable {
    let id, url: String
    let eventTypes: [String]
    let enabled: Bool
    let disabledReason: String?
    let description: String?
    let rateLimit: RateLimitJSON?
    let circuit: String
    let createdAt, updatedAt: String
    let secret: String?

    init(_ e: EndpointRecord, secret: String? = nil) {
        id = e.id
        url = e.url
        eventTypes = e.eventTypes
        enabled = e.enabled
        disabledReason = e.disabledReason
        description = e.description
        rateLimit = e.ratePerSecond.map { RateLimitJSON(perSecond: $0) }
        circuit = e.circuit.state
        createdAt = e.createdAt.rfc3339
        updatedAt = e.updatedAt.rfc3339
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, url, enabled, description, circuit, secret
        case eventTypes = "event_types"
        case disabledReason = "disabled_reason"
        case rateLimit = "rate_limit"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(url, forKey: .url)
        try c.encode(eventTypes, forKey: .eventTypes)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(disabledReason, forKey: .disabledReason)
        try c.encode(description, forKey: .description)
        try c.encode(rateLimit, forKey: .rateLimit)
        try c.encode(circuit, forKey: .circuit)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(secret, forKey: .secret)
    }
}

struct RateLimitJSON: Codable, Sendable {
    let perSecond: Double
    enum CodingKeys: String, CodingKey { case perSecond = "per_second" }
}

struct EndpointListJSON: Encodable { let endpoints: [EndpointJSON] }

/// A delivery: `{"id","endpoint_id","event_id","type","status","attempt_count","next_attempt_at","fulfillment_id","sequence",
/// "last_status_code","last_error","created_at","updated_at"}`; shown alone, also `attempts` (the attempt log) and the
/// signed `payload`.
struct DeliveryJSON: Encodable {
    let delivery: DeliveryRecord
    let detailed: Bool
    /// The operator's cross-tenant listing also names each delivery's tenant.
    var withTenant = false

    enum CodingKeys: String, CodingKey {
        case id, type, status, attempts, sequence, payload, tenant
        case endpointId = "endpoint_id"
        case eventId = "event_id"
        case attemptCount = "attempt_count"
        case nextAttemptAt = "next_attempt_at"
        case fulfillmentId = "fulfillment_id"
        case lastStatusCode = "last_status_code"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        let d = delivery
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(d.id, forKey: .id)
        if withTenant { try c.encode(d.tenant, forKey: .tenant) }
        try c.encode(d.endpointId, forKey: .endpointId)
        try c.encode(d.eventId, forKey: .eventId)
        try c.encode(d.eventType, forKey: .type)
        try c.encode(d.status.rawValue, forKey: .status)
        try c.encode(d.attempts, forKey: .attemptCount)
        try c.encode(d.status == .pending || d.status == .failed ? d.nextAttemptAt.rfc3339 : nil, forKey: .nextAttemptAt)
        try c.encode(d.fulfillmentId, forKey: .fulfillmentId)
        try c.encode(d.sequence, forKey: .sequence)
        try c.encode(d.lastStatusCode, forKey: .lastStatusCode)
        try c.encode(d.lastError, forKey: .lastError)
        try c.encode(d.createdAt.rfc3339, forKey: .createdAt)
        try c.encode(d.updatedAt.rfc3339, forKey: .updatedAt)
        if detailed {
            try c.encode(d.attemptLog.map(AttemptJSON.init), forKey: .attempts)
            try c.encode(String(decoding: d.payload, as: UTF8.self), forKey: .payload)
        }
    }
}

/// `{"attempt","trigger","started_at","duration_ms","status_code","response_excerpt","error"}`.
struct AttemptJSON: Encodable {
    let attempt: AttemptRecord

    init(_ attempt: AttemptRecord) { self.attempt = attempt }

    enum CodingKeys: String, CodingKey {
        case attempt, trigger, error
        case startedAt = "started_at"
        case durationMs = "duration_ms"
        case statusCode = "status_code"
        case responseExcerpt = "response_excerpt"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attempt.attempt, forKey: .attempt)
        try c.encode(attempt.trigger, forKey: .trigger)
        try c.encode(attempt.startedAt.rfc3339, forKey: .startedAt)
        try c.encode(attempt.durationMilliseconds, forKey: .durationMs)
        try c.encode(attempt.statusCode, forKey: .statusCode)
        try c.encode(attempt.responseExcerpt, forKey: .responseExcerpt)
        try c.encode(attempt.error, forKey: .error)
    }
}

struct DeliveryListJSON: Encodable {
    let deliveries: [DeliveryJSON]
}
