import Hummingbird
import ParcelGateCore

/// A posted console form (`application/x-www-form-urlencoded`), parsed strictly: at most 64 KiB and 256
/// fields, every `%` followed by two hex digits, names and values valid UTF-8 without control characters
/// (a value may hold line breaks). Anything else is `bad_request`, never a guess.
struct ConsoleForm: Sendable {
    static let maxBytes = 65_536
    static let maxFields = 256

    private(set) var fields: [(name: String, value: String)] = []

    /// The first value of `name`.
    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Every value of `name`, in order (checkboxes).
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    static func read(_ request: Request) async throws(GatewayError) -> ConsoleForm {
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() }
        guard type == "application/x-www-form-urlencoded" else { throw .badRequest("A console form must be posted as application/x-www-form-urlencoded") }
        return try parse(Array(try await request.collectBody(limit: maxBytes)))
    }

    static func parse(_ body: [UInt8]) throws(GatewayError) -> ConsoleForm {
        var form = ConsoleForm()
        guard !body.isEmpty else { return form }
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard form.fields.count < maxFields else { throw .badRequest("The form has too many fields") }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0], allowLineBreaks: false)
            let value = parts.count > 1 ? try decode(parts[1], allowLineBreaks: true) : ""
            guard !name.isEmpty else { throw .badRequest("A form field has no name") }
            form.fields.append((name, value))
        }
        return form
    }

    /// Percent-decoding with `+` as a space.
    static func decode(_ bytes: ArraySlice<UInt8>, allowLineBreaks: Bool) throws(GatewayError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard bytes.distance(from: index, to: bytes.endIndex) >= 3,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { throw .badRequest("A form field has a malformed percent escape") }
                out.append(high << 4 | low)
                index += 3
            default:
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .badRequest("A form field is not valid UTF-8") }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
            guard allowLineBreaks, scalar == "\n" || scalar == "\r" || scalar == "\t" else { throw .badRequest("A form field holds a control character") }
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }
}

/// Strict checks of identifiers that arrive from forms and query strings before they reach the store.
enum ConsoleInput {
    /// An id as the gateway and platforms write them: 1-200 bytes of letters, digits and `-_.:`.
    static func id(_ text: String?, _ name: String) throws(GatewayError) -> String {
        guard let text, isIdentifier(text) else { throw .badRequest("\(name) must be 1-200 letters, digits, '-', '_', '.' or ':'") }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200
            && text.utf8.allSatisfy { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || [45, 95, 46, 58].contains(byte)
            }
    }

    /// A search text: trimmed, at most 200 bytes, no control characters; empty is no search.
    static func search(_ text: String?) throws(GatewayError) -> String? {
        guard let text = text?.trimmingWhitespace(), !text.isEmpty else { return nil }
        guard text.utf8.count <= 200, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badRequest("The search must be at most 200 characters of text")
        }
        return text
    }
}
