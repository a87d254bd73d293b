import ParcelGateCore

/// One endpoint's circuit breaker (issue 15, "Circuit breaker per endpoint"), as a pure state machine in the
/// swift-nio style: the state is an enum, every input is a method that moves it and returns what the caller
/// must do. No clock and no I/O: the caller passes the time and stores the result (``CircuitRecord``).
///
/// - closed: attempts flow. `failureThreshold` consecutive failed attempts open it.
/// - open: no attempt is made until `until`; the first cool-down is `cooldown`, and each reopening doubles the
///   last one up to `maxCooldown`, so a dead endpoint costs fewer and fewer attempts.
/// - half-open: one probe is in flight. Its success closes the circuit and forgets the failures; its failure
///   reopens it for longer. A probe not reported within `probeTimeout` (its worker died) lets another go.
///
/// Independently of the state, an endpoint that answered 410, or has failed at least `failureThreshold` times
/// with no success for `disableAfter` (default 5 days, as Svix), gets ``CircuitAction/disableEndpoint(_:)``.
/// Every non-success counts as a failure, permanent ones included: an endpoint answering 404 to everything is
/// as broken as one that is down.
package struct CircuitBreaker: Sendable, Hashable {
    package enum State: Sendable, Hashable {
        case closed(failures: Int, firstFailureAt: Timestamp?)
        /// `openedAt...until` is the current cool-down; its length is what the next reopening doubles.
        case open(failures: Int, firstFailureAt: Timestamp, openedAt: Timestamp, until: Timestamp)
        /// A probe started at `probeStartedAt`; `cooldownMilliseconds` is the cool-down it ended.
        case halfOpen(failures: Int, firstFailureAt: Timestamp, probeStartedAt: Timestamp, cooldownMilliseconds: Int64)
    }

    package private(set) var state: State
    let settings: CircuitSettings

    package init(settings: CircuitSettings, state: State = .closed(failures: 0, firstFailureAt: nil)) {
        self.settings = settings
        self.state = state
    }

    /// Whether an attempt may start now. Moves an open circuit whose cool-down has ended to half-open (the
    /// caller's attempt is then the probe), so the caller must store the state after calling this.
    package mutating func attemptDecision(now: Timestamp) -> AttemptDecision {
        switch state {
        case .closed:
            return .proceed
        case .open(let failures, let firstFailureAt, let openedAt, let until):
            guard now >= until else { return .wait(until: until) }
            state = .halfOpen(failures: failures, firstFailureAt: firstFailureAt, probeStartedAt: now, cooldownMilliseconds: Self.length(openedAt, until))
            return .probe
        case .halfOpen(let failures, let firstFailureAt, let probeStartedAt, let cooldown):
            let probeDeadline = probeStartedAt.adding(milliseconds: settings.probeTimeoutMilliseconds)
            guard now >= probeDeadline else { return .wait(until: probeDeadline) }
            state = .halfOpen(failures: failures, firstFailureAt: firstFailureAt, probeStartedAt: now, cooldownMilliseconds: cooldown)
            return .probe
        }
    }

    /// A 2xx: the circuit closes and every failure is forgotten.
    package mutating func recordSuccess(now: Timestamp) -> CircuitAction {
        let wasClosed = if case .closed = state { true } else { false }
        state = .closed(failures: 0, firstFailureAt: nil)
        return wasClosed ? .none : .closed
    }

    /// A failed attempt; `gone` when the endpoint answered 410.
    package mutating func recordFailure(now: Timestamp, gone: Bool = false) -> CircuitAction {
        let (failures, firstFailureAt): (Int, Timestamp)
        switch state {
        case .closed(let count, let first): (failures, firstFailureAt) = (Self.increment(count), first ?? now)
        case .open(let count, let first, _, _), .halfOpen(let count, let first, _, _): (failures, firstFailureAt) = (Self.increment(count), first)
        }
        let next = nextState(failures: failures, firstFailureAt: firstFailureAt, now: now)
        state = next.state
        if gone { return .disableEndpoint(.gone) }
        let failingFor = Self.length(firstFailureAt, now)
        if failures >= settings.failureThreshold, failingFor >= settings.disableAfterMilliseconds {
            return .disableEndpoint(.failingSince(firstFailureAt))
        }
        return next.action
    }

    /// Back to closed with no history: for an endpoint an operator or platform re-enables.
    package mutating func reset() { state = .closed(failures: 0, firstFailureAt: nil) }

    private func nextState(failures: Int, firstFailureAt: Timestamp, now: Timestamp) -> (state: State, action: CircuitAction) {
        switch state {
        case .closed:
            guard failures >= settings.failureThreshold else { return (.closed(failures: failures, firstFailureAt: firstFailureAt), .none) }
            let until = now.adding(milliseconds: settings.cooldownMilliseconds)
            return (.open(failures: failures, firstFailureAt: firstFailureAt, openedAt: now, until: until), .opened(until: until))
        case .halfOpen(_, _, _, let previous):
            let cooldown = min(previous.multipliedSaturating(by: 2), settings.maxCooldownMilliseconds)
            let until = now.adding(milliseconds: max(cooldown, settings.cooldownMilliseconds))
            return (.open(failures: failures, firstFailureAt: firstFailureAt, openedAt: now, until: until), .opened(until: until))
        case .open(_, _, let openedAt, let until):
            // An attempt that began before the circuit opened and failed after: counted, cool-down unchanged.
            return (.open(failures: failures, firstFailureAt: firstFailureAt, openedAt: openedAt, until: until), .none)
        }
    }

    private static func increment(_ count: Int) -> Int { count == Int.max ? count : count + 1 }

    /// Milliseconds from `start` to `end`, never negative (a clock stepping back must not trap or shorten to less than zero).
    static func length(_ start: Timestamp, _ end: Timestamp) -> Int64 {
        let (delta, overflow) = end.milliseconds.subtractingReportingOverflow(start.milliseconds)
        return overflow ? (end > start ? .max : 0) : max(0, delta)
    }
}

/// What ``CircuitBreaker/attemptDecision(now:)`` allows.
package enum AttemptDecision: Sendable, Hashable {
    /// Closed: send.
    case proceed
    /// Half-open: send this one attempt as the probe; others wait for its outcome.
    case probe
    /// Open, or a probe is in flight: send nothing before `until`.
    case wait(until: Timestamp)
}

/// What the caller must do after a recorded outcome.
package enum CircuitAction: Sendable, Hashable {
    case none
    /// The circuit opened (or reopened) until then: log it and export the state.
    case opened(until: Timestamp)
    /// A success closed an open or half-open circuit.
    case closed
    /// Disable the endpoint; new events are kept as `held` deliveries until it is re-enabled.
    case disableEndpoint(DisableReason)
}

/// Why the breaker asks for an endpoint to be disabled.
package enum DisableReason: Sendable, Hashable {
    /// The endpoint answered 410 Gone.
    case gone
    /// Every attempt since then failed, for at least `disable_after_s`.
    case failingSince(Timestamp)
}
