import ParcelGateCore
import ParcelGateStore

/// The breaker's state to and from the columns an endpoint row stores (``CircuitRecord``, in the store's contract).
extension CircuitRecord {
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
