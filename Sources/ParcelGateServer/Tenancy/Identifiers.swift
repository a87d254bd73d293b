import ParcelGateCarriers
import ParcelGateCore

/// Random identifiers for records. Values shown once (keys, secrets) carry 32 random bytes.
enum Identifiers {
    static func retry() -> String { "rt_" + ByteEncoding.hex(Crypto.randomBytes(count: 10)) }
    static func fulfillment() -> String { "ful_" + ByteEncoding.hex(Crypto.randomBytes(count: 10)) }
    static func secret() -> String { "sec_" + ByteEncoding.hex(Crypto.randomBytes(count: 8)) }
    static func apiKey() -> String { "key_" + ByteEncoding.hex(Crypto.randomBytes(count: 8)) }
    static func newAPIKeyValue() -> String { "pgk_" + ByteEncoding.hex(Crypto.randomBytes(count: 32)) }
    /// A new carrier secret that `scheme` can use: Standard Webhooks keys are `whsec_` and base64 of 32
    /// random bytes (as its spec and senders expect); the other schemes take any text.
    static func newSecretValue(for scheme: SignatureScheme) -> String {
        let bytes = Crypto.randomBytes(count: 32)
        return scheme == .standardWebhooks ? "whsec_" + ByteEncoding.base64(bytes) : "pgs_" + ByteEncoding.hex(bytes)
    }
}
