import Foundation
import ParcelGateCore

/// What a successful verification learned about the callback.
package struct VerifiedSignature: Sendable, Hashable {
    /// A message id the scheme signs (Standard Webhooks' `webhook-id`), usable as a dedupe key.
    package var messageId: String?
}

/// A signing key derived once from a configured secret, so no request re-derives it.
struct SigningKey: Sendable {
    /// HMAC key bytes, the token bytes for `static-token`, the appended API key for `sha256-body-slash-key-hex`.
    let bytes: [UInt8]
    /// The HMAC schemes' key, padded once.
    let mac: HMACKey
    /// SHA-256 of `bytes`: a static token is compared digest to digest, so the comparison takes the same
    /// time whatever the presented token's length and reveals nothing about the secret's.
    let digest: [UInt8]
    /// Where the carrier's public keys come from for `rsa-sha256-jwks` (the secret is the JWKS text or its URL);
    /// `nil` for every other scheme.
    let keySource: KeySetSource?

    init(secret: String, settings: SignatureSettings) throws(GatewayError) {
        keySource = settings.scheme == .rsaSHA256JWKS ? try KeySetSource(secret: secret) : nil
        switch settings.scheme {
        case .standardWebhooks:
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let key = ByteEncoding.fromBase64(encoded), !key.isEmpty else {
                throw .badRequest("A standard-webhooks secret must be base64, optionally after 'whsec_'")
            }
            bytes = key
        default:
            let text = settings.normalizesSecret ? secret.decomposedStringWithCompatibilityMapping : secret
            bytes = Array(text.utf8)
        }
        guard !bytes.isEmpty else { throw .badRequest("A secret must not be empty") }
        mac = try HMACKey(bytes)
        digest = try Crypto.sha256(bytes)
    }
}

