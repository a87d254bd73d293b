/// Every failure the gateway reports to a caller, as a value: a stable `code`, an HTTP status and a
/// human `detail`. The HTTP layer turns it into `{"code", "detail", "request_id"}`.
///
/// Details never carry secrets, keys or signature values: they are written for the caller to read.
package enum GatewayError: Error, Sendable, Hashable {
    case unknownSource(tenant: String, carrier: String)
    case payloadTooLarge(limit: Int)
    case invalidSignature(String)
    case invalidPayload(String)
    case invalidTransition(from: FulfillmentStatus, to: FulfillmentStatus)
    case notFound(String)
    /// No fulfillment matches the callback yet (carriers often call before the platform registers the shipment).
    case unmatched(String)
    case unauthorized(String)
    case badRequest(String)
    case conflict(String)
    /// The tenant's ingress rate limit is exhausted; try again after this many seconds.
    case rateLimited(retryAfterSeconds: Int)
    /// The gateway is handling as many requests as it is configured to; try again after this many seconds.
    case overloaded(retryAfterSeconds: Int)
    case storeUnavailable(String)
    /// A callback names signing keys the gateway cannot fetch now (a carrier's JWKS URL is down): neither
    /// valid nor invalid yet, so the carrier should send it again later.
    case keysUnavailable(String)
    case internalError(String)

    /// Stable machine-readable code (README, "HTTP contract").
    package var code: String {
        switch self {
        case .unknownSource: return "unknown_source"
        case .payloadTooLarge: return "payload_too_large"
        case .invalidSignature: return "invalid_signature"
        case .invalidPayload: return "invalid_payload"
        case .invalidTransition: return "invalid_transition"
        case .notFound: return "not_found"
        case .unmatched: return "unmatched"
        case .unauthorized: return "unauthorized"
        case .badRequest: return "bad_request"
        case .conflict: return "conflict"
        case .rateLimited: return "rate_limited"
        case .overloaded: return "overloaded"
        case .storeUnavailable: return "store_unavailable"
        case .keysUnavailable: return "keys_unavailable"
        case .internalError: return "internal_error"
        }
    }

    package var httpStatus: Int {
        switch self {
        case .unknownSource, .notFound, .unmatched: return 404
        case .payloadTooLarge: return 413
        case .invalidSignature, .unauthorized: return 401
        case .invalidPayload, .badRequest: return 400
        case .invalidTransition, .conflict: return 409
        case .rateLimited: return 429
        case .storeUnavailable, .overloaded, .keysUnavailable: return 503
        case .internalError: return 500
        }
    }

    package var detail: String {
        switch self {
        case .unknownSource(let tenant, let carrier):
            return "No carrier source '\(carrier)' is configured for tenant '\(tenant)'"
        case .payloadTooLarge(let limit):
            return "Request body exceeds the limit of \(limit) bytes"
        case .invalidTransition(let from, let to):
            return "Cannot transition from \(from.rawValue) to \(to.rawValue)"
        case .rateLimited(let seconds):
            return "Rate limit exceeded; retry after \(seconds) s"
        case .overloaded(let seconds):
            return "The gateway is at its limit of concurrent callbacks; retry after \(seconds) s"
        case .invalidSignature(let detail), .invalidPayload(let detail), .notFound(let detail), .unmatched(let detail),
            .unauthorized(let detail), .badRequest(let detail), .conflict(let detail),
            .storeUnavailable(let detail), .keysUnavailable(let detail), .internalError(let detail):
            return detail
        }
    }

    /// The seconds a `Retry-After` header should carry, for the errors that say when to come back.
    package var retryAfterSeconds: Int? {
        switch self {
        case .rateLimited(let seconds), .overloaded(let seconds): return seconds
        default: return nil
        }
    }

    /// Whether the failure may pass if the same work is tried again later (docs/architecture.md, "The retry queue").
    /// The one place that decides between retrying and rejecting: a store that is busy or unavailable and a
    /// shipment not registered yet are transient; an invalid callback or transition is permanent.
    package var isTransient: Bool {
        switch self {
        case .storeUnavailable, .unmatched, .overloaded, .keysUnavailable: return true
        case .unknownSource, .payloadTooLarge, .invalidSignature, .invalidPayload, .invalidTransition,
            .notFound, .unauthorized, .badRequest, .conflict, .rateLimited, .internalError:
            return false
        }
    }
}
