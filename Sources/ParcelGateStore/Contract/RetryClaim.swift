import ParcelGateCore

/// The claim-token rule of the retry queue, shared by every backend so that both apply it alike.
enum RetryClaim {
    /// A fresh token for one `claimDue` call: 128 random bits (the system CSPRNG), as hex.
    ///
    /// One token per claim, not per entry: all that matters is that a later claim of the same entry, by
    /// this worker or another, carries a different token.
    static func newToken() -> String { RandomToken.hex(bytes: 16) }

    /// What a `mark*` call throws when its token no longer holds the pending entry.
    static func lost(_ id: String) -> GatewayError {
        .conflict("Retry entry '\(id)' is no longer held by this claim (its lease ran out and it was claimed again, or the attempt was already recorded)")
    }

}
