import ParcelGateCore

/// The one place that decides what a delivery attempt's result means (issue 15, "Classification").
///
/// - 2xx: success.
/// - 5xx, 408, 429, a timeout, a connection or TLS failure: transient; a `Retry-After` (seconds or HTTP-date)
///   is honoured, clamped to ``retryAfterBounds`` so a receiver can neither make us hammer it nor park a
///   delivery for a year.
/// - 410: permanent, and the endpoint is disabled.
/// - every other 3xx and 4xx: permanent. Redirects are never followed: a 3xx could point anywhere, including
///   at an address the SSRF policy refuses, and a receiver that moved should be re-registered.
/// - a connected address the SSRF policy refuses: permanent (never retried into an internal network), the
///   endpoint stays enabled so its owner can fix its DNS.
/// - a status outside 200-599 (1xx as a final answer, or nonsense): transient, as a broken intermediary is.
package struct DeliveryClassifier: Sendable {
    /// Seconds a `Retry-After` may ask for, after clamping.
    let retryAfterBounds: ClosedRange<Int64>

    /// One second to one hour by default: the retry schedule's own steps take over beyond that.
    package static let defaultRetryAfterBounds: ClosedRange<Int64> = 1...3_600

    package init(retryAfterBounds: ClosedRange<Int64> = DeliveryClassifier.defaultRetryAfterBounds) {
        self.retryAfterBounds = retryAfterBounds
    }

    package func classify(_ result: AttemptResult, now: Timestamp) -> DeliveryOutcome {
        switch result {
        case .timeout, .connectionFailed, .tlsFailed:
            return .transient(retryAfterMilliseconds: nil)
        case .addressRefused:
            return .permanent(disablesEndpoint: false)
        case .response(let status, let retryAfter):
            switch status {
            case 200...299:
                return .success
            case 408, 429, 500...599:
                return .transient(retryAfterMilliseconds: retryAfter.flatMap { bounded(RetryAfter.seconds($0, now: now)) })
            case 410:
                return .permanent(disablesEndpoint: true)
            case 300...499:
                return .permanent(disablesEndpoint: false)
            default:
                return .transient(retryAfterMilliseconds: nil)
            }
        }
    }

    /// The wait in milliseconds, clamped to the bounds; `nil` for a header we could not read.
    private func bounded(_ seconds: Int64?) -> Int64? {
        guard let seconds else { return nil }
        let clamped = min(max(seconds, retryAfterBounds.lowerBound), retryAfterBounds.upperBound)
        return clamped.multipliedSaturating(by: 1000)
    }
}
