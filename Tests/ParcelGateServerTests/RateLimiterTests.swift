@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The token buckets behind both ingress limits.
@Suite struct RateLimiterTests {
    let now = Timestamp(seconds: 1_800_000_000)
    let limit = RateLimitConfig(perSecond: 1, burst: 2)

    /// The failed-signature check runs for every callback: a client that never failed costs no bucket.
    @Test func checkingACleanClientMakesNoBucket() throws {
        let limiter = RateLimiter<String>()
        for _ in 0..<100 { try limiter.ensureAvailable("carrier-ip", limit: limit, now: now) }
        #expect(limiter.count == 0)
        limiter.spend("forger-ip", limit: limit, now: now)
        limiter.spend("forger-ip", limit: limit, now: now)
        #expect(limiter.count == 1)
        #expect(throws: GatewayError.rateLimited(retryAfterSeconds: 1)) { try limiter.ensureAvailable("forger-ip", limit: limit, now: now) }
        try limiter.ensureAvailable("forger-ip", limit: limit, now: now.adding(milliseconds: 1000))
    }

    /// Keys an attacker can vary cannot grow memory without bound.
    @Test func bucketsAreBounded() {
        let limiter = RateLimiter<Int>(maxKeys: 100)
        for key in 0..<10_000 { limiter.spend(key, limit: limit, now: now) }
        #expect(limiter.count <= 100)
    }
}
