/// When a failed callback is tried again (DESIGN §5).
///
/// `delay(n) = min(maxDelay, baseDelay * multiplier^(n-1))`, optionally with full jitter (a uniform
/// draw from zero to that value), or an explicit schedule whose last step repeats.
public struct BackoffPolicy: Sendable, Hashable {
    public enum Curve: Sendable, Hashable {
        case exponential(baseSeconds: Double, multiplier: Double, maxSeconds: Double, jitter: Bool)
        case schedule(seconds: [Double])
    }

    public let curve: Curve
    /// Attempts after which an entry is exhausted (a dead letter). 0 dead-letters at once.
    public let maxAttempts: Int

    /// 5 s doubling to a day, eight attempts, with jitter.
    public static let `default` = try! BackoffPolicy(
        curve: .exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 86_400, jitter: true), maxAttempts: 8
    )

    public init(curve: Curve, maxAttempts: Int) throws(GatewayError) {
        guard (0...20).contains(maxAttempts) else { throw .badRequest("retry max_attempts must be between 0 and 20") }
        switch curve {
        case .exponential(let base, let multiplier, let max, _):
            guard base.isFinite, base >= 1 else { throw .badRequest("retry base_delay_s must be at least 1") }
            guard max.isFinite, max >= base else { throw .badRequest("retry max_delay_s must not be below base_delay_s") }
            guard multiplier.isFinite, multiplier >= 1 else { throw .badRequest("retry multiplier must be at least 1") }
        case .schedule(let steps):
            guard !steps.isEmpty else { throw .badRequest("retry schedule_s must list at least one delay") }
            guard steps.allSatisfy({ $0.isFinite && $0 >= 1 }) else { throw .badRequest("retry schedule_s delays must each be at least 1") }
        }
        self.curve = curve
        self.maxAttempts = maxAttempts
    }

    /// `delay(n)` before jitter: the longest wait before retry attempt `n` (1-based).
    public func ceiling(attempt n: Int) -> Double {
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
    public func delayMilliseconds(attempt n: Int, using generator: inout some RandomNumberGenerator) -> Int64 {
        let ceiling = self.ceiling(attempt: n)
        if case .exponential(_, _, _, true) = curve {
            return Self.milliseconds(Double.random(in: 0...ceiling, using: &generator))
        }
        return Self.milliseconds(ceiling)
    }

    /// Seconds as whole milliseconds, saturating at `Int64.max`: a configured delay may be any finite
    /// number of seconds (`schedule_s: [1e300]` passes validation), and converting one past Int64's range
    /// (about 292 million years) would trap the retry worker rather than make it wait forever.
    static func milliseconds(_ seconds: Double) -> Int64 {
        let milliseconds = seconds * 1000
        // 2^63 is exactly representable; every double below it converts.
        return milliseconds < 9_223_372_036_854_775_808.0 ? Int64(milliseconds) : .max
    }

    public func delayMilliseconds(attempt n: Int) -> Int64 {
        var generator = SystemRandomNumberGenerator()
        return delayMilliseconds(attempt: n, using: &generator)
    }

    /// When the next attempt is due after `attempts` failed ones (0 when first queued), or `nil` when the
    /// entry is exhausted.
    public func nextAttempt(afterAttempts attempts: Int, now: Timestamp) -> Timestamp? {
        guard attempts < maxAttempts else { return nil }
        return now.adding(milliseconds: delayMilliseconds(attempt: attempts + 1))
    }
}
