/// What one delivery attempt ended with, as the sender observed it: the facts, before any decision.
///
/// The sender maps its HTTP client's errors onto these few cases; ``DeliveryClassifier`` alone decides what
/// each means for the delivery and the endpoint.
package enum AttemptResult: Sendable, Hashable {
    /// The endpoint answered with this status; `retryAfter` is its `Retry-After` header, verbatim, if any.
    case response(status: Int, retryAfter: String?)
    /// No complete answer within the connect or total timeout.
    case timeout
    /// The connection could not be made or broke: refused, reset, unreachable, or the name did not resolve.
    case connectionFailed
    /// The TLS handshake failed (certificate, protocol or cipher mismatch).
    case tlsFailed
    /// The address actually connected to is refused by ``AddressPolicy`` (SSRF); nothing was sent.
    case addressRefused
}

extension AttemptResult {
    /// `error.type` on an attempt's span when there was no answer.
    var spanErrorType: String {
        switch self {
        case .response(let status, _): String(status)
        case .timeout: "timeout"
        case .connectionFailed: "connection_failed"
        case .tlsFailed: "tls_failed"
        case .addressRefused: "address_refused"
        }
    }
}
