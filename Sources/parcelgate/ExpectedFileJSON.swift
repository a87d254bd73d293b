import ParcelGateCarriers
import ParcelGateCore

/// A normalised callback written byte for byte as a golden fixture's `NAME.expected.json` is written
/// (Tests/ParcelGateCarriersTests/GoldenFixtureTests.swift reads it): two-space indent, keys in the files'
/// order, every field present with `null` for none, non-ASCII text as is, a final newline.
///
/// Written by hand rather than with `JSONSerialization`, because that cannot keep key order and escapes `/`:
/// `parcelgate inspect --json` exists so that a new fixture's expected file starts as this output, and a
/// diff against an existing one shows only real differences.
enum ExpectedFileJSON {
    static func render(_ callback: NormalisedCallback) -> String {
        var lines = ["{", "  \"provider_event_id\": \(string(callback.providerEventId)),"]
        if callback.events.isEmpty {
            lines.append("  \"events\": []")
        } else {
            lines.append("  \"events\": [")
            for (index, event) in callback.events.enumerated() {
                lines += self.event(event).map { "    " + $0 }
                if index < callback.events.count - 1 { lines[lines.count - 1] += "," }
            }
            lines.append("  ]")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func event(_ event: TrackingEvent) -> [String] {
        var lines = [
            "{",
            "  \"tracking_number\": \(string(event.trackingNumber)),",
            "  \"status\": \(string(event.status.rawValue)),",
            "  \"carrier_status_code\": \(string(event.carrierStatusCode)),",
            "  \"description\": \(string(event.description)),",
            "  \"occurred_at\": \(string(event.occurredAt.rfc3339)),",
        ]
        if let location = event.location {
            var fields = [
                "\"city\": \(string(location.city))", "\"region\": \(string(location.region))",
                "\"postal_code\": \(string(location.postalCode))", "\"country_code\": \(string(location.countryCode))",
            ]
            // Only the generic format's one-line locations have text; the expected files leave the key out otherwise.
            if let text = location.text { fields.append("\"text\": \(string(text))") }
            lines.append("  \"location\": {")
            lines += fields.enumerated().map { "    " + $1 + ($0 < fields.count - 1 ? "," : "") }
            lines.append("  },")
        } else {
            lines.append("  \"location\": null,")
        }
        lines.append("  \"provider_event_id\": \(string(event.providerEventId))")
        lines.append("}")
        return lines
    }

    /// A JSON string literal, escaped as the expected files are: quote, backslash and control characters only.
    static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
