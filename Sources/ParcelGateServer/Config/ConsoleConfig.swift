import ParcelGateCore

/// The `console` block of the config file (README, "Console"). Unknown keys are refused.
package struct ConsoleConfig: Sendable, Decodable, Hashable {
    /// Marks the session cookie `Secure`: set it when the gateway is reached over TLS (behind a terminating proxy).
    var secureCookie: Bool
    /// How long a session lasts after sign-in, in seconds (default 8 hours; 60 s to 7 days).
    var sessionTTLSeconds: Int
    /// Sign-in attempts allowed per client address per minute (default 10; 1 to 1000), in bursts of as many.
    var signInPerMinute: Int

    package init(secureCookie: Bool = false, sessionTTLSeconds: Int = 28_800, signInPerMinute: Int = 10) {
        self.secureCookie = secureCookie
        self.sessionTTLSeconds = sessionTTLSeconds
        self.signInPerMinute = signInPerMinute
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case secureCookie = "secure_cookie"
        case sessionTTLSeconds = "session_ttl_s"
        case signInPerMinute = "sign_in_per_minute"
    }

    package init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ConsoleConfig()
        secureCookie = try container.decodeIfPresent(Bool.self, forKey: .secureCookie) ?? defaults.secureCookie
        sessionTTLSeconds = try container.decodeIfPresent(Int.self, forKey: .sessionTTLSeconds) ?? defaults.sessionTTLSeconds
        signInPerMinute = try container.decodeIfPresent(Int.self, forKey: .signInPerMinute) ?? defaults.signInPerMinute
    }

    func validate() throws(GatewayError) {
        try Bounds.check(sessionTTLSeconds, 60...604_800, "console.session_ttl_s")
        try Bounds.check(signInPerMinute, 1...1000, "console.sign_in_per_minute")
    }

    /// The sign-in bucket: `signInPerMinute` a minute, as many at once.
    var signInLimit: RateLimitConfig { RateLimitConfig(perSecond: Double(signInPerMinute) / 60, burst: signInPerMinute) }
}
