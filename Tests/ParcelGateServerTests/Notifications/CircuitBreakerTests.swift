@testable import ParcelGateCore
@testable import ParcelGateServer
import ParcelGateStore
import Testing

/// The per-endpoint circuit breaker, driven by explicit timestamps.
@Suite struct CircuitBreakerTests {
    static let t0 = Timestamp(seconds: 1_800_000_000)
    static func at(_ seconds: Int64) -> Timestamp { t0.adding(milliseconds: seconds * 1000) }
    static let settings = CircuitSettings(failureThreshold: 3, cooldownMilliseconds: 10_000, maxCooldownMilliseconds: 35_000,
                                          disableAfterMilliseconds: 86_400_000, probeTimeoutMilliseconds: 60_000)

    @Test func opensAfterTheThresholdAndSpendsNoAttemptWhileOpen() {
        var breaker = CircuitBreaker(settings: Self.settings)
        #expect(breaker.attemptDecision(now: Self.at(0)) == .proceed)
        #expect(breaker.recordFailure(now: Self.at(0)) == .none)
        #expect(breaker.recordFailure(now: Self.at(1)) == .none)
        #expect(breaker.attemptDecision(now: Self.at(1)) == .proceed)
        #expect(breaker.recordFailure(now: Self.at(2)) == .opened(until: Self.at(12)))
        #expect(breaker.state == .open(failures: 3, firstFailureAt: Self.at(0), openedAt: Self.at(2), until: Self.at(12)))
        #expect(breaker.attemptDecision(now: Self.at(5)) == .wait(until: Self.at(12)))
        #expect(breaker.attemptDecision(now: Self.at(11)) == .wait(until: Self.at(12)))
    }

    @Test func aSuccessBeforeTheThresholdResetsTheCount() {
        var breaker = CircuitBreaker(settings: Self.settings)
        _ = breaker.recordFailure(now: Self.at(0))
        _ = breaker.recordFailure(now: Self.at(1))
        #expect(breaker.recordSuccess(now: Self.at(2)) == .none)
        #expect(breaker.state == .closed(failures: 0, firstFailureAt: nil))
        _ = breaker.recordFailure(now: Self.at(3))
        _ = breaker.recordFailure(now: Self.at(4))
        #expect(breaker.attemptDecision(now: Self.at(4)) == .proceed)
    }

    /// Open → one probe after the cool-down → a failed probe reopens for twice as long, capped → a successful
    /// probe closes and forgets.
    @Test func probesDoubleTheCooldownUpToTheCapAndASuccessCloses() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }  // open until 12
        #expect(breaker.attemptDecision(now: Self.at(12)) == .probe)
        #expect(breaker.attemptDecision(now: Self.at(13)) == .wait(until: Self.at(72)), "one probe at a time")
        #expect(breaker.recordFailure(now: Self.at(14)) == .opened(until: Self.at(34)))  // 20 s
        #expect(breaker.attemptDecision(now: Self.at(34)) == .probe)
        #expect(breaker.recordFailure(now: Self.at(35)) == .opened(until: Self.at(70)))  // 40 s capped to 35 s
        #expect(breaker.attemptDecision(now: Self.at(70)) == .probe)
        #expect(breaker.recordFailure(now: Self.at(71)) == .opened(until: Self.at(106)))  // still the cap
        #expect(breaker.attemptDecision(now: Self.at(106)) == .probe)
        #expect(breaker.recordSuccess(now: Self.at(107)) == .closed)
        #expect(breaker.state == .closed(failures: 0, firstFailureAt: nil))
        // The next opening starts again from the first cool-down.
        for second in 108..<111 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }
        #expect(breaker.state == .open(failures: 3, firstFailureAt: Self.at(108), openedAt: Self.at(110), until: Self.at(120)))
    }

    /// A probe whose worker died (no outcome within the probe timeout) does not block the endpoint forever.
    @Test func aLostProbeIsReplacedAfterItsTimeout() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }
        #expect(breaker.attemptDecision(now: Self.at(12)) == .probe)
        #expect(breaker.attemptDecision(now: Self.at(71)) == .wait(until: Self.at(72)))
        #expect(breaker.attemptDecision(now: Self.at(72)) == .probe)
    }

    /// A failure reported while open (an attempt that began before the circuit opened) counts but does not
    /// move the cool-down.
    @Test func aLateFailureWhileOpenKeepsTheCooldown() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }
        #expect(breaker.recordFailure(now: Self.at(4)) == .none)
        #expect(breaker.state == .open(failures: 4, firstFailureAt: Self.at(0), openedAt: Self.at(2), until: Self.at(12)))
    }

    @Test func continuousFailureForDisableAfterDisablesTheEndpoint() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }
        var now: Int64 = 12
        var action = CircuitAction.none
        // Probe and fail until the breaker asks for the endpoint to be disabled (a day after the first failure).
        for _ in 0..<10_000 {
            #expect(breaker.attemptDecision(now: Self.at(now)) == .probe)
            action = breaker.recordFailure(now: Self.at(now))
            guard case .opened(let until) = action else { break }
            now = (until.milliseconds - Self.t0.milliseconds) / 1000
        }
        #expect(action == .disableEndpoint(.failingSince(Self.at(0))))
        #expect(now >= 86_400 && now <= 86_400 + 35)
    }

    /// Two isolated failures a long time apart are not "continuous failure": the threshold must be met too.
    @Test func disableNeedsTheThresholdToo() {
        var breaker = CircuitBreaker(settings: Self.settings)
        _ = breaker.recordFailure(now: Self.at(0))
        #expect(breaker.recordFailure(now: Self.at(200_000)) == .none)
        #expect(breaker.recordFailure(now: Self.at(200_001)) == .disableEndpoint(.failingSince(Self.at(0))))
    }

    @Test func goneDisablesAtOnceFromAnyState() {
        var closed = CircuitBreaker(settings: Self.settings)
        #expect(closed.recordFailure(now: Self.at(0), gone: true) == .disableEndpoint(.gone))
        var halfOpen = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = halfOpen.recordFailure(now: Self.at(Int64(second))) }
        _ = halfOpen.attemptDecision(now: Self.at(12))
        #expect(halfOpen.recordFailure(now: Self.at(13), gone: true) == .disableEndpoint(.gone))
        halfOpen.reset()
        #expect(halfOpen.state == .closed(failures: 0, firstFailureAt: nil))
        #expect(halfOpen.attemptDecision(now: Self.at(14)) == .proceed)
    }

    /// A clock that steps back cannot make a cool-down negative or trap.
    @Test func aClockSteppingBackIsHarmless() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for second in 0..<3 { _ = breaker.recordFailure(now: Self.at(Int64(second))) }
        #expect(breaker.attemptDecision(now: Self.at(-1_000)) == .wait(until: Self.at(12)))
        #expect(CircuitBreaker.length(Timestamp(milliseconds: .max), Timestamp(milliseconds: .min)) == 0)
        #expect(CircuitBreaker.length(Timestamp(milliseconds: .min), Timestamp(milliseconds: .max)) == .max)
    }
}

