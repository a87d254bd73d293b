/// How a source authenticates its callbacks. Named in config by the raw value (README, "HTTP contract").
public enum SignatureScheme: String, Sendable, Hashable, Codable, CaseIterable {
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

    /// Whether the scheme signs a timestamp, so a tolerance applies.
    public var carriesTimestamp: Bool { self == .hmacSHA256Timestamped || self == .standardWebhooks }
}

/// A source's resolved authentication: the scheme and where it finds its values.
///
/// Config may override any field; what it leaves out comes from the carrier adapter's defaults.
public struct SignatureSettings: Sendable, Hashable {
    public var scheme: SignatureScheme
    /// Header that carries the signature or token (ignored by `standard-webhooks`, whose names are fixed).
    public var header: String
    /// Text before the signature in the header value, such as `sha256=` or `Bearer `.
    public var prefix: String
    /// Largest accepted distance between the signed timestamp and now, for schemes that carry one.
    public var toleranceSeconds: Int
    /// Whether the secret is Unicode-NFKD-normalised before use as the key (EasyPost).
    public var normalizesSecret: Bool
    /// Further places the value may arrive in, tried in order when `header` is absent
    /// (UPS sends its credential in `credential` or, in v2, as `Authorization: Bearer`).
    public var alternatives: [HeaderLocation]

    /// A header name and the prefix its value carries.
    public struct HeaderLocation: Sendable, Hashable {
        public var header: String
        public var prefix: String
        public init(header: String, prefix: String = "") {
            self.header = header
            self.prefix = prefix
        }
    }

    public static let defaultToleranceSeconds = 300

    public init(
        scheme: SignatureScheme, header: String, prefix: String = "",
        toleranceSeconds: Int = SignatureSettings.defaultToleranceSeconds, normalizesSecret: Bool = false,
        alternatives: [HeaderLocation] = []
    ) {
        self.alternatives = alternatives
        self.scheme = scheme
        self.header = header
        self.prefix = prefix
        self.toleranceSeconds = toleranceSeconds
        self.normalizesSecret = normalizesSecret
    }

    /// Standard Webhooks' fixed header names.
    public enum StandardWebhooksHeader {
        public static let id = "webhook-id"
        public static let timestamp = "webhook-timestamp"
        public static let signature = "webhook-signature"
    }
}
