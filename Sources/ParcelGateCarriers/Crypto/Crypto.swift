import COpenSSL
import Foundation

/// SHA-256 as fetched once from OpenSSL's default provider. OpenSSL 3 otherwise looks the algorithm up (under
/// a lock) on every call that names it through `EVP_sha256()`, which cost more than hashing a callback.
/// An `EVP_MD` is immutable and safe to share between threads.
nonisolated(unsafe) private let sha256Algorithm: OpaquePointer = {
    guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL has no SHA256") }
    return algorithm
}()

/// The few cryptographic primitives ParcelGate needs, over the system's OpenSSL.
///
/// One-shot calls only: no context objects live between requests, so nothing here needs locking
/// and the hot path does no per-request setup.
public enum Crypto {
    /// SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { outBytes in
                _ = EVP_Digest(input.baseAddress, input.count, outBytes.baseAddress, &length, sha256Algorithm, nil)
            }
        }
        return out
    }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }

    /// Cryptographically secure random bytes (for keys, ids and secrets).
    public static func randomBytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return out
    }
}

/// An HMAC-SHA256 key with its padded blocks computed once (RFC 2104), so each MAC is two plain SHA-256
/// digests: `H(K ^ opad || H(K ^ ipad || message))`.
public struct HMACKey: Sendable {
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]

    public init(_ key: [UInt8]) {
        // Keys longer than SHA-256's 64-byte block are hashed first; shorter ones are padded with zeros.
        var block = key.count > 64 ? Crypto.sha256(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        innerPad = block.map { $0 ^ 0x36 }
        outerPad = block.map { $0 ^ 0x5C }
    }

    public func authenticate(_ message: some ContiguousBytes) -> [UInt8] {
        var inner = innerPad
        message.withUnsafeBytes { inner.append(contentsOf: $0) }
        return Crypto.sha256(outerPad + Crypto.sha256(inner))
    }
}
