extension StringProtocol where UTF8View: BidirectionalCollection {
    /// The text without leading and trailing whitespace (Unicode `White_Space`: blanks, tabs, line breaks).
    ///
    /// On the ingress path for header values and payload fields. Unlike Foundation's `trimmingCharacters(in:)`
    /// it does not bridge through `NSString`, and text with nothing to trim (nearly all of it) is not
    /// re-scanned: an ASCII non-blank first and last byte settles it.
    public func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last, Self.isPlainASCII(first), Self.isPlainASCII(last) {
            return String(self)
        }
        guard let start = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let end = lastIndex(where: { !$0.isWhitespace })!
        return String(self[start...end])
    }

    /// A visible ASCII byte: neither whitespace nor the start of a multi-byte character.
    private static func isPlainASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}
