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
    /// (seven retries) the delivery is exhausted.
    @Test func nextAttemptCountsTheImmediateAttempt() {
        let policy = DeliveryRetryPolicy.default
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 1, retryAfterMilliseconds: nil, now: now) == now.adding(milliseconds: 5_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 2, retryAfterMilliseconds: nil, now: now) == now.adding(milliseconds: 300_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 7, retryAfterMilliseconds: nil, now: now) == now.adding(milliseconds: 36_000_000))
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 8, retryAfterMilliseconds: nil, now: now) == nil)
        #expect(DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: 0, retryAfterMilliseconds: nil, now: now) == nil)
    }

    /// A receiver's `Retry-After` lengthens the wait, never shortens it, and cannot revive an exhausted delivery.
    @Test func retryAfterOnlyLengthensTheWait() {
        let policy = DeliveryRetryPolicy.default
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
