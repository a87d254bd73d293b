@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Delivery backoff: the default schedule, endpoint retry configs through the inbound policy type, and
/// `Retry-After` combined with the schedule.
@Suite struct DeliveryRetryPolicyTests {
    let now = Timestamp(seconds: 1_800_000_000)

    @Test func theDefaultScheduleSpansAboutADay() {
        let policy = DeliveryRetryPolicy.default
        #expect(policy.maxAttempts == 7)
        let delays = (1...7).map { policy.delayMilliseconds(attempt: $0) }
        #expect(delays == [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000])
        let total = delays.reduce(0, +)
        #expect(total >= 22 * 3_600_000 && total <= 30 * 3_600_000, "about a day: \(total) ms")
    }

    /// Counting: the first attempt is immediate; after it fails, retry 1 waits 5 s; after the eighth attempt
    /// (seven retries) the delivery is exhausted. The default schedule is spread by ±10 %.
    @Test func nextAttemptCountsTheImmediateAttemptWithinTheJitter() {
        let policy = DeliveryRetryPolicy.default
        func wait(_ failed: Int) -> Int64? {
            DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: failed, retryAfterMilliseconds: nil, now: now).map { $0.milliseconds - now.milliseconds }
        }
        for (failed, step) in [(1, 5_000), (2, 300_000), (7, 36_000_000)] as [(Int, Int64)] {
            let waits = (0..<50).compactMap { _ in wait(failed) }
            #expect(waits.count == 50 && waits.allSatisfy { abs($0 - step) <= step / 10 }, "\(failed): \(waits.min() ?? 0)...\(waits.max() ?? 0)")
            #expect(Set(waits).count > 1, "jittered")
        }
        #expect(wait(8) == nil)
        #expect(wait(0) == nil)
    }

    /// A schedule the endpoint sets is followed to the millisecond.
    @Test func anEndpointsOwnScheduleIsExact() throws {
        let policy = try DeliveryRetryPolicy.policy(for: RetryConfig(maxAttempts: 2, scheduleSeconds: [2, 4]))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 1, retryAfterMilliseconds: nil, now: now) == now.adding(milliseconds: 2_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 2, retryAfterMilliseconds: nil, now: now) == now.adding(milliseconds: 4_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 3, retryAfterMilliseconds: nil, now: now) == nil)
    }

    /// A receiver's `Retry-After` lengthens the wait, never shortens it, and cannot revive an exhausted delivery.
    @Test func retryAfterOnlyLengthensTheWait() throws {
        let policy = try DeliveryRetryPolicy.policy(for: RetryConfig(maxAttempts: 7, scheduleSeconds: [5, 300]))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 1, retryAfterMilliseconds: 60_000, now: now) == now.adding(milliseconds: 60_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 2, retryAfterMilliseconds: 60_000, now: now) == now.adding(milliseconds: 300_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 8, retryAfterMilliseconds: 60_000, now: now) == nil)
    }

    @Test func endpointConfigsGoThroughTheInboundPolicyAndItsValidation() throws {
        #expect(try DeliveryRetryPolicy.policy(for: nil) == DeliveryRetryPolicy.default)
        let fewer = try DeliveryRetryPolicy.policy(for: RetryConfig(maxAttempts: 3))
        #expect(fewer.maxAttempts == 3 && fewer.delayMilliseconds(attempt: 2) == 300_000)
        let schedule = try DeliveryRetryPolicy.policy(for: RetryConfig(maxAttempts: 4, scheduleSeconds: [1, 2]))
        #expect((1...4).map { schedule.delayMilliseconds(attempt: $0) } == [1_000, 2_000, 2_000, 2_000])
        let exponential = try DeliveryRetryPolicy.policy(for: RetryConfig(baseDelaySeconds: 2, maxDelaySeconds: 10, multiplier: 3, maxAttempts: 5, jitter: false))
        #expect((1...4).map { exponential.delayMilliseconds(attempt: $0) } == [2_000, 6_000, 10_000, 10_000])
        // Parsed from an endpoint's JSON, as the API will receive it.
        let fromJSON = try DeliveryRetryPolicy.policy(for: RetryConfig(json: #"{"max_attempts":2,"schedule_s":[10]}"#))
        #expect(fromJSON.maxAttempts == 2 && fromJSON.delayMilliseconds(attempt: 1) == 10_000)
    }

    @Test(arguments: [
        RetryConfig(maxAttempts: 21),
        RetryConfig(maxAttempts: -1),
        RetryConfig(scheduleSeconds: []),
        RetryConfig(scheduleSeconds: [5, 0]),
        RetryConfig(scheduleSeconds: [1e20]),
        RetryConfig(baseDelaySeconds: 0.5),
        RetryConfig(baseDelaySeconds: 10, maxDelaySeconds: 5),
        RetryConfig(multiplier: 0.5),
    ])
    func invalidEndpointConfigsAreRefused(config: RetryConfig) {
        #expect(throws: GatewayError.self) { try DeliveryRetryPolicy.policy(for: config) }
    }
}
