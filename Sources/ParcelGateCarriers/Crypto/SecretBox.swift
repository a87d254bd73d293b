import COpenSSL
import Foundation
import ParcelGateCore

/// A carrier secret as stored: AES-256-GCM ciphertext under the master key, or the clear bytes when no
/// master key is configured.
package struct SealedSecret: Sendable, Hashable {
    /// `nonce (12) ‖ ciphertext ‖ tag (16)` when `encrypted`, else the secret's UTF-8 bytes.
    package var bytes: [UInt8]
    package var encrypted: Bool

    package init(bytes: [UInt8], encrypted: Bool) {
        self.bytes = bytes
        self.encrypted = encrypted
    }
}

/// Encrypts carrier secrets at rest (they must stay readable to verify signatures, so they cannot be hashed).
///
/// AES-256-GCM with a random 96-bit nonce per secret; the tenant and carrier are bound in as associated
/// data, so a ciphertext copied to another source's row does not decrypt.
package struct SecretBox: Sendable {
    private let key: [UInt8]?

    /// `PARCELGATE_MASTER_KEY`: 32 bytes, base64. `nil` stores secrets in clear.
    package init(masterKeyBase64: String?) throws(GatewayError) {
        guard let text = masterKeyBase64?.trimmingWhitespace(), !text.isEmpty else {
            key = nil
            return
        }
        guard let bytes = ByteEncoding.fromBase64(text), bytes.count == 32 else {
            throw .badRequest("PARCELGATE_MASTER_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
        }
        key = bytes
    }

    package var encrypts: Bool { key != nil }

    package func seal(_ secret: String, tenant: String, carrier: String) throws(GatewayError) -> SealedSecret {
        guard let key else { return SealedSecret(bytes: Array(secret.utf8), encrypted: false) }
        let nonce = Crypto.randomBytes(count: 12)
        let plaintext = Array(secret.utf8)
        let aad = Array("\(tenant)/\(carrier)".utf8)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        guard let context = EVP_CIPHER_CTX_new() else { throw .internalError("Cannot create a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        var total: Int32 = 0
        let ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
            && EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1
            && { total = length; return true }()
            && ciphertext.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + Int(total), &length) } == 1
            && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1
        guard ok else { throw .internalError("Secret encryption failed") }
        return SealedSecret(bytes: nonce + ciphertext.prefix(Int(total + length)) + tag, encrypted: true)
    }

    package func open(_ sealed: SealedSecret, tenant: String, carrier: String) throws(GatewayError) -> String {
        guard sealed.encrypted else { return String(decoding: sealed.bytes, as: UTF8.self) }
        guard let key else {
            throw .badRequest("The database holds encrypted carrier secrets: set PARCELGATE_MASTER_KEY to the key they were sealed with")
        }
        guard sealed.bytes.count >= 12 + 16 else { throw .internalError("A sealed secret is truncated") }
        let nonce = Array(sealed.bytes.prefix(12))
        let tag = Array(sealed.bytes.suffix(16))
        let ciphertext = Array(sealed.bytes.dropFirst(12).dropLast(16))
        let aad = Array("\(tenant)/\(carrier)".utf8)
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        guard let context = EVP_CIPHER_CTX_new() else { throw .internalError("Cannot create a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        var total: Int32 = 0
        var tagCopy = tag
        let ok = EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
            && EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1
            && { total = length; return true }()
            && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tagCopy) == 1
            && plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(context, $0.baseAddress! + Int(total), &length) } == 1
        guard ok else {
            throw .badRequest("A carrier secret does not decrypt with PARCELGATE_MASTER_KEY: is it the key the secrets were sealed with?")
        }
        return String(decoding: plaintext.prefix(Int(total + length)), as: UTF8.self)
    }
}
