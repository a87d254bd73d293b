import HTTPTypes
import Hummingbird
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// Who a console session acts for.
enum ConsoleViewer: Sendable, Hashable {
    /// A tenant API key signed in: that tenant's data only.
    case tenant(String)
    /// The operator key signed in: every tenant, with a tenant filter.
    case `operator`
}

/// A request's valid session: who it acts for and the CSRF token its forms must carry.
struct ConsoleSession: Sendable {
    let viewer: ConsoleViewer
    /// The digest the store keys it by (never the token itself).
    let digest: String
    let csrfToken: String
    let expiresAt: Timestamp

    var isOperator: Bool { viewer == .operator }
}

/// Console sessions (README, "Console"): server-side rows shared by every replica, keyed by the SHA-256 of a
/// random token that only the browser's cookie holds; the cookie is `HttpOnly; SameSite=Strict; Path=/console`,
/// and `Secure` when `console.secure_cookie` says the gateway is reached over TLS.
///
/// CSRF tokens are derived from the cookie's token (SHA-256 under a label of their own), so a page's forms
/// carry a value an attacker on another origin cannot read or compute, which changes with every sign-in: a
/// token from an earlier session is stale. The sign-in form, before any session, has the same pair through
/// a short-lived sign-in cookie (double submit).
struct ConsoleSessions: Sendable {
    static let sessionCookie = "parcelgate_session"
    static let signInCookie = "parcelgate_signin"
    /// How long the sign-in form's cookie lives.
    static let signInCookieSeconds = 3_600

    let store: any GatewayStore
    let clock: any GatewayClock
    let config: ConsoleConfig

    /// 32 random bytes as 64 lowercase hex digits.
    static func newToken() -> String { ByteEncoding.hex(Crypto.randomBytes(count: 32)) }

    /// What the store keeps for a token.
    static func digest(of token: String) throws(GatewayError) -> String { ByteEncoding.hex(try Crypto.sha256(Array(token.utf8))) }

    /// The CSRF token of forms shown under `token` (a session's or the sign-in cookie's).
    static func csrfToken(for token: String) throws(GatewayError) -> String {
        ByteEncoding.hex(try Crypto.sha256(Array("parcelgate-console-csrf\u{0}".utf8) + Array(token.utf8)))
    }

    /// Whether a posted `csrf_token` is the one expected, compared in constant time.
    static func csrfMatches(_ presented: String?, expected: String) -> Bool {
        guard let presented, presented.utf8.count == expected.utf8.count else { return false }
        return Crypto.constantTimeEquals(Array(presented.utf8), Array(expected.utf8))
    }

    /// A token as this server writes them: exactly 64 lowercase hex digits. Anything else is no token.
    static func isWellFormed(_ token: Substring) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The value of cookie `name` in the request's `Cookie` headers, when it is a well-formed token.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingWhitespace() == name else { continue }
                let value = Substring(parts[1].trimmingWhitespace())
                if isWellFormed(value) { return String(value) }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value for `name`: `HttpOnly; SameSite=Strict; Path=/console`, `Secure` when configured.
    func setCookie(_ name: String, value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (config.secureCookie ? "; Secure" : "")
    }

    /// Removes cookie `name` from the browser.
    func clearCookie(_ name: String) -> String { setCookie(name, value: "", maxAge: 0) }

    /// The request's session, when its cookie names one that exists and has not expired.
    func current(_ request: Request) async throws(GatewayError) -> ConsoleSession? {
        guard let token = Self.cookie(Self.sessionCookie, in: request) else { return nil }
        let digest = try Self.digest(of: token)
        guard let record = try await store.consoleSession(digest: digest, now: clock.now()) else { return nil }
        return ConsoleSession(viewer: record.tenant.map(ConsoleViewer.tenant) ?? .operator, digest: digest,
                              csrfToken: try Self.csrfToken(for: token), expiresAt: record.expiresAt)
    }

    /// Starts a session for `viewer`; returns the `Set-Cookie` value that carries it.
    func signIn(_ viewer: ConsoleViewer) async throws(GatewayError) -> String {
        let token = Self.newToken()
        let now = clock.now()
        let ttl = config.sessionTTLSeconds
        let tenant: String? = if case .tenant(let slug) = viewer { slug } else { nil }
        try await store.createConsoleSession(
            ConsoleSessionRecord(digest: try Self.digest(of: token), tenant: tenant, createdAt: now, expiresAt: now.adding(milliseconds: Int64(ttl) * 1000)),
            purgeExpiredBefore: now)
        return setCookie(Self.sessionCookie, value: token, maxAge: ttl)
    }

    func signOut(_ session: ConsoleSession) async throws(GatewayError) {
        try await store.deleteConsoleSession(digest: session.digest)
    }
}
