import ParcelGateCore
import Synchronization

/// Token buckets by key: per tenant for verified callbacks, and per source and client address for failed
/// signature checks (README "Hardening").
///
/// Buckets live here rather than in the directory so that an operator change (which rebuilds the
/// directory) does not refill them. Per process: with several replicas each enforces its share. At most
/// `maxKeys` buckets are kept, so keys an attacker can vary (client addresses) cannot grow memory without
/// bound: past it, full buckets (which carry no information) are dropped first, then the least recently used.
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Timestamp
        /// The limit the bucket was filled under: an operator's new limit starts a full bucket at once.
        var limit: RateLimitConfig
    }

    private let buckets = Mutex<[Key: Bucket]>([:])
    let maxKeys: Int

    init(maxKeys: Int = 10_000) { self.maxKeys = max(1, maxKeys) }

    /// Takes one token from `key`'s bucket, or throws `rate_limited` with the seconds until the next token.
    func admit(_ key: Key, limit: RateLimitConfig, now: Timestamp) throws(GatewayError) {
        if let wait = update(key, limit: limit, now: now, take: true) { throw .rateLimited(retryAfterSeconds: wait) }
    }

    /// Throws `rate_limited` when `key`'s bucket is empty; takes nothing. A key with no bucket (a client that
    /// never failed) is let through without one being made: this check runs for every callback.
    func ensureAvailable(_ key: Key, limit: RateLimitConfig, now: Timestamp) throws(GatewayError) {
        guard buckets.withLock({ $0[key] != nil }) else { return }
        if let wait = update(key, limit: limit, now: now, take: false) { throw .rateLimited(retryAfterSeconds: wait) }
    }

    /// Takes a token if there is one; an empty bucket stays empty. For counting failures after the fact.
    func spend(_ key: Key, limit: RateLimitConfig, now: Timestamp) {
        _ = update(key, limit: limit, now: now, take: true)
    }

    var count: Int { buckets.withLock { $0.count } }

    /// Refills the bucket for the time passed and optionally takes a token; the seconds to wait when empty.
    private func update(_ key: Key, limit: RateLimitConfig, now: Timestamp, take: Bool) -> Int? {
        let capacity = Double(limit.capacity)
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedAt: now, limit: limit)
            if bucket.limit != limit { bucket = Bucket(tokens: capacity, updatedAt: now, limit: limit) }
            let elapsed = Double(max(0, now.milliseconds.subtractingReportingOverflow(bucket.updatedAt.milliseconds).partialValue)) / 1000
            bucket.tokens = min(capacity, bucket.tokens + elapsed * limit.perSecond)
            bucket.updatedAt = now
            if buckets[key] == nil, buckets.count >= maxKeys { Self.evict(&buckets, now: now, keep: maxKeys / 2) }
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                if take { bucket.tokens -= 1 }
                return nil
            }
            return max(1, Int(saturating: ((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
    }

    /// Drops buckets that have refilled (the same as absent), then the least recently used, down to `keep`.
    private static func evict(_ buckets: inout [Key: Bucket], now: Timestamp, keep: Int) {
        buckets = buckets.filter { _, bucket in
            let elapsed = Double(max(0, now.milliseconds.subtractingReportingOverflow(bucket.updatedAt.milliseconds).partialValue)) / 1000
            return bucket.tokens + elapsed * bucket.limit.perSecond < Double(bucket.limit.capacity)
        }
        guard buckets.count > keep else { return }
        let newest = buckets.sorted { $0.value.updatedAt > $1.value.updatedAt }.prefix(keep)
        buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }
}
