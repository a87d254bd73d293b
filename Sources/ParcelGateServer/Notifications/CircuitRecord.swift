import ParcelGateCore

/// A ``CircuitBreaker/State`` as the few columns an endpoint row stores: `circuit_state`,
/// `consecutive_failures`, `opened_at`, `open_until`, `first_failure_at` (times in epoch milliseconds).
///
/// For `half_open`, `opened_at` is when the probe started and `open_until - opened_at` is the cool-down the
/// probe ended, so a failed probe can double it without another column. Reading a row back is validated: a
/// row edited by hand, or written by a later version, is refused with an error instead of trapping or
/// silently closing a circuit.
package struct CircuitRecord: Sendable, Hashable {
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

    package init(_ state: CircuitBreaker.State) {
        switch state {
        case .closed(let failures, let first):
            self.init(state: "closed", consecutiveFailures: failures, openedAt: nil, openUntil: nil, firstFailureAt: first)
        case .open(let failures, let first, let openedAt, let until):
            self.init(state: "open", consecutiveFailures: failures, openedAt: openedAt, openUntil: until, firstFailureAt: first)
        case .halfOpen(let failures, let first, let started, let cooldown):
            self.init(state: "half_open", consecutiveFailures: failures, openedAt: started, openUntil: started.adding(milliseconds: cooldown), firstFailureAt: first)
        }
    }

    /// The state these columns describe.
    package func decoded() throws(GatewayError) -> CircuitBreaker.State {
        guard consecutiveFailures >= 0 else { throw .internalError("Stored circuit has negative consecutive_failures") }
        switch state {
        case "closed":
            guard openedAt == nil, openUntil == nil, (consecutiveFailures == 0) == (firstFailureAt == nil) else {
                throw .internalError("Stored closed circuit has inconsistent columns")
            }
            return .closed(failures: consecutiveFailures, firstFailureAt: firstFailureAt)
        case "open", "half_open":
            guard let openedAt, let openUntil, let firstFailureAt, openUntil >= openedAt, consecutiveFailures > 0 else {
                throw .internalError("Stored \(state) circuit has inconsistent columns")
            }
            if state == "open" { return .open(failures: consecutiveFailures, firstFailureAt: firstFailureAt, openedAt: openedAt, until: openUntil) }
            return .halfOpen(failures: consecutiveFailures, firstFailureAt: firstFailureAt, probeStartedAt: openedAt,
                             cooldownMilliseconds: CircuitBreaker.length(openedAt, openUntil))
        default:
            throw .internalError("Stored circuit state is unknown")
        }
    }
}
