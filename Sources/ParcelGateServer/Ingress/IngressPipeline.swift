import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// What the gateway answers a carrier whose callback it accepted.
public enum IngressResult: Sendable, Hashable {
    case applied(fulfillmentId: String, status: FulfillmentStatus, recorded: Int)
    case duplicate
}

/// The path of one callback (DESIGN §1): resolve source, verify, normalise, dedupe and apply.
///
/// Steps 1-5 failing make the callback invalid: it is rejected with a 4xx and nothing is stored.
/// The body limit (step 2) is enforced by the HTTP layer while reading, before this runs.
public struct IngressPipeline: Sendable {
    let directory: TenantDirectory
    let store: any GatewayStore
    let clock: any GatewayClock

    public init(directory: TenantDirectory, store: any GatewayStore, clock: any GatewayClock) {
        self.directory = directory
        self.store = store
        self.clock = clock
    }

    /// The source a hook URL names, or `unknown_source` (step 1).
    public func source(tenant: String, carrier: String) throws(GatewayError) -> ResolvedSource {
        guard let source = directory.source(tenant: tenant, carrier: carrier.lowercased()) else {
            throw .unknownSource(tenant: tenant, carrier: carrier)
        }
        return source
    }

    public func handle(source: ResolvedSource, body: Data, headers: some HeaderLookup) async throws(GatewayError) -> IngressResult {
        let receivedAt = clock.now()
        // 3. Verify over the raw bytes before anything reads them.
        let verified = try source.verifier.verify(body: body, headers: headers, now: receivedAt)
        // 5. Normalise (pure). Dedupe (4) is checked atomically with apply (6) in the store's transaction.
        let context = NormalisationContext(tenant: source.tenant, carrier: source.carrier, receivedAt: receivedAt, defaultTimeZone: source.timezone)
        let normalised = try source.adapter.normalise(body, context: context)
        guard !normalised.events.isEmpty else { throw .invalidPayload("The payload carries no tracking events") }
        let callback = IngestCallback(
            tenant: source.tenant, carrier: source.carrier,
            receiptKey: Self.receiptKey(providerEventId: normalised.providerEventId, messageId: verified.messageId, body: body),
            events: normalised.events, receivedAt: receivedAt
        )
        switch try await store.ingest(callback) {
        case .applied(let id, let status, let recorded): return .applied(fulfillmentId: id, status: status, recorded: recorded)
        case .duplicate: return .duplicate
        case .invalidTransition(_, let error): throw error
        case .unmatched(let detail): throw .notFound(detail)
        }
    }

    /// The dedupe receipt key (DESIGN §1 step 4): provider event id, else the scheme's message id, else the body's digest.
    static func receiptKey(providerEventId: String?, messageId: String?, body: Data) -> String {
        if let providerEventId { return "event:" + providerEventId }
        if let messageId { return "message:" + messageId }
        return "sha256:" + ByteEncoding.hex(Crypto.sha256(body))
    }
}
