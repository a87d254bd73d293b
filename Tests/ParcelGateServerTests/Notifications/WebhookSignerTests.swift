import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Outbound signatures: the Standard Webhooks published vector, rotation, and our own inbound verifier.
@Suite struct WebhookSignerTests {
    // The Standard Webhooks specification's published test vector, from the reference libraries' tests in
    // github.com/standard-webhooks/standard-webhooks: libraries/javascript/src/webhook.test.ts ("sign function
    // works") and libraries/python/tests/test_webhooks.py (test_sign_function).
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let vectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorTimestamp = Timestamp(seconds: 1_614_265_330)
    static let vectorBody = Data(#"{"test": 2432232314}"#.utf8)
    static let vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func signsThePublishedVector() throws {
        let signer = try WebhookSigner(secrets: [Self.vectorSecret])
        #expect(try signer.signature(messageId: Self.vectorId, timestamp: Self.vectorTimestamp, body: Self.vectorBody) == Self.vectorSignature)
        let headers = try signer.headers(messageId: Self.vectorId, timestamp: Self.vectorTimestamp, body: Self.vectorBody)
        #expect(headers.map(\.0) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.1) == [Self.vectorId, "1614265330", Self.vectorSignature])
        // The python library's negative vector differs in the last character: a different body is not it.
        #expect(try signer.signature(messageId: Self.vectorId, timestamp: Self.vectorTimestamp, body: Data(#"{"test": 2432232315}"#.utf8)) != Self.vectorSignature)
        #expect(try signer.signature(messageId: Self.vectorId, timestamp: Self.vectorTimestamp.adding(milliseconds: 1_000), body: Self.vectorBody) != Self.vectorSignature)
    }

    /// During a rotation's grace period every active secret signs, space-separated, in the order given.
    @Test func rotationSignsWithEverySecretInOrder() throws {
        let newer = WebhookSecret.generate()
        let signer = try WebhookSigner(secrets: [newer, Self.vectorSecret])
        let value = try signer.signature(messageId: Self.vectorId, timestamp: Self.vectorTimestamp, body: Self.vectorBody)
        let entries = value.split(separator: " ").map(String.init)
        #expect(entries.count == 2)
        #expect(entries[1] == Self.vectorSignature)
        #expect(entries[0] == (try WebhookSigner(secrets: [newer]).signature(messageId: Self.vectorId, timestamp: Self.vectorTimestamp, body: Self.vectorBody)))
        #expect(entries[0].hasPrefix("v1,") && entries[0] != entries[1])
    }

    /// What we send passes the gateway's own inbound Standard Webhooks verifier, for a receiver holding either
    /// secret of a rotation, and fails for a receiver holding neither.
    @Test func theInboundVerifierAcceptsWhatWeSign() throws {
        let old = WebhookSecret.generate(), new = WebhookSecret.generate(), stranger = WebhookSecret.generate()
        let body = Data(#"{"type":"ping","id":"evt_1","timestamp":"2026-11-28T00:00:00Z","data":{}}"#.utf8)
        let now = Timestamp(seconds: 1_800_000_000)
        let headers = HeaderList(try WebhookSigner(secrets: [new, old]).headers(messageId: "msg_abc", timestamp: now, body: body))
        let settings = SignatureSettings(scheme: .standardWebhooks, header: "webhook-signature")
        for secret in [old, new] {
            let verified = try SignatureVerifier(settings: settings, secrets: [secret]).verify(body: body, headers: headers, now: now)
            #expect(verified.messageId == "msg_abc")
        }
        #expect(throws: GatewayError.self) { try SignatureVerifier(settings: settings, secrets: [stranger]).verify(body: body, headers: headers, now: now) }
        var tampered = body
        tampered[tampered.count - 2] = UInt8(ascii: " ")
        #expect(throws: GatewayError.self) { try SignatureVerifier(settings: settings, secrets: [old, new]).verify(body: tampered, headers: headers, now: now) }
    }

    @Test func generatedSecretsAreThirtyTwoRandomBytes() throws {
        let a = WebhookSecret.generate(), b = WebhookSecret.generate()
        #expect(a.hasPrefix("whsec_") && a != b)
        #expect(ByteEncoding.fromBase64(a.dropFirst(6))?.count == 32)
    }

    @Test(arguments: [
        ([] as [String], "between 1 and 4"),
        (["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "whsec_"),
        (["whsec_not base64!"], "base64"),
        (Array(repeating: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", count: 5), "between 1 and 4"),
    ])
    func badSecretsAreRefused(secrets: [String], message: String) {
        #expect { try WebhookSigner(secrets: secrets) } throws: { ($0 as? GatewayError)?.detail.contains(message) == true }
    }

    /// A message id is a header value and part of the signed content: only a safe alphabet is signed.
    @Test(arguments: ["", "msg.1", "msg\r\nX-Evil: 1", "msg 1", String(repeating: "a", count: 129)])
    func unsafeMessageIdsAreRefused(id: String) throws {
        let signer = try WebhookSigner(secrets: [Self.vectorSecret])
        #expect(throws: GatewayError.self) { try signer.signature(messageId: id, timestamp: Self.vectorTimestamp, body: Self.vectorBody) }
    }
}
