import ParcelGateCarriers
import ParcelGateCore

/// Target `iso8601`: ``ISO8601Parser/parse(_:)`` over the bytes decoded as UTF-8 (invalid sequences
/// replaced, as a JSON string never has them but a header may) and as Latin-1 (one scalar per byte, so
/// every byte value reaches the parser as a character). A parsed time is turned into an instant, in a
/// DST-keeping zone when naive, and formatted; within the years both handle, the formatted text must
/// parse back to the same instant.
package enum FuzzISO8601 {
    package static func run(_ raw: UnsafeRawBufferPointer) {
        let bytes = raw.uint8
        check(String(decoding: bytes, as: UTF8.self))
        var latin1 = String.UnicodeScalarView()
        latin1.append(contentsOf: bytes.map(Unicode.Scalar.init))
        check(String(latin1))
    }

    private static func check(_ text: String) {
        guard let parsed = ISO8601Parser.parse(text) else { return }
        let instant = TimeZoneResolver.instant(parsed, location: nil, defaultZone: "Europe/Berlin")
        let formatted = instant.rfc3339
        // An offset of up to 18 h moves the instant across a year boundary; years 2...9998 stay in 1...9999.
        guard (2...9998).contains(parsed.civil.year) else { return }
        guard let reparsed = ISO8601Parser.parse(formatted), reparsed.instant == instant else {
            fatalError("'\(text)' parses to \(instant.milliseconds) ms, formatted '\(formatted)', which parses back differently")
        }
    }
}