/// Verifies callbacks of one source against all of its active secrets (rotation: any one may match).
///
/// Built once per source when configuration loads; `verify` is the per-request work and allocates
/// only the MAC it computes. Every comparison of secret material is constant-time.
package struct SignatureVerifier: Sendable {
    let settings: SignatureSettings
    private let keys: [SigningKey]
    /// `header` then the alternatives, built once.
    private let locations: [SignatureSettings.HeaderLocation]
    /// The JWKS URLs among this source's secrets (`rsa-sha256-jwks`): the caller fetches these sets (through the
    /// gateway's cache) and passes them to ``verify(body:headers:now:fetched:)``. Empty for every other scheme.
    package let keySetLocations: [KeySetLocation]

    package init(settings: SignatureSettings, secrets: [String]) throws(GatewayError) {
        guard !secrets.isEmpty else { throw .badRequest("A source needs at least one secret") }
        self.settings = settings
        self.locations = [SignatureSettings.HeaderLocation(header: settings.header, prefix: settings.prefix)] + settings.alternatives
        var keys: [SigningKey] = []
        for secret in secrets { keys.append(try SigningKey(secret: secret, settings: settings)) }
        self.keys = keys
        self.keySetLocations = keys.compactMap { key in
            if case .remote(let location) = key.keySource { return location }
            return nil
        }
    }

    /// The key id a ShipEngine-style callback names (trimmed), so the caller can fetch a key set that holds it.
    package static func presentedKeyId(_ headers: some HeaderLookup) -> String? {
        headers.value(for: SignatureSettings.RSAKeyHeader.keyId)?.trimmingWhitespace()
    }

    /// The largest signed timestamp a header may carry: 12 digits (about the year 33658). Parsed strictly,
    /// so no header can produce a number whose arithmetic overflows.
    static let maxTimestampDigits = 12

    /// `fetched` are the key sets at ``keySetLocations``, as the caller's cache holds them now (`rsa-sha256-jwks`
    /// with remote keys only; ignored otherwise).
    package func verify(body: Data, headers: some HeaderLookup, now: Timestamp, fetched: [JSONWebKeySet] = []) throws(GatewayError) -> VerifiedSignature {
        switch settings.scheme {
        case .hmacSHA256Hex, .hmacSHA256Base64:
            let presented = try presentedValue(headers)
            let decoded = settings.scheme == .hmacSHA256Hex ? ByteEncoding.fromHex(presented) : ByteEncoding.fromBase64(presented)
            guard let signature = decoded, signature.count == 32 else { throw .invalidSignature("Malformed signature in header '\(settings.header)'") }
            try match([signature]) { key throws(GatewayError) in try key.mac.authenticate(body) }
            return VerifiedSignature(messageId: nil)

        case .hmacSHA256Timestamped:
            let presented = try presentedValue(headers)
            var timestampText: String?
            var signatures: [[UInt8]] = []
            for part in presented.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard pair.count == 2 else { continue }
                if pair[0] == "t" {
                    guard timestampText == nil else { throw .invalidSignature("Malformed signature in header '\(settings.header)': more than one 't'") }
                    timestampText = pair[1]
                }
                if pair[0] == "v1", let bytes = ByteEncoding.fromHex(pair[1]), bytes.count == 32 { signatures.append(bytes) }
            }
            guard let timestampText, let timestamp = StrictNumber.nonNegative(timestampText, maxDigits: Self.maxTimestampDigits), !signatures.isEmpty else {
                throw .invalidSignature("Malformed signature in header '\(settings.header)'")
            }
            try checkTolerance(timestamp, now: now)
            // The timestamp exactly as the sender wrote it is what it signed.
            let content = Self.signedContent(parts: [timestampText], body: body)
            try match(signatures) { key throws(GatewayError) in try key.mac.authenticate(content) }
            return VerifiedSignature(messageId: nil)

        case .standardWebhooks:
            typealias H = SignatureSettings.StandardWebhooksHeader
            let signatureLines = headers.values(for: H.signature)
            guard let id = headers.value(for: H.id), let timestampText = headers.value(for: H.timestamp), !signatureLines.isEmpty
            else { throw .invalidSignature("Missing one of the headers '\(H.id)', '\(H.timestamp)', '\(H.signature)'") }
            guard let timestamp = StrictNumber.nonNegative(timestampText, maxDigits: Self.maxTimestampDigits) else {
                throw .invalidSignature("Malformed header '\(H.timestamp)'")
            }
            // Every line of the header counts, and each holds space-separated `v1,<base64>` entries (the spec
            // lets a sender list several during its own rotation); other versions are ignored.
            var signatures: [[UInt8]] = []
            for line in signatureLines {
                for entry in line.split(separator: " ") {
                    let pair = entry.split(separator: ",", maxSplits: 1)
                    guard pair.count == 2, pair[0] == "v1", let bytes = ByteEncoding.fromBase64(pair[1]), bytes.count == 32 else { continue }
                    signatures.append(bytes)
                }
            }
            guard !signatures.isEmpty else { throw .invalidSignature("Malformed header '\(H.signature)'") }
            try checkTolerance(timestamp, now: now)
            let content = Self.signedContent(parts: [id, timestampText], body: body)
            try match(signatures) { key throws(GatewayError) in try key.mac.authenticate(content) }
            return VerifiedSignature(messageId: id)

        case .staticToken:
            let presented = try Crypto.sha256(Array(try presentedValue(headers).utf8))
            try match([presented]) { key in key.digest }
            return VerifiedSignature(messageId: nil)

        case .sha256BodySlashKeyHex:
            // No timestamp is signed, so there is no tolerance to check: dedupe is the only replay defence.
            let presented = try presentedValue(headers)
            guard let signature = ByteEncoding.fromHex(presented), signature.count == 32 else {
                throw .invalidSignature("Malformed signature in header '\(settings.header)'")
            }
            try match([signature]) { key throws(GatewayError) in try Crypto.sha256(Self.bodySlashKey(body: body, key: key.bytes)) }
            return VerifiedSignature(messageId: nil)

        case .rsaSHA256JWKS:
            try verifyRSA(body: body, headers: headers, now: now, fetched: fetched)
            return VerifiedSignature(messageId: nil)
        }
    }

    /// ShipEngine: the key named by the key-id header, from any active JWKS (rotation), inline or fetched, must
    /// verify the signature over `"<timestamp as sent>." + body`. Nothing secret is compared here: the keys are
    /// public, and OpenSSL decides. Every failure is `invalid_signature`.
    private func verifyRSA(body: Data, headers: some HeaderLookup, now: Timestamp, fetched: [JSONWebKeySet]) throws(GatewayError) {
        typealias H = SignatureSettings.RSAKeyHeader
        let presented = try presentedValue(headers)
        guard let timestampText = headers.value(for: H.timestamp)?.trimmingWhitespace(), let keyId = headers.value(for: H.keyId)?.trimmingWhitespace()
        else { throw .invalidSignature("Missing one of the headers '\(settings.header)', '\(H.timestamp)', '\(H.keyId)'") }
        guard let timestamp = Self.rsaTimestamp(timestampText) else { throw .invalidSignature("Malformed header '\(H.timestamp)'") }
        guard let signature = ByteEncoding.fromBase64(presented), !signature.isEmpty else {
            throw .invalidSignature("Malformed signature in header '\(settings.header)'")
        }
        let inline = keys.lazy.compactMap { key -> RSAPublicKey? in
            if case .inline(let set) = key.keySource { return set.keys[keyId] }
            return nil
        }.first
        guard let key = inline ?? fetched.lazy.compactMap({ $0.keys[keyId] }).first else {
            throw .invalidSignature("Unknown key id in header '\(H.keyId)'")
        }
        try checkTolerance(timestamp, now: now)
        let content = Self.signedContent(parts: [timestampText], body: body)
        guard key.verifySHA256(signature: signature, message: content) else { throw .invalidSignature("Signature does not match") }
    }

    /// ShipEngine's timestamp in seconds: RFC 3339 with an offset (what its samples carry), or Unix seconds.
    /// A time without an offset names no instant and is refused.
    static func rsaTimestamp(_ text: String) -> Int64? {
        if let seconds = StrictNumber.nonNegative(text, maxDigits: maxTimestampDigits) { return seconds }
        return ISO8601Parser.parse(text)?.instant?.seconds
    }

    /// The header's value after its prefix: from `header`, else from the first alternative present.
    private func presentedValue(_ headers: some HeaderLookup) throws(GatewayError) -> Substring {
        guard let (location, raw) = locations.lazy.compactMap({ location in headers.value(for: location.header).map { (location, $0) } }).first else {
            throw .invalidSignature("Missing signature header '\(settings.header)'")
        }
        let value = raw.trimmingWhitespace()
        guard !location.prefix.isEmpty else { return Substring(value) }
        guard value.utf8.count >= location.prefix.utf8.count,
            String(decoding: value.utf8.prefix(location.prefix.utf8.count), as: UTF8.self).caseInsensitiveEquals(location.prefix)
        else {
            throw .invalidSignature("Malformed signature in header '\(location.header)': expected prefix '\(location.prefix.trimmingWhitespace())'")
        }
        return Substring(value.utf8.dropFirst(location.prefix.utf8.count))
    }

    /// Both numbers are bounded (the timestamp by its digit count, `now` by the clock), and the distance is
    /// still computed with overflow reported, so no timestamp can trap. A tolerance of 0 turns the window off
    /// (a QA source replaying captured traffic with its original signatures; the gateway warns at start).
    private func checkTolerance(_ timestamp: Int64, now: Timestamp) throws(GatewayError) {
        guard settings.toleranceSeconds != 0 else { return }
        let (distance, overflow) = now.seconds.subtractingReportingOverflow(timestamp)
        guard !overflow, distance.magnitude <= UInt64(max(settings.toleranceSeconds, 0)) else {
            throw .invalidSignature("Signature timestamp is outside the tolerance of \(settings.toleranceSeconds) s")
        }
    }

    /// Succeeds when any presented signature equals the expected value under any active key.
    /// Every pair is compared, in constant time, so timing tells nothing about which key or where.
    private func match(_ presented: [[UInt8]], expected: (SigningKey) throws(GatewayError) -> [UInt8]) throws(GatewayError) {
        var matched = false
        for key in keys {
            let mac = try expected(key)
            for candidate in presented where Crypto.constantTimeEquals(mac, candidate) { matched = true }
        }
        guard matched else { throw .invalidSignature("Signature does not match") }
    }

    /// The exact body bytes, `/`, then the key's bytes: what `sha256-body-slash-key-hex` digests (17TRACK).
    /// Bytes, never text, so a body with non-ASCII characters is digested exactly as it arrived.
    static func bodySlashKey(body: Data, key: [UInt8]) -> [UInt8] {
        var content = [UInt8]()
        content.reserveCapacity(body.count + 1 + key.count)
        content.append(contentsOf: body)
        content.append(UInt8(ascii: "/"))
        content.append(contentsOf: key)
        return content
    }

    /// `part1.part2.body` as bytes: the content timestamped schemes sign.
    static func signedContent(parts: [String], body: Data) -> [UInt8] {
        var content = [UInt8]()
        content.reserveCapacity(body.count + 64)
        for part in parts {
            content.append(contentsOf: part.utf8)
            content.append(UInt8(ascii: "."))
        }
        content.append(contentsOf: body)
        return content
    }
}