/// The breaker's state as stored columns, and back.
@Suite struct CircuitRecordTests {
    @Test func everyStateRoundTrips() throws {
        let t = Timestamp(seconds: 1_800_000_000)
        let states: [CircuitBreaker.State] = [
            .closed(failures: 0, firstFailureAt: nil),
            .closed(failures: 2, firstFailureAt: t),
            .open(failures: 5, firstFailureAt: t, openedAt: t.adding(milliseconds: 5_000), until: t.adding(milliseconds: 65_000)),
            .halfOpen(failures: 6, firstFailureAt: t, probeStartedAt: t.adding(milliseconds: 70_000), cooldownMilliseconds: 120_000),
        ]
        for state in states { #expect(try CircuitRecord(state).decoded() == state) }
        let halfOpen = CircuitRecord(states[3])
        #expect(halfOpen.state == "half_open" && halfOpen.openedAt == t.adding(milliseconds: 70_000) && halfOpen.openUntil == t.adding(milliseconds: 190_000))
    }

    @Test(arguments: [
        CircuitRecord(state: "ajar", consecutiveFailures: 0, openedAt: nil, openUntil: nil, firstFailureAt: nil),
        CircuitRecord(state: "closed", consecutiveFailures: -1, openedAt: nil, openUntil: nil, firstFailureAt: nil),
        CircuitRecord(state: "closed", consecutiveFailures: 2, openedAt: nil, openUntil: nil, firstFailureAt: nil),
        CircuitRecord(state: "closed", consecutiveFailures: 0, openedAt: Timestamp(seconds: 1), openUntil: nil, firstFailureAt: nil),
        CircuitRecord(state: "open", consecutiveFailures: 3, openedAt: Timestamp(seconds: 10), openUntil: Timestamp(seconds: 5), firstFailureAt: Timestamp(seconds: 1)),
        CircuitRecord(state: "open", consecutiveFailures: 3, openedAt: nil, openUntil: Timestamp(seconds: 5), firstFailureAt: Timestamp(seconds: 1)),
        CircuitRecord(state: "half_open", consecutiveFailures: 0, openedAt: Timestamp(seconds: 1), openUntil: Timestamp(seconds: 5), firstFailureAt: Timestamp(seconds: 1)),
    ])
    func inconsistentRowsAreRefused(record: CircuitRecord) {
        #expect(throws: GatewayError.self) { try record.decoded() }
    }
}
