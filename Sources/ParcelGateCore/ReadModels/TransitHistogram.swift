/// The bounded histogram of SHIPPED-to-DELIVERED times that the read models keep per tenant, carrier and
/// service level (README, "Stats"), so a median or p90 is read from at most ``bucketCount`` counters per group,
/// never from the fulfillments themselves.
///
/// Buckets are log-spaced, four per doubling: bucket 0 holds everything under one second (a delivery scan
/// dated before the ship command included), bucket `b >= 1` holds `[2^((b-1)/4), 2^(b/4))` seconds, and the
/// last bucket everything from about 4.25 years on. A quantile is reported as its bucket's geometric midpoint,
/// so it is within a factor of 2^(1/8) (about ±9%) of the true value. The bounds are whole milliseconds,
/// computed once, so the bucket of a duration is decided by integer comparison, the same in Swift and in the
/// SQL that rebuilds the histogram (``sqlCase(_:)``).
package enum TransitHistogram {
    /// Buckets per doubling of the duration.
    package static let perDoubling = 4
    /// Doublings above one second that get their own buckets (2^27 s is about 4.25 years).
    package static let doublings = 27
    /// Bucket 0, then `perDoubling * doublings` log-spaced buckets; the last is open-ended.
    package static let bucketCount = 1 + perDoubling * doublings

    /// `lowerBounds[b]`: the smallest duration, in milliseconds, of bucket `b` (`b >= 1`); `lowerBounds[0]` is `Int64.min`.
    package static let lowerBounds: [Int64] = {
        var bounds: [Int64] = [.min]
        for b in 1..<bucketCount {
            let exponent = Double(b - 1) / Double(perDoubling)
            bounds.append(Int64((1000 * pow2(exponent)).rounded()))
        }
        return bounds
    }()

    /// The bucket of a duration in milliseconds (negative durations fall in bucket 0).
    package static func bucket(milliseconds: Int64) -> Int {
        // The largest b with lowerBounds[b] <= milliseconds, by binary search.
        var low = 0
        var high = bucketCount - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lowerBounds[mid] <= milliseconds { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The value a bucket stands for, in seconds: the geometric midpoint of its bounds (half a second for
    /// bucket 0; the lower bound for the open-ended last bucket).
    package static func representativeSeconds(bucket: Int) -> Double {
        guard bucket >= 1 else { return 0.5 }
        let lower = pow2(Double(bucket - 1) / Double(perDoubling))
        guard bucket < bucketCount - 1 else { return lower }
        return lower * pow2(1 / Double(perDoubling * 2))
    }

    /// The `q` quantile (0 < q <= 1) of the durations counted in `counts` (bucket to count), in seconds; `nil`
    /// without any. The nearest-rank definition: the bucket holding the `ceil(q * n)`-th smallest duration.
    package static func quantile(_ q: Double, counts: [Int: Int64]) -> Double? {
        let total = counts.values.reduce(Int64(0)) { $0.addingSaturating(max($1, 0)) }
        guard total > 0, q > 0, q <= 1 else { return nil }
        let wanted = Double(total) * q
        let rank = wanted.rounded(.up)
        var seen: Int64 = 0
        for bucket in counts.keys.sorted() {
            seen = seen.addingSaturating(max(counts[bucket] ?? 0, 0))
            if Double(seen) >= rank { return representativeSeconds(bucket: bucket) }
        }
        return counts.keys.max().map(representativeSeconds(bucket:))
    }

    /// A SQL `CASE` giving the bucket of the integer millisecond expression `expression`, by the same bounds.
    package static func sqlCase(_ expression: String) -> String {
        var sql = "CASE"
        for b in 1..<bucketCount {
            sql += " WHEN \(expression) < \(lowerBounds[b]) THEN \(b - 1)"
        }
        return sql + " ELSE \(bucketCount - 1) END"
    }

    /// 2^x without Foundation (Core has no dependencies): exact for the integer part, a series for the fraction.
    static func pow2(_ x: Double) -> Double {
        let whole = x.rounded(.down)
        var result = 1.0
        var n = Int(whole)
        while n > 0 { result *= 2; n -= 1 }
        // 2^f = e^(f ln 2), f in [0, 1): the Taylor series converges to double precision in 20 terms.
        let y = (x - whole) * 0.693_147_180_559_945_3
        var term = 1.0
        var sum = 1.0
        for k in 1...20 {
            term *= y / Double(k)
            sum += term
        }
        return result * sum
    }
}

/// UTC calendar days, as the daily read models count them.
package enum UTCDay {
    static let millisecondsPerDay: Int64 = 86_400_000

    /// Days since 1970-01-01 (floor division: an instant before 1970 is in a negative day).
    package static func day(of instant: Timestamp) -> Int64 {
        let ms = instant.milliseconds
        return ms >= 0 ? ms / millisecondsPerDay : -((-(ms &+ 1)) / millisecondsPerDay) - 1
    }

    /// The same in SQL, over the integer millisecond expression `expression`.
    package static func sql(_ expression: String) -> String {
        "CASE WHEN \(expression) >= 0 THEN \(expression) / \(millisecondsPerDay) ELSE -((-(\(expression) + 1)) / \(millisecondsPerDay)) - 1 END"
    }

    /// Midnight UTC starting `day`.
    package static func start(of day: Int64) -> Timestamp {
        Timestamp(milliseconds: day.multipliedSaturating(by: millisecondsPerDay))
    }
}
