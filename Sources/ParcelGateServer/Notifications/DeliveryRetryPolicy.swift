import ParcelGateCore

/// When a failed delivery is tried again: the inbound retry queue's ``BackoffPolicy`` (one type, one validation),
/// with a default of its own for deliveries.
///
/// Counting: a delivery's first attempt is immediate and not part of the policy; `maxAttempts` counts the
/// retries after it, and the wait before retry `n` is the policy's `delay(n)`. A receiver's bounded
/// `Retry-After` (from ``DeliveryClassifier``) can lengthen that wait, never shorten it.
package enum DeliveryRetryPolicy {
    /// Svix's schedule after the immediate attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, about 27.6 hours
    /// in all, so a receiver down for a day still gets every event.
    package static let defaultScheduleSeconds: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]

    /// The default: the schedule above, one retry per step.
    package static let `default`: BackoffPolicy = schedule(maxAttempts: defaultScheduleSeconds.count)

    /// The policy for an endpoint's `retry` config. With none, or one that only sets `max_attempts`, the default
    /// schedule; otherwise the config as the inbound retry policy reads and validates it (`schedule_s`, or the
    /// exponential fields with the inbound defaults for those left out).
    package static func policy(for config: RetryConfig?) throws(GatewayError) -> BackoffPolicy {
        guard let config else { return `default` }
        let namesACurve = config.scheduleSeconds != nil || config.baseDelaySeconds != nil || config.maxDelaySeconds != nil
            || config.multiplier != nil || config.jitter != nil
        guard namesACurve else {
            let attempts = config.maxAttempts ?? defaultScheduleSeconds.count
            return try BackoffPolicy(curve: .schedule(seconds: defaultScheduleSeconds), maxAttempts: attempts)
        }
        return try config.policy()
    }

    /// When the next attempt is due after `failedAttempts` attempts failed (the first one included), or `nil`
    /// when the delivery is exhausted.
    package static func nextAttempt(policy: BackoffPolicy, failedAttempts: Int, retryAfterMilliseconds: Int64?, now: Timestamp) -> Timestamp? {
        var generator = SystemRandomNumberGenerator()
        return nextAttempt(policy: policy, failedAttempts: failedAttempts, retryAfterMilliseconds: retryAfterMilliseconds, now: now, using: &generator)
    }

    /// How far the default schedule's delays are spread (±10 %), so the deliveries one outage failed together
    /// do not all come back in the same second. A schedule an endpoint sets itself is followed exactly.
    package static let defaultJitter = 0.1

    package static func nextAttempt(policy: BackoffPolicy, failedAttempts: Int, retryAfterMilliseconds: Int64?, now: Timestamp,
                                    using generator: inout some RandomNumberGenerator) -> Timestamp? {
        guard failedAttempts >= 1, var scheduled = policy.nextAttempt(afterAttempts: failedAttempts - 1, now: now) else { return nil }
        if case .schedule(let steps) = policy.curve, steps == defaultScheduleSeconds {
            let delay = Double(scheduled.milliseconds.subtractingReportingOverflow(now.milliseconds).partialValue)
            let spread = Double.random(in: (1 - defaultJitter)...(1 + defaultJitter), using: &generator)
            scheduled = now.adding(milliseconds: Int64(saturating: delay * spread))
        }
        guard let retryAfterMilliseconds else { return scheduled }
        return max(scheduled, now.adding(milliseconds: retryAfterMilliseconds))
    }

    private static func schedule(maxAttempts: Int) -> BackoffPolicy {
        // The literal schedule is valid (DeliveryRetryPolicyTests): the fallback exists only so no `try!` is needed.
        (try? BackoffPolicy(curve: .schedule(seconds: defaultScheduleSeconds), maxAttempts: maxAttempts)) ?? BackoffPolicy.default
    }
}
