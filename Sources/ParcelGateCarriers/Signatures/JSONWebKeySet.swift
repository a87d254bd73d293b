import Foundation
import ParcelGateCore

/// The RSA signing keys of a JSON Web Key Set (RFC 7517), by key id: how ShipEngine publishes the keys its
/// webhooks are signed with. A source's secret is either the set's text, inline (tests, air-gapped sites), or
/// the URL it is fetched from (``KeySetLocation``; the gateway's `KeySetCache` fetches and caches it).
package struct JSONWebKeySet: Sendable {
    let keys: [String: RSAPublicKey]

    /// A set this large is not a carrier's: refused rather than parsed into hundreds of keys.
    static let maximumKeys = 64
    /// The largest JWKS document read, inline or fetched: 64 keys of 16,384 bits fit in well under this.
    package static let maximumBytes = 256 * 1024

    /// The key ids the set holds, sorted (for logs and tests; key ids are public).
    package var keyIds: [String] { keys.keys.sorted() }

    /// Whether the set holds a key with this id.
    package func contains(keyId: String) -> Bool { keys[keyId] != nil }

    /// Parses a fetched document: at most ``maximumBytes``, UTF-8, then as ``init(json:)``.
    package init(document: [UInt8]) throws(GatewayError) {
        guard document.count <= Self.maximumBytes else { throw .badRequest("A JWKS may be at most \(Self.maximumBytes) bytes") }
        guard let text = String(validating: document, as: UTF8.self) else { throw .badRequest("A JWKS must be UTF-8 text") }
        try self.init(json: text)
    }

    /// Parses the JWKS text. Keys that are not RSA, or are marked for encryption only, are skipped (a set may
    /// hold others); an RSA signing key that cannot be built is an error, so a typo never silently drops the
    /// one key the carrier signs with. A set without a usable key is an error.
    package init(json text: String) throws(GatewayError) {
        guard text.utf8.count <= Self.maximumBytes else { throw .badRequest("A JWKS may be at most \(Self.maximumBytes) bytes") }
        let root: JSONObject
        let entries: [JSONObject]
        do {
            root = try JSONPayload(parsing: Data(text.utf8)).object()
            entries = try root.requiredObjects("keys")
        } catch {
            throw .badRequest("A JWKS secret must be a JSON object with a 'keys' array")
        }
        guard entries.count <= Self.maximumKeys else { throw .badRequest("A JWKS may hold at most \(Self.maximumKeys) keys") }
        var keys: [String: RSAPublicKey] = [:]
        for entry in entries {
            let kty = try? entry.text("kty"), use = try? entry.text("use")
            guard kty == "RSA", use == nil || use == "sig" else { continue }
            guard let kid = try? entry.text("kid"),
                let n = (try? entry.text("n")).flatMap({ ByteEncoding.fromBase64URL($0) }),
                let e = (try? entry.text("e")).flatMap({ ByteEncoding.fromBase64URL($0) })
            else { throw .badRequest("Every RSA key of a JWKS needs 'kid' and base64url 'n' and 'e'") }
            guard keys[kid] == nil else { throw .badRequest("The JWKS names key id '\(kid)' twice") }
            keys[kid] = try RSAPublicKey(modulus: n, exponent: e)
        }
        guard !keys.isEmpty else { throw .badRequest("A JWKS secret needs at least one RSA signing key") }
        self.keys = keys
    }
}

/// Where a remote JWKS is fetched from: an `https` URL, or plain `http` to a loopback host only (a test's or an
/// air-gapped site's local key server). No user or password in it (a URL is logged and shown), at most 2 KiB.
package struct KeySetLocation: Sendable, Hashable, CustomStringConvertible {
    package let url: String

    static let maximumLength = 2_048
    static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]"]

    /// `nil` unless `text` names a JWKS location: a secret that starts with `http://` or `https://`.
    package static func parse(_ text: String) throws(GatewayError) -> KeySetLocation? {
        let lowered = text.prefix(8).lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else { return nil }
        guard text.utf8.count <= maximumLength, let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty
        else { throw .badRequest("A JWKS URL must be an absolute http(s) URL of at most \(maximumLength) bytes") }
        guard url.user == nil, url.password == nil else { throw .badRequest("A JWKS URL must not carry a user or password") }
        guard scheme == "https" || (scheme == "http" && loopbackHosts.contains(host)) else {
            throw .badRequest("A JWKS URL must be https (plain http only to a loopback host)")
        }
        return KeySetLocation(url: text)
    }

    package var description: String { url }
}

/// One of a source's RSA key sources, from one secret: the JWKS itself, or where to fetch it.
enum KeySetSource: Sendable {
    case inline(JSONWebKeySet)
    case remote(KeySetLocation)

    init(secret: String) throws(GatewayError) {
        if let location = try KeySetLocation.parse(secret.trimmingWhitespace()) {
            self = .remote(location)
        } else {
            self = .inline(try JSONWebKeySet(json: secret))
        }
    }
}
