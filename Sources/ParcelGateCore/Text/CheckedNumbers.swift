/// Numbers read from untrusted text (request headers, query strings, environment variables, URLs) and the
/// conversions that combine them.
///
/// `Int("...")` accepts a sign and any length, and `Int(someDouble)` traps on a value out of range; one
/// unauthenticated header must never be able to stop the process, so input goes through these instead.
package enum StrictNumber {
    /// `text` as a non-negative integer when it is 1 to `maxDigits` ASCII digits and nothing else (no sign,
    /// no blanks, no `_`). `maxDigits` is capped at 18, so the value always fits in an `Int64`.
    package static func nonNegative(_ text: some StringProtocol, maxDigits: Int = 18) -> Int64? {
        let limit = min(max(maxDigits, 1), 18)
        var value: Int64 = 0
        var count = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), count < limit else { return nil }
            value = value &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
            count += 1
        }
        return count == 0 ? nil : value
    }

    /// ``nonNegative(_:maxDigits:)`` as an `Int` within `range`, else `nil`.
    package static func int(_ text: some StringProtocol, in range: ClosedRange<Int>) -> Int? {
        guard let value = nonNegative(text), value <= Int64(Int.max) else { return nil }
        let int = Int(value)
        return range.contains(int) ? int : nil
    }
}

extension Int64 {
    /// `value` rounded toward zero, or the nearest bound when it is out of range; `0` for NaN.
    /// `Int64(someDouble)` traps instead.
    package init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }

    /// The sum, or the nearest bound when it overflows.
    package func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// The difference, or the nearest bound when it overflows.
    package func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// The product, or the nearest bound when it overflows.
    package func multipliedSaturating(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}

extension Int {
    /// `value` rounded toward zero, or the nearest bound when it is out of range; `0` for NaN.
    package init(saturating value: Double) { self = Int(Int64(saturating: value)) }
}
