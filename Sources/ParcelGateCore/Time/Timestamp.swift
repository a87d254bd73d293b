/// A UTC instant with millisecond precision, as stored and as written in the API (RFC 3339, `Z`).
///
/// Our own small type rather than `Date` so the hot path formats and parses times without
/// formatter objects, and so equality is exact (no floating point) for scan fingerprints.
package struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var milliseconds: Int64

    package init(milliseconds: Int64) { self.milliseconds = milliseconds }
    /// Saturates at the ends of the range rather than trapping: a number of seconds may come from input.
    package init(seconds: Int64) { self.milliseconds = seconds.multipliedSaturating(by: 1000) }

    /// Whole seconds, rounded toward the past (floor division, which cannot overflow).
    package var seconds: Int64 {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Saturates at the ends of the range rather than trapping.
    package func adding(milliseconds delta: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds.addingSaturating(delta)) }

    /// RFC 3339 in UTC: `2026-11-23T08:57:55Z`, with `.123` when the instant has milliseconds.
    package var rfc3339: String {
        let ms = Int(((milliseconds % 1000) + 1000) % 1000)
        let civil = CivilDateTime(epochSeconds: seconds)
        var out = ""
        out.reserveCapacity(24)
        out += pad(civil.year, 4); out += "-"
        out += pad(civil.month, 2); out += "-"
        out += pad(civil.day, 2); out += "T"
        out += pad(civil.hour, 2); out += ":"
        out += pad(civil.minute, 2); out += ":"
        out += pad(civil.second, 2)
        if ms != 0 { out += "."; out += pad(ms, 3) }
        out += "Z"
        return out
    }

    package var description: String { rfc3339 }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A calendar date and wall-clock time without a zone, in the proleptic Gregorian calendar.
package struct CivilDateTime: Sendable, Hashable {
    package var year, month, day, hour, minute, second: Int
    var millisecond: Int

    package init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
        self.millisecond = millisecond
    }

    /// Breaks an epoch second count into UTC fields (Howard Hinnant's civil_from_days).
    package init(epochSeconds: Int64) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = Int(epochSeconds - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(
            year: Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), month: Int(m), day: Int(d),
            hour: secondsOfDay / 3600, minute: (secondsOfDay % 3600) / 60, second: secondsOfDay % 60
        )
    }

    /// Whether every field is in range (a 31st of February is not).
    package var isValid: Bool {
        guard (1...12).contains(month), year >= 1, year <= 9999 else { return false }
        let monthDays = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...monthDays[month - 1]).contains(day) && (0...23).contains(hour) && (0...59).contains(minute)
            && (0...60).contains(second) && (0...999).contains(millisecond)
    }

    var isLeapYear: Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// The instant this wall-clock time denotes at `offsetSeconds` east of UTC.
    package func timestamp(offsetSeconds: Int = 0) -> Timestamp {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        return Timestamp(milliseconds: secs * 1000 + Int64(millisecond))
    }
}
