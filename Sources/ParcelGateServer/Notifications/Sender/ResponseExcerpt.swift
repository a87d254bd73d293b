/// The part of a receiver's response body kept with an attempt (issue 15: "at most 1 KiB, cut on a UTF-8
/// boundary").
///
/// A receiver is untrusted: its body may be huge, binary, invalid UTF-8 or hold NUL bytes. The sender reads at
/// most ``maxReadBytes``; this keeps the longest prefix of whole characters that fits in ``maxBytes`` once
/// written as UTF-8. Invalid sequences become U+FFFD (counted at their UTF-8 size, 3 bytes), and so does NUL,
/// which PostgreSQL text columns refuse.
package enum ResponseExcerpt {
    /// The most UTF-8 bytes an excerpt holds.
    package static let maxBytes = 1_024
    /// The most body bytes the sender keeps from a response before it stops reading.
    package static let maxReadBytes = 4_096

    private static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// The excerpt of `body`, or `nil` when the body is empty.
    package static func make(_ body: some Collection<UInt8>) -> String? {
        guard !body.isEmpty else { return nil }
        let decoded = String(decoding: body.prefix(maxReadBytes), as: UTF8.self)
        var kept = String.UnicodeScalarView()
        var size = 0
        for scalar in decoded.unicodeScalars {
            let safe = scalar == "\0" ? replacement : scalar
            let length = UTF8.width(safe)
            guard size + length <= maxBytes else { break }
            size += length
            kept.append(safe)
        }
        return String(kept)
    }
}
