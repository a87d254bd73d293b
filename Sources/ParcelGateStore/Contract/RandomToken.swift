/// Random identifiers the store makes itself (claim tokens, delivery ids): the system CSPRNG, as lowercase hex.
enum RandomToken {
    static func hex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(count * 2)
        for _ in 0..<max(count, 0) {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}
