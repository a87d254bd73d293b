import COpenSSL
import Foundation
import ParcelGateCore

/// An RSA public key held by OpenSSL, built once from a JWK's modulus and exponent, for RSASSA-PKCS1-v1_5
/// SHA-256 verification (ShipEngine's webhook signatures).
///
/// A class so the `EVP_PKEY` is freed exactly once, when the last source holding it goes. OpenSSL 3 allows
/// concurrent verifications with one key as long as each uses its own `EVP_MD_CTX`, which `verify` does,
/// hence `@unchecked Sendable`.
final class RSAPublicKey: @unchecked Sendable {
    private let key: OpaquePointer

    /// The smallest modulus accepted: anything shorter is forgeable and no carrier uses it.
    static let minimumModulusBits = 2048
    /// The largest: OpenSSL's own verification limit, so a JWKS cannot make each verification arbitrarily slow
    /// (and every length handed to OpenSSL fits its `Int32`).
    static let maximumModulusBits = 16_384

    /// `modulus` and `exponent` are big-endian unsigned bytes (a JWK's `n` and `e` after base64url).
    init(modulus: [UInt8], exponent: [UInt8]) throws(GatewayError) {
        let modulusBytes = modulus.drop { $0 == 0 }
        guard (Self.minimumModulusBits...Self.maximumModulusBits).contains(modulusBytes.count * 8), !exponent.isEmpty, exponent.count <= 8 else {
            throw .badRequest("An RSA key needs a modulus of \(Self.minimumModulusBits) to \(Self.maximumModulusBits) bits and a short exponent")
        }
        guard let built = Self.build(modulus: Array(modulusBytes), exponent: exponent) else {
            throw .badRequest("OpenSSL refused the RSA key")
        }
        key = built
    }

    deinit { EVP_PKEY_free(key) }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message` under this key.
    /// Any OpenSSL failure reads as "not valid": verification fails closed.
    func verifySHA256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard !signature.isEmpty, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        // RSA keys default to PKCS#1 v1.5 padding, which is the scheme ShipEngine signs with.
        guard EVP_DigestVerifyInit_ex(context, nil, "SHA256", nil, nil, key, nil) == 1 else { return false }
        let status = message.withUnsafeBufferPointer { messageBytes in
            signature.withUnsafeBufferPointer { signatureBytes in
                EVP_DigestVerify(context, signatureBytes.baseAddress, signatureBytes.count, messageBytes.baseAddress, messageBytes.count)
            }
        }
        return status == 1
    }

    /// `EVP_PKEY_fromdata` with `n` and `e`; every intermediate object is freed whatever happens.
    private static func build(modulus: [UInt8], exponent: [UInt8]) -> OpaquePointer? {
        let n = modulus.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        defer { BN_free(n) }
        let e = exponent.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        defer { BN_free(e) }
        guard let n, let e, let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard OSSL_PARAM_BLD_push_BN(builder, parcelgate_rsa_param_n(), n) == 1,
            OSSL_PARAM_BLD_push_BN(builder, parcelgate_rsa_param_e(), e) == 1,
            let params = OSSL_PARAM_BLD_to_param(builder)
        else { return nil }
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &key, parcelgate_evp_pkey_public_key_selection(), params) == 1
        else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }
}
