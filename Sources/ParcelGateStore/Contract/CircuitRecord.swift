import ParcelGateCore

/// An endpoint's circuit breaker (the server's `CircuitBreaker`) as the few columns an endpoint row stores: `circuit_state`,
/// `consecutive_failures`, `opened_at`, `open_until`, `first_failure_at` (times in epoch milliseconds).
///
/// For `half_open`, `opened_at` is when the probe started and `open_until - opened_at` is the cool-down the
/// probe ended, so a failed probe can double it without another column. Reading a row back is validated: a
/// row edited by hand, or written by a later version, is refused with an error instead of trapping or
/// silently closing a circuit.
package struct CircuitRecord: Sendable, Hashable {
    /// A new endpoint's circuit: closed, no failures.
    package static let closed = CircuitRecord(state: "closed", consecutiveFailures: 0, openedAt: nil, openUntil: nil, firstFailureAt: nil)

    package var state: String
    package var consecutiveFailures: Int
    package var openedAt: Timestamp?
    package var openUntil: Timestamp?
    package var firstFailureAt: Timestamp?

    package init(state: String, consecutiveFailures: Int, openedAt: Timestamp?, openUntil: Timestamp?, firstFailureAt: Timestamp?) {
        self.state = state
        self.consecutiveFailures = consecutiveFailures
        self.openedAt = openedAt
        self.openUntil = openUntil
        self.firstFailureAt = firstFailureAt
    }
}
