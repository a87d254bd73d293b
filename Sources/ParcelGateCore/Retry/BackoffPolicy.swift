/// When a failed callback is tried again (docs/architecture.md, "The retry queue").
///
/// `delay(n) = min(maxDelay, baseDelay * multiplier^(n-1))`, optionally with full jitter (a uniform
/// draw from zero to that value), or an explicit schedule whose last step repeats.
package struct BackoffPolicy: Sendable, Hashable {
    package enum Curve: Sendable, Hashable {
        case exponential(baseSeconds: Double, multiplier: Double, maxSeconds: Double, jitter: Bool)
        case schedule(seconds: [Double])
    }

    package let curve: Curve
    /// Attempts after which an entry is exhausted (a dead letter). 0 dead-letters at once.
    package let maxAttempts: Int

    /// 5 s doubling to a day, eight attempts, with jitter.
    package static let `default` = try! BackoffPolicy(
        curve: .exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 86_400, jitter: true), maxAttempts: 8
    )

    /// The longest delay any policy may ask for: 30 days. With it, every delay in milliseconds fits easily in
    /// an `Int64`, so no configured policy can overflow the arithmetic that schedules an attempt.
    static let maxDelaySeconds: Double = 2_592_000
    /// The most steps an explicit schedule may list.
    static let maxScheduleSteps = 100

    package init(curve: Curve, maxAttempts: Int) throws(GatewayError) {
        guard (0...20).contains(maxAttempts) else { throw .badRequest("retry max_attempts must be between 0 and 20") }
        let longest = Self.maxDelaySeconds
        switch curve {
        case .exponential(let base, let multiplier, let max, _):
            guard base.isFinite, base >= 1, base <= longest else { throw .badRequest("retry base_delay_s must be between 1 and \(Int(longest))") }
            guard max.isFinite, max >= base, max <= longest else {
                throw .badRequest("retry max_delay_s must be between base_delay_s and \(Int(longest))")
            }
            guard multiplier.isFinite, multiplier >= 1, multiplier <= 1000 else { throw .badRequest("retry multiplier must be between 1 and 1000") }
        case .schedule(let steps):
            guard !steps.isEmpty, steps.count <= Self.maxScheduleSteps else {
                throw .badRequest("retry schedule_s must list between 1 and \(Self.maxScheduleSteps) delays")
            }
            guard steps.allSatisfy({ $0.isFinite && $0 >= 1 && $0 <= longest }) else {
                throw .badRequest("retry schedule_s delays must each be between 1 and \(Int(longest))")
            }
        }
        self.curve = curve
        self.maxAttempts = maxAttempts
    }

    /// `delay(n)` before jitter: the longest wait before retry attempt `n` (1-based).
    func ceiling(attempt n: Int) -> Double {
        let attempt = max(1, n)
        switch curve {
        case .exponential(let base, let multiplier, let maxSeconds, _):
            // Multiply step by step and stop at the cap, so no attempt count can overflow.
            var delay = base
            for _ in 1..<min(attempt, 64) where delay < maxSeconds { delay *= multiplier }
            return min(maxSeconds, delay)
        case .schedule(let steps):
            return steps[min(attempt, steps.count) - 1]
        }
    }

    /// The wait, in milliseconds, before retry attempt `n` (1-based), jittered when the policy says so.
    package func delayMilliseconds(attempt n: Int, using generator: inout some RandomNumberGenerator) -> Int64 {
        let ceiling = self.ceiling(attempt: n)
        if case .exponential(_, _, _, true) = curve {
            return Int64(saturating: Double.random(in: 0...ceiling, using: &generator) * 1000)
        }
        return Int64(saturating: ceiling * 1000)
    }

    func delayMilliseconds(attempt n: Int) -> Int64 {
        var generator = SystemRandomNumberGenerator()
        return delayMilliseconds(attempt: n, using: &generator)
    }

    /// When the next attempt is due after `attempts` failed ones (0 when first queued), or `nil` when the
    /// entry is exhausted.
    package func nextAttempt(afterAttempts attempts: Int, now: Timestamp) -> Timestamp? {
        guard attempts < maxAttempts else { return nil }
        return now.adding(milliseconds: delayMilliseconds(attempt: attempts + 1))
    }
}
