@testable import ParcelGateCore
import Testing

@Suite struct BackoffPolicyTests {
    let now = Timestamp(seconds: 1_800_000_000)

    @Test func exponentialDelaysDoubleUpToTheCap() throws {
        let policy = try BackoffPolicy(curve: .exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 60, jitter: false), maxAttempts: 8)
        #expect((1...8).map { policy.ceiling(attempt: $0) } == [5, 10, 20, 40, 60, 60, 60, 60])
        #expect((1...3).map { policy.delayMilliseconds(attempt: $0) } == [5_000, 10_000, 20_000])
        #expect(policy.ceiling(attempt: 10_000) == 60)
        let triple = try BackoffPolicy(curve: .exponential(baseSeconds: 2, multiplier: 3, maxSeconds: 1_000, jitter: false), maxAttempts: 5)
        #expect((1...5).map { triple.ceiling(attempt: $0) } == [2, 6, 18, 54, 162])
    }

    @Test func fullJitterStaysWithinZeroAndTheCeiling() throws {
        let policy = try BackoffPolicy(curve: .exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 3_600, jitter: true), maxAttempts: 8)
        var seen = Set<Int64>()
        for attempt in 1...6 {
            let ceiling = Int64(policy.ceiling(attempt: attempt) * 1000)
            for _ in 0..<500 {
                let delay = policy.delayMilliseconds(attempt: attempt)
                #expect(delay >= 0 && delay <= ceiling)
                seen.insert(delay)
            }
        }
        #expect(seen.count > 100, "jitter must actually vary the delay")
    }

    @Test func explicitScheduleRepeatsItsLastStep() throws {
        let policy = try BackoffPolicy(curve: .schedule(seconds: [5, 300, 1_800, 7_200, 28_800, 86_400]), maxAttempts: 10)
        #expect((1...8).map { policy.delayMilliseconds(attempt: $0) } == [5_000, 300_000, 1_800_000, 7_200_000, 28_800_000, 86_400_000, 86_400_000, 86_400_000])
    }

    @Test func nextAttemptStopsAtMaxAttempts() throws {
        let policy = try BackoffPolicy(curve: .schedule(seconds: [10]), maxAttempts: 2)
        #expect(policy.nextAttempt(afterAttempts: 0, now: now) == now.adding(milliseconds: 10_000))
        #expect(policy.nextAttempt(afterAttempts: 1, now: now) == now.adding(milliseconds: 10_000))
        #expect(policy.nextAttempt(afterAttempts: 2, now: now) == nil)
        let none = try BackoffPolicy(curve: .schedule(seconds: [10]), maxAttempts: 0)
        #expect(none.nextAttempt(afterAttempts: 0, now: now) == nil)
    }

    @Test(arguments: [
        (BackoffPolicy.Curve.exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 60, jitter: false), 21),
        (.exponential(baseSeconds: 5, multiplier: 2, maxSeconds: 60, jitter: false), -1),
        (.exponential(baseSeconds: 0.5, multiplier: 2, maxSeconds: 60, jitter: false), 3),
        (.exponential(baseSeconds: 10, multiplier: 2, maxSeconds: 5, jitter: false), 3),
        (.exponential(baseSeconds: 10, multiplier: 0.5, maxSeconds: 50, jitter: false), 3),
        (.exponential(baseSeconds: .infinity, multiplier: 2, maxSeconds: .infinity, jitter: false), 3),
        (.schedule(seconds: []), 3),
        (.schedule(seconds: [5, 0]), 3),
    ])
    func invalidPoliciesAreRejected(curve: BackoffPolicy.Curve, maxAttempts: Int) {
        #expect(throws: GatewayError.self) { try BackoffPolicy(curve: curve, maxAttempts: maxAttempts) }
    }

    @Test func defaultPolicy() {
        #expect(BackoffPolicy.default.maxAttempts == 8)
        #expect(BackoffPolicy.default.ceiling(attempt: 1) == 5)
        #expect(BackoffPolicy.default.ceiling(attempt: 30) == 86_400)
    }

    @Test func onlyStoreAndMatchingFailuresAreTransient() {
        #expect(GatewayError.storeUnavailable("busy").isTransient)
        #expect(GatewayError.unmatched("later").isTransient)
        for permanent: GatewayError in [
            .invalidSignature("x"), .invalidPayload("x"), .unknownSource(tenant: "t", carrier: "c"), .payloadTooLarge(limit: 1),
            .invalidTransition(from: .pending, to: .inTransit), .notFound("x"), .badRequest("x"), .conflict("x"), .internalError("x"),
        ] {
            #expect(!permanent.isTransient, "\(permanent)")
        }
    }
}
