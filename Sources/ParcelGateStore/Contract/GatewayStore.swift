import ParcelGateCore

/// Everything the gateway persists, behind one seam (DESIGN §2).
///
/// Callers never see SQL or a backend type, so a PostgreSQL backend is an addition, not a rewrite.
/// Every method that writes returns only after its transaction has committed. Every method is
/// scoped by tenant: no call reads or changes another tenant's rows.
public protocol GatewayStore: Sendable {
    /// Creates a fulfillment in `PENDING`; `conflict` when the id is taken.
    func createFulfillment(_ new: NewFulfillment) async throws(GatewayError) -> Fulfillment

    /// A fulfillment with its tracking history, or `nil`.
    func fulfillment(tenant: String, id: String) async throws(GatewayError) -> Fulfillment?

    /// The tenant's fulfillments shipped with `trackingNumber`, with their histories.
    func fulfillments(tenant: String, trackingNumber: String) async throws(GatewayError) -> [Fulfillment]

    /// Applies a platform command through the state machine; `not_found` or `invalid_transition`.
    func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at: Timestamp) async throws(GatewayError) -> Fulfillment

    /// Stores the receipt and applies a verified, normalised callback in one transaction (DESIGN §1 steps 4 and 6).
    func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome

    /// Whether the database answers (for `/readyz`).
    func ping() async throws(GatewayError)

    /// Finishes queued writes and releases the database.
    func close() async
}

/// The platform's request to create a fulfillment.
public struct NewFulfillment: Sendable, Hashable {
    public var tenant: String
    public var id: String
    public var orderId: String
    public var createdAt: Timestamp

    public init(tenant: String, id: String, orderId: String, createdAt: Timestamp) {
        self.tenant = tenant
        self.id = id
        self.orderId = orderId
        self.createdAt = createdAt
    }
}

/// A verified callback in canonical form, ready to be applied.
public struct IngestCallback: Sendable, Hashable {
    public var tenant: String
    /// The source's carrier slug; also breaks ties between fulfillments sharing a tracking number.
    public var carrier: String
    /// Dedupe key: the provider's event id, else the scheme's message id, else SHA-256 of the body.
    public var receiptKey: String
    public var events: [TrackingEvent]
    public var receivedAt: Timestamp

    public init(tenant: String, carrier: String, receiptKey: String, events: [TrackingEvent], receivedAt: Timestamp) {
        self.tenant = tenant
        self.carrier = carrier
        self.receiptKey = receiptKey
        self.events = events
        self.receivedAt = receivedAt
    }
}

/// What applying a callback did.
public enum IngestOutcome: Sendable, Hashable {
    /// At least one new event was recorded; `status` is the fulfillment's status afterwards.
    case applied(fulfillmentId: String, status: FulfillmentStatus, recorded: Int)
    /// The receipt, or every scan in it, was already stored.
    case duplicate
    /// New events were recorded, but the state machine refused them (kept with `applied: false`).
    case invalidTransition(fulfillmentId: String, GatewayError)
    /// No fulfillment matches yet; nothing was stored.
    case unmatched(String)
}
