import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// Signs a platform notification as Standard Webhooks prescribes, so the specification's own libraries verify
/// it: `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`.
///
/// Built from every active secret of an endpoint, newest first. During a rotation's grace period the header
/// carries one space-separated entry per secret (the spec's way to rotate), so a receiver still configured
/// with the old secret and one already on the new secret both accept the delivery. The MAC itself is written
/// by ``SignatureSigner/standardWebhooksSignature(messageId:timestamp:body:)``, the code the inbound verifier's
/// tests already hold to the published vectors.
package struct WebhookSigner: Sendable {
    private let signers: [SignatureSigner]

    /// At most this many secrets sign at once: the current one and those still in a grace period. Bounds the
    /// header's length and the work per delivery whatever a store row says.
    static let maxActiveSecrets = 4
    /// A `webhook-id` is ours (`msg_...`), but it is signed and sent as a header: anything but these characters
    /// could split the signed content or a header line, so it is refused rather than escaped.
    static let maxMessageIdLength = 128

    package init(secrets: [String]) throws(GatewayError) {
        guard (1...Self.maxActiveSecrets).contains(secrets.count) else {
            throw .badRequest("An endpoint signs with between 1 and \(Self.maxActiveSecrets) active secrets, not \(secrets.count)")
        }
        let settings = SignatureSettings(scheme: .standardWebhooks, header: SignatureSettings.StandardWebhooksHeader.signature)
        var signers: [SignatureSigner] = []
        for secret in secrets {
            guard secret.hasPrefix(WebhookSecret.prefix) else { throw .badRequest("An endpoint secret must start with '\(WebhookSecret.prefix)'") }
            signers.append(try SignatureSigner(settings: settings, secret: secret))
        }
        self.signers = signers
    }

    /// The `webhook-signature` value: one `v1,` entry per active secret, space-separated, in the order given.
    package func signature(messageId: String, timestamp: Timestamp, body: Data) throws(GatewayError) -> String {
        try Self.validate(messageId: messageId)
        var entries: [String] = []
        for signer in signers { entries.append(try signer.standardWebhooksSignature(messageId: messageId, timestamp: timestamp, body: body)) }
        return entries.joined(separator: " ")
    }

    /// The three Standard Webhooks headers of one delivery attempt. The id is stable across retries of the
    /// same event to the same endpoint (the receiver's dedupe key); the timestamp is the attempt's own, so a
    /// retry is not refused by the receiver's tolerance window.
    package func headers(messageId: String, timestamp: Timestamp, body: Data) throws(GatewayError) -> [(String, String)] {
        typealias H = SignatureSettings.StandardWebhooksHeader
        let signature = try signature(messageId: messageId, timestamp: timestamp, body: body)
        return [(H.id, messageId), (H.timestamp, String(timestamp.seconds)), (H.signature, signature)]
    }

    static func validate(messageId: String) throws(GatewayError) {
        let allowed = messageId.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, (1...maxMessageIdLength).contains(messageId.utf8.count) else {
            throw .badRequest("A webhook-id must be 1 to \(maxMessageIdLength) letters, digits, '_' or '-'")
        }
    }
}
