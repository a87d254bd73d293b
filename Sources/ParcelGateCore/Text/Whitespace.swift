extension StringProtocol where UTF8View: BidirectionalCollection {
    /// The text without leading and trailing whitespace (Unicode `White_Space`: blanks, tabs, line breaks).
    ///
    /// On the ingress path for header values and payload fields. Unlike Foundation's `trimmingCharacters(in:)`
    /// it does not bridge through `NSString`, and text with nothing to trim (nearly all of it) is not
    /// re-scanned: an ASCII non-blank first and last byte settles it. Trims scalars, not characters, as
    /// Foundation does: a combining mark after a space is kept, a space after a mark is removed.
    package func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last, Self.isPlainASCII(first), Self.isPlainASCII(last) {
            return String(self)
        }
        let scalars = Substring(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }

    /// A visible ASCII byte: neither whitespace nor the start of a multi-byte character.
    private static func isPlainASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}
