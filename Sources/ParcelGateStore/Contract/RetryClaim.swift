import ParcelGateCore

/// The claim-token rule of the retry queue, shared by every backend so that both apply it alike.
enum RetryClaim {
    /// A fresh token for one `claimDue` call: 128 random bits (the system CSPRNG), as hex.
    ///
    /// One token per claim, not per entry: all that matters is that a later claim of the same entry, by
    /// this worker or another, carries a different token.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    /// What a `mark*` call throws when its token no longer holds the pending entry.
    static func lost(_ id: String) -> GatewayError {
        .conflict("Retry entry '\(id)' is no longer held by this claim (its lease ran out and it was claimed again, or the attempt was already recorded)")
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
