/// How a source authenticates its callbacks. Named in config by the raw value (README, "HTTP contract").
package enum SignatureScheme: String, Sendable, Hashable, Codable, CaseIterable {
    /// `HMAC-SHA256(secret, body)` as hex in a header, after an optional prefix (`sha256=`).
    case hmacSHA256Hex = "hmac-sha256-hex"
    /// The same MAC as base64 (FedEx `fdx-signature`, AfterShip).
    case hmacSHA256Base64 = "hmac-sha256-base64"
    /// `t=<unix>,v1=<hex>` over `"<t>." + body` with a timestamp tolerance (Stripe's form, Shippo).
    case hmacSHA256Timestamped = "hmac-sha256-timestamped"
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` over `id.ts.body`.
    case standardWebhooks = "standard-webhooks"
    /// A header whose value (after an optional prefix such as `Bearer `) must equal a secret (UPS, DHL).
    case staticToken = "static-token"
    /// Lowercase hex `SHA-256(body + "/" + secret)` in a header: a plain digest with the secret appended,
    /// not an HMAC (17TRACK's `sign`). It signs no timestamp, so only dedupe stops a replayed callback.
    case sha256BodySlashKeyHex = "sha256-body-slash-key-hex"
    /// Base64 RSASSA-PKCS1-v1_5 SHA-256 over `"<timestamp>." + body` (ShipEngine). The timestamp and the key
    /// id come in their own headers (``SignatureSettings/RSAKeyHeader``); the secret is a JWKS, whose key
    /// with that id verifies. No secret is shared: only the carrier's public keys are configured.
    case rsaSHA256JWKS = "rsa-sha256-jwks"

    /// Whether the scheme signs a timestamp, so a tolerance applies.
    var carriesTimestamp: Bool { self == .hmacSHA256Timestamped || self == .standardWebhooks || self == .rsaSHA256JWKS }
}

/// A source's resolved authentication: the scheme and where it finds its values.
///
/// Config may override any field; what it leaves out comes from the carrier adapter's defaults.
package struct SignatureSettings: Sendable, Hashable {
    package var scheme: SignatureScheme
    /// Header that carries the signature or token (ignored by `standard-webhooks`, whose names are fixed).
    package var header: String
    /// Text before the signature in the header value, such as `sha256=` or `Bearer `.
    package var prefix: String
    /// Largest accepted distance between the signed timestamp and now, for schemes that carry one.
    package var toleranceSeconds: Int
    /// Whether the secret is Unicode-NFKD-normalised before use as the key (EasyPost).
    var normalizesSecret: Bool
    /// Further places the value may arrive in, tried in order when `header` is absent
    /// (UPS sends its credential in `credential` or, in v2, as `Authorization: Bearer`).
    package var alternatives: [HeaderLocation]
    /// Where the carrier publishes its JWKS (`rsa-sha256-jwks`): the key source of a source configured with
    /// no secret of its own.
    package var defaultKeySetURL: String?

    /// A header name and the prefix its value carries.
    package struct HeaderLocation: Sendable, Hashable {
        package var header: String
        var prefix: String
        init(header: String, prefix: String = "") {
            self.header = header
            self.prefix = prefix
        }
    }

    static let defaultToleranceSeconds = 300

    package init(
        scheme: SignatureScheme, header: String, prefix: String = "",
        toleranceSeconds: Int = SignatureSettings.defaultToleranceSeconds, normalizesSecret: Bool = false,
        alternatives: [HeaderLocation] = [], defaultKeySetURL: String? = nil
    ) {
        self.defaultKeySetURL = defaultKeySetURL
        self.alternatives = alternatives
        self.scheme = scheme
        self.header = header
        self.prefix = prefix
        self.toleranceSeconds = toleranceSeconds
        self.normalizesSecret = normalizesSecret
    }

    /// ShipEngine's fixed header names besides the signature's (`header`): the signed timestamp, and the id
    /// of the JWKS key that signed.
    package enum RSAKeyHeader {
        package static let timestamp = "x-shipengine-timestamp"
        package static let keyId = "x-shipengine-rsa-sha256-key-id"
    }

    /// Standard Webhooks' fixed header names.
    package enum StandardWebhooksHeader {
        package static let id = "webhook-id"
        package static let timestamp = "webhook-timestamp"
        package static let signature = "webhook-signature"
    }
}
