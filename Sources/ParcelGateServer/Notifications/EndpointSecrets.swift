import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// Endpoint signing secrets at rest: sealed with the master key like carrier secrets (bound to the tenant and
/// the endpoint, so a sealed value copied to another row does not open), in clear without one.
struct EndpointSecrets: Sendable {
    let box: SecretBox

    func seal(_ secret: String, tenant: String, endpointId: String, id: String, at now: Timestamp) throws(GatewayError) -> SecretRecord {
        let sealed = try box.seal(secret, tenant: tenant, carrier: Self.label(endpointId))
        return SecretRecord(id: id, bytes: sealed.bytes, encrypted: sealed.encrypted, createdAt: now)
    }

    /// The signer for a delivery now: the current secret, and the previous one while its grace lasts (both
    /// signatures, space-separated, as Standard Webhooks allows).
    func signer(for endpoint: EndpointRecord, now: Timestamp) throws(GatewayError) -> WebhookSigner {
        var secrets = [try open(endpoint.secret, endpoint)]
        if let previous = endpoint.previousSecret, let until = endpoint.previousExpiresAt, now < until {
            secrets.append(try open(previous, endpoint))
        }
        return try WebhookSigner(secrets: secrets)
    }

    private func open(_ record: SecretRecord, _ endpoint: EndpointRecord) throws(GatewayError) -> String {
        try box.open(SealedSecret(bytes: record.bytes, encrypted: record.encrypted), tenant: endpoint.tenant, carrier: Self.label(endpoint.id))
    }

    private static func label(_ endpointId: String) -> String { "webhook-endpoint:" + endpointId }
}
