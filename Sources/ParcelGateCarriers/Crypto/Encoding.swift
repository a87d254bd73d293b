import Foundation

/// Hex and base64 text forms of byte strings, as signature headers carry them.
package enum ByteEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    package static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex of either case; `nil` when the text is not hex.
    static func fromHex<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    package static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Decodes standard base64 (padding optional); `nil` when the text is not base64.
    package static func fromBase64<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var string = String(text)
        let remainder = string.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { string += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: string).map { Array($0) }
    }

    /// Decodes base64url (RFC 4648 section 5, as JWKs write `n` and `e`), padding optional; `nil` when the text
    /// is not base64url. The standard alphabet's `+` and `/` are refused, so one spelling decodes one way.
    static func fromBase64URL<S: StringProtocol>(_ text: S) -> [UInt8]? {
        guard !text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }) else { return nil }
        let standard = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return fromBase64(standard)
    }
}

extension ByteEncoding {
    /// base64url without padding (RFC 7515 section 2), as a JWK writes `n` and `e` and RFC 7638 thumbprints.
    package static func base64URL(_ bytes: [UInt8]) -> String {
        var text = base64(bytes)
        while text.hasSuffix("=") { text.removeLast() }
        return text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
