import ParcelGateCarriers

/// An endpoint's signing secret in the Standard Webhooks form, `whsec_<base64>`.
///
/// Generated here and nowhere else, so every endpoint gets the same strength: 32 bytes from OpenSSL's CSPRNG
/// (the spec asks for 24 to 64). Shown to the platform once, when created or rotated.
package enum WebhookSecret {
    /// The prefix the Standard Webhooks libraries strip before decoding; we always write it, so a secret is
    /// recognisable in a platform's configuration and never mistaken for an API key.
    package static let prefix = "whsec_"
    static let generatedByteCount = 32

    /// A new random secret.
    package static func generate() -> String {
        prefix + ByteEncoding.base64(Crypto.randomBytes(count: generatedByteCount))
    }
}
