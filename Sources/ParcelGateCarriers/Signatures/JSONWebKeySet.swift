import Foundation
import ParcelGateCore

/// The RSA signing keys of a JSON Web Key Set (RFC 7517), by key id: how ShipEngine publishes the keys its
/// webhooks are signed with. For now the set is given inline as the source's secret (the JWKS text);
/// fetching it from `https://api.shipengine.com/jwks` is not built yet.
struct JSONWebKeySet: Sendable {
    let keys: [String: RSAPublicKey]

    /// A set this large is not a carrier's: refused rather than parsed into hundreds of keys.
    static let maximumKeys = 64

    /// Parses the JWKS text. Keys that are not RSA, or are marked for encryption only, are skipped (a set may
    /// hold others); an RSA signing key that cannot be built is an error, so a typo never silently drops the
    /// one key the carrier signs with. A set without a usable key is an error.
    init(json text: String) throws(GatewayError) {
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
