import COpenSSL
import Foundation

/// The few cryptographic primitives ParcelGate needs, over the system's OpenSSL.
///
/// One-shot calls only: no context objects live between requests, so nothing here needs locking
/// and the hot path does no per-request setup.
public enum Crypto {
    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        message.withUnsafeBytes { input in
            key.withUnsafeBufferPointer { keyBytes in
                out.withUnsafeMutableBufferPointer { outBytes in
                    _ = HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                        input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                        outBytes.baseAddress, &length
                    )
                }
            }
        }
        return out
    }

    /// SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { outBytes in
                _ = EVP_Digest(input.baseAddress, input.count, outBytes.baseAddress, &length, EVP_sha256(), nil)
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
