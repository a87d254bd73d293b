import COpenSSL
import Foundation
import ParcelGateCore

/// SHA-256 as fetched once from OpenSSL's default provider. OpenSSL 3 otherwise looks the algorithm up (under
/// a lock) on every call that names it through `EVP_sha256()`, which cost more than hashing a callback.
/// An `EVP_MD` is immutable and safe to share between threads.
/// `nil` when OpenSSL cannot provide it: every digest then fails closed with an error.
nonisolated(unsafe) private let sha256Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

/// The few cryptographic primitives ParcelGate needs, over the system's OpenSSL.
///
/// One-shot calls only: no context objects live between requests, so nothing here needs locking
/// and the hot path does no per-request setup.
package enum Crypto {
    /// SHA-256 digest of `bytes`. Fails closed: an OpenSSL failure is an error, never a digest of zeros that
    /// a forged signature could match.
    package static func sha256(_ bytes: some ContiguousBytes) throws(GatewayError) -> [UInt8] {
        try digest(bytes, using: sha256Algorithm)
    }

    /// The digest of `bytes` under `algorithm` (32 bytes), or `internal_error` when OpenSSL reports a failure
    /// or a length other than 32. Separate from `sha256` so a test can make OpenSSL fail.
    static func digest(_ bytes: some ContiguousBytes, using algorithm: OpaquePointer?) throws(GatewayError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let status: Int32 = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { outBytes in
                guard let algorithm, EVP_MD_get_size(algorithm) == 32 else { return 0 }
                return EVP_Digest(input.baseAddress, input.count, outBytes.baseAddress, &length, algorithm, nil)
            }
        }
        guard status == 1, length == 32 else { throw .internalError("A SHA-256 digest failed in OpenSSL") }
        return Array(out.prefix(32))
    }

    /// Compares two byte strings in time that depends only on their length.
    package static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }

    /// Cryptographically secure random bytes (for keys, ids and secrets).
    package static func randomBytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return out
    }
}

/// An HMAC-SHA256 key with its padded blocks computed once (RFC 2104), so each MAC is two plain SHA-256
/// digests: `H(K ^ opad || H(K ^ ipad || message))`.
struct HMACKey: Sendable {
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]

    init(_ key: [UInt8]) throws(GatewayError) {
        // Keys longer than SHA-256's 64-byte block are hashed first; shorter ones are padded with zeros.
        var block = key.count > 64 ? try Crypto.sha256(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        innerPad = block.map { $0 ^ 0x36 }
        outerPad = block.map { $0 ^ 0x5C }
    }

    /// The MAC of `message`; an OpenSSL failure is an error (fails closed).
    func authenticate(_ message: some ContiguousBytes) throws(GatewayError) -> [UInt8] {
        var inner = innerPad
        message.withUnsafeBytes { inner.append(contentsOf: $0) }
        return try Crypto.sha256(outerPad + Crypto.sha256(inner))
    }
}