/// Produces the headers a carrier would send: for the replay tool, the benchmark and tests.
/// It shares key derivation and signed content with ``SignatureVerifier``, so the two cannot drift.
package struct SignatureSigner: Sendable {
    let settings: SignatureSettings
    private let signing: Signing

    /// A shared secret, or for `rsa-sha256-jwks` a private key and the id its public half has in the JWKS.
    private enum Signing: Sendable {
        case secret(SigningKey)
        case rsa(RSAPrivateKey, keyId: String)
    }

    package init(settings: SignatureSettings, secret: String) throws(GatewayError) {
        self.settings = settings
        self.signing = .secret(try SigningKey(secret: secret, settings: settings))
    }

    /// Signs as ShipEngine does, with a test private key whose public half (id `keyId`) a QA source holds.
    package init(settings: SignatureSettings, privateKey: RSAPrivateKey, keyId: String) throws(GatewayError) {
        guard settings.scheme == .rsaSHA256JWKS else { throw .badRequest("A private key signs only 'rsa-sha256-jwks' callbacks") }
        guard !keyId.isEmpty, keyId.utf8.count <= 256, !keyId.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .badRequest("A key id must be 1 to 256 printable characters")
        }
        self.settings = settings
        self.signing = .rsa(privateKey, keyId: keyId)
    }

    package func headers(for body: Data, now: Timestamp, messageId: String? = nil) throws(GatewayError) -> [(String, String)] {
        let key: SigningKey
        switch signing {
        case .rsa(let privateKey, let keyId):
            typealias H = SignatureSettings.RSAKeyHeader
            // ShipEngine sends an RFC 3339 instant; it is signed exactly as the header carries it.
            let timestamp = now.rfc3339
            let signature = try privateKey.signSHA256(SignatureVerifier.signedContent(parts: [timestamp], body: body))
            return [(settings.header, settings.prefix + ByteEncoding.base64(signature)), (H.timestamp, timestamp), (H.keyId, keyId)]
        case .secret(let secretKey):
            key = secretKey
        }
        switch settings.scheme {
        case .hmacSHA256Hex:
            return [(settings.header, settings.prefix + ByteEncoding.hex(try key.mac.authenticate(body)))]
        case .hmacSHA256Base64:
            return [(settings.header, settings.prefix + ByteEncoding.base64(try key.mac.authenticate(body)))]
        case .hmacSHA256Timestamped:
            let content = SignatureVerifier.signedContent(parts: [String(now.seconds)], body: body)
            let mac = ByteEncoding.hex(try key.mac.authenticate(content))
            return [(settings.header, settings.prefix + "t=\(now.seconds),v1=\(mac)")]
        case .standardWebhooks:
            typealias H = SignatureSettings.StandardWebhooksHeader
            let id = messageId ?? "msg_" + ByteEncoding.hex(Crypto.randomBytes(count: 12))
            return [(H.id, id), (H.timestamp, String(now.seconds)), (H.signature, try standardWebhooksSignature(messageId: id, timestamp: now, body: body))]
        case .staticToken:
            return [(settings.header, settings.prefix + String(decoding: key.bytes, as: UTF8.self))]
        case .rsaSHA256JWKS:
            // A JWKS is public: signing needs a private key (`init(settings:privateKey:keyId:)`).
            throw .badRequest("'rsa-sha256-jwks' callbacks are signed with a private key (replay: --private-key FILE), not the source's JWKS")
        case .sha256BodySlashKeyHex:
            let digest = try Crypto.sha256(SignatureVerifier.bodySlashKey(body: body, key: key.bytes))
            return [(settings.header, settings.prefix + ByteEncoding.hex(digest))]
        }
    }

    /// One Standard Webhooks signature entry, `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, under this
    /// signer's key: the one place that writes that form, for the carrier-style headers above and for the
    /// platform notifications' signer (which joins one entry per active secret). The timestamp is signed as
    /// whole seconds, exactly as the `webhook-timestamp` header carries it.
    package func standardWebhooksSignature(messageId: String, timestamp: Timestamp, body: Data) throws(GatewayError) -> String {
        guard case .secret(let key) = signing else { throw .badRequest("A Standard Webhooks signature needs a shared secret") }
        let content = SignatureVerifier.signedContent(parts: [messageId, String(timestamp.seconds)], body: body)
        return "v1," + ByteEncoding.base64(try key.mac.authenticate(content))
    }
}
