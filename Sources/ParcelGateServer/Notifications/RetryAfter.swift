import ParcelGateCore

/// Reads an HTTP `Retry-After` value (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
///
/// A receiver's header is untrusted text: both forms are parsed strictly, with bounded digit counts, so no
/// value can trap or overflow. Only the IMF-fixdate form of HTTP-date is read (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// the one RFC 9110 requires senders to use; an obsolete or malformed date is `nil` and the retry policy decides.
enum RetryAfter {
    /// The seconds to wait from `now`, never negative; `nil` when the value is neither form.
    static func seconds(_ value: String, now: Timestamp) -> Int64? {
        let text = value.trimmingWhitespace()
        if let seconds = StrictNumber.nonNegative(text, maxDigits: 10) { return seconds }
        guard let date = httpDate(text) else { return nil }
        let (delta, overflow) = date.seconds.subtractingReportingOverflow(now.seconds)
        guard !overflow else { return nil }
        return max(0, delta)
    }

    private static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`: exactly 29 ASCII characters in fixed positions.
    static func httpDate(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29 else { return nil }
        func slice(_ from: Int, _ length: Int) -> String { String(decoding: bytes[from..<(from + length)], as: UTF8.self) }
        func number(_ from: Int, _ length: Int) -> Int? { StrictNumber.int(slice(from, length), in: 0...9999) }
        guard dayNames.contains(slice(0, 3)), slice(3, 2) == ", ", bytes[7] == UInt8(ascii: " "), bytes[11] == UInt8(ascii: " "),
            bytes[16] == UInt8(ascii: " "), bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"), slice(25, 4) == " GMT",
            let day = number(5, 2), let monthIndex = monthNames.firstIndex(of: slice(8, 3)), let year = number(12, 4),
            let hour = number(17, 2), let minute = number(20, 2), let second = number(23, 2)
        else { return nil }
        let civil = CivilDateTime(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
        guard civil.isValid else { return nil }
        return civil.timestamp()
    }
}
