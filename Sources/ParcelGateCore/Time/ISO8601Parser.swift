/// A date-time as carriers write it: ISO 8601 / RFC 3339 with or without an offset.
package struct ParsedDateTime: Sendable, Hashable {
    package var civil: CivilDateTime
    /// Seconds east of UTC when the text carried an offset (`Z` is 0); `nil` for a naive local time.
    var offsetSeconds: Int?

    /// The instant, when the text said which zone it is in.
    package var instant: Timestamp? { offsetSeconds.map { civil.timestamp(offsetSeconds: $0) } }
}

/// Parses the ISO 8601 forms carriers use, without Foundation formatters:
/// `2026-11-20T14:03:00Z`, `2026-11-20T14:03:00.123-05:00`, `2026-11-20T14:03:00+0100`,
/// `2026-11-20 14:03:00`, `2026-11-20T14:03` and a bare `2026-11-20`.
package enum ISO8601Parser {
    package static func parse(_ text: String) -> ParsedDateTime? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
        var index = 0

        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ char: Character) -> Bool {
            guard index < bytes.count, bytes[index] == char.asciiValue! else { return false }
            index += 1
            return true
        }

        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        var civil = CivilDateTime(year: year, month: month, day: day)
        var offset: Int? = nil
        if index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t") || bytes[index] == UInt8(ascii: " ") {
            index += 1
            guard let hour = number(2), expect(":"), let minute = number(2) else { return nil }
            civil.hour = hour
            civil.minute = minute
            if expect(":") {
                guard let second = number(2) else { return nil }
                civil.second = second
                if expect(".") || expect(",") {
                    var digits = 0
                    var fraction = 0
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                        if digits < 3 { fraction = fraction * 10 + Int(bytes[index] - 48) }
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return nil }
                    if digits < 3 { for _ in digits..<3 { fraction *= 10 } }
                    civil.millisecond = fraction
                }
            }
            if index < bytes.count {
                let sign = bytes[index]
                if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                    index += 1
                    offset = 0
                } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                    index += 1
                    guard let hours = number(2) else { return nil }
                    _ = expect(":")
                    let minutes = number(2) ?? 0
                    guard hours <= 18, minutes < 60 else { return nil }
                    offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
                }
            }
        }
        guard index == bytes.count, civil.isValid else { return nil }
        return ParsedDateTime(civil: civil, offsetSeconds: offset)
    }
}
