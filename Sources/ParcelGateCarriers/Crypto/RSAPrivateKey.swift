import COpenSSL
import Foundation
import ParcelGateCore

/// An RSA private key read from PEM, for signing as ShipEngine signs (RSASSA-PKCS1-v1_5 SHA-256): what
/// `parcelgate replay --private-key` uses to sign fixtures for a QA source configured with the matching test
/// public key. Never used by the gateway itself, which only verifies.
///
/// A class so the `EVP_PKEY` is freed exactly once; each signature uses its own `EVP_MD_CTX`, which OpenSSL 3
/// allows concurrently with one key, hence `@unchecked Sendable`.
package final class RSAPrivateKey: @unchecked Sendable {
    private let key: OpaquePointer
    /// The public half as a JWK's `n` and `e` (base64url), for the key id and the matching JWKS.
    package let modulus: [UInt8]
    package let exponent: [UInt8]

    /// Reads an unencrypted PEM private key (`BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY`). The key must be RSA
    /// with a modulus the verifier accepts (``RSAPublicKey/minimumModulusBits`` to ``RSAPublicKey/maximumModulusBits``).
    package init(pem: [UInt8]) throws(GatewayError) {
        guard !pem.isEmpty, pem.count <= 64 * 1024 else { throw .badRequest("A private key file must be PEM text of at most 64 KiB") }
        guard let parsed = Self.read(pem: pem) else { throw .badRequest("Not an unencrypted PEM private key") }
        guard EVP_PKEY_is_a(parsed, "RSA") == 1 else {
            EVP_PKEY_free(parsed)
            throw .badRequest("The private key is not an RSA key")
        }
        let bits = Int(EVP_PKEY_get_bits(parsed))
        guard (RSAPublicKey.minimumModulusBits...RSAPublicKey.maximumModulusBits).contains(bits),
            let n = Self.parameter(parsed, parcelgate_rsa_param_n()), let e = Self.parameter(parsed, parcelgate_rsa_param_e())
        else {
            EVP_PKEY_free(parsed)
            throw .badRequest("The RSA key needs a modulus of \(RSAPublicKey.minimumModulusBits) to \(RSAPublicKey.maximumModulusBits) bits")
        }
        key = parsed
        modulus = n
        exponent = e
    }

    deinit { EVP_PKEY_free(key) }

    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    package func signSHA256(_ message: [UInt8]) throws(GatewayError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw .internalError("OpenSSL could not allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit_ex(context, nil, "SHA256", nil, nil, key, nil) == 1 else { throw .internalError("OpenSSL refused to sign") }
        var length = 0
        let sized = message.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1, length > 0 else { throw .internalError("OpenSSL refused to sign") }
        var signature = [UInt8](repeating: 0, count: length)
        let status = message.withUnsafeBufferPointer { messageBytes in
            signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &length, messageBytes.baseAddress, messageBytes.count) }
        }
        guard status == 1, length <= signature.count else { throw .internalError("OpenSSL refused to sign") }
        return Array(signature.prefix(length))
    }

    /// The public key's RFC 7638 thumbprint (base64url SHA-256 of `{"e":…,"kty":"RSA","n":…}`): the key id
    /// replay uses unless told another, and the `kid` of the committed QA JWKS.
    package func thumbprint() throws(GatewayError) -> String { try Self.thumbprint(modulus: modulus, exponent: exponent) }

    /// RFC 7638's thumbprint of an RSA public key given as big-endian `n` and `e`.
    package static func thumbprint(modulus: [UInt8], exponent: [UInt8]) throws(GatewayError) -> String {
        let canonical = #"{"e":"\#(ByteEncoding.base64URL(exponent))","kty":"RSA","n":"\#(ByteEncoding.base64URL(modulus))"}"#
        return ByteEncoding.base64URL(try Crypto.sha256(Array(canonical.utf8)))
    }

    /// The public half as a one-key JWKS, for the source that verifies what this key signs.
    package func publicJWKS(keyId: String) -> String {
        #"{"keys":[{"kty":"RSA","kid":"\#(keyId)","use":"sig","alg":"RS256","n":"\#(ByteEncoding.base64URL(modulus))","e":"\#(ByteEncoding.base64URL(exponent))"}]}"#
    }

    private static func read(pem: [UInt8]) -> OpaquePointer? {
        pem.withUnsafeBytes { bytes -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            // No password callback and no password: an encrypted key fails rather than prompting.
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
    }

    private static func parameter(_ key: OpaquePointer, _ name: UnsafePointer<CChar>) -> [UInt8]? {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else { return nil }
        defer { BN_free(number) }
        let count = (Int(BN_num_bits(number)) + 7) / 8
        guard count > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let written = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(number, $0.baseAddress) }
        return written == Int32(count) ? bytes : nil
    }
}
