import NIOConcurrencyHelpers
import ParcelGateCore

/// Per-tenant token buckets for ingress, so one tenant's flood cannot take the gateway from the others.
///
/// Buckets live here rather than in the directory so that an operator change (which rebuilds the
/// directory) does not refill them. Per process: with several replicas each enforces its share.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Timestamp
        /// The limit the bucket was filled under: an operator's new limit starts a full bucket at once.
        var limit: RateLimitConfig
    }

    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    /// Takes one token from `tenant`'s bucket, or throws `rate_limited` with the seconds until the next token.
    func admit(tenant: String, limit: RateLimitConfig, now: Timestamp) throws(GatewayError) {
        let capacity = Double(limit.capacity)
        let waitSeconds: Int? = buckets.withLockedValue { buckets in
            var bucket = buckets[tenant] ?? Bucket(tokens: capacity, updatedAt: now, limit: limit)
            if bucket.limit != limit { bucket = Bucket(tokens: capacity, updatedAt: now, limit: limit) }
            let elapsed = Double(max(0, now.milliseconds - bucket.updatedAt.milliseconds)) / 1000
            bucket.tokens = min(capacity, bucket.tokens + elapsed * limit.perSecond)
            bucket.updatedAt = now
            defer { buckets[tenant] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
        if let waitSeconds { throw .rateLimited(retryAfterSeconds: waitSeconds) }
    }
}
