/// The circuit breaker's knobs in milliseconds, from `notifications.circuit` (validated there) and the
/// worker's lease.
package struct CircuitSettings: Sendable, Hashable {
    /// Consecutive failed attempts that open a closed circuit.
    package var failureThreshold: Int
    /// The first cool-down; each reopening after a failed probe doubles the previous one.
    package var cooldownMilliseconds: Int64
    /// The longest cool-down.
    package var maxCooldownMilliseconds: Int64
    /// An endpoint failing without a single success for this long (and at least `failureThreshold` times) is disabled.
    package var disableAfterMilliseconds: Int64
    /// How long a probe may be in flight before another may be sent: the claim lease, after which the probe's
    /// worker is presumed lost.
    package var probeTimeoutMilliseconds: Int64

    package init(failureThreshold: Int = 5, cooldownMilliseconds: Int64 = 60_000, maxCooldownMilliseconds: Int64 = 3_600_000,
                 disableAfterMilliseconds: Int64 = 432_000_000, probeTimeoutMilliseconds: Int64 = 60_000) {
        self.failureThreshold = failureThreshold
        self.cooldownMilliseconds = cooldownMilliseconds
        self.maxCooldownMilliseconds = maxCooldownMilliseconds
        self.disableAfterMilliseconds = disableAfterMilliseconds
        self.probeTimeoutMilliseconds = probeTimeoutMilliseconds
    }
}
