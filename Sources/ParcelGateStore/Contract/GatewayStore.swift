import ParcelGateCore

/// Everything the gateway persists, behind one seam (docs/architecture.md, "The store seam").
///
/// Callers never see SQL or a backend type, so a PostgreSQL backend is an addition, not a rewrite.
/// Every method that writes returns only after its transaction has committed. Every method is
/// scoped by tenant: no call reads or changes another tenant's rows.
package protocol GatewayStore: Sendable {
    /// Creates a fulfillment in `PENDING`; `conflict` when the id is taken.
    func createFulfillment(_ new: NewFulfillment) async throws(GatewayError) -> Fulfillment

    /// A fulfillment with its tracking history, or `nil`.
    func fulfillment(tenant: String, id: String) async throws(GatewayError) -> Fulfillment?

    /// The tenant's fulfillments that `filter` selects, oldest first, with their histories: two queries
    /// whatever their number (the fulfillments, then every history row of them), never one per fulfillment.
    func fulfillments(tenant: String, where filter: FulfillmentFilter) async throws(GatewayError) -> [Fulfillment]

    /// Applies a platform command through the state machine; `not_found` or `invalid_transition`.
    func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at: Timestamp) async throws(GatewayError) -> Fulfillment

    /// Stores the receipt and applies a verified, normalised callback in one transaction (docs/architecture.md, "The path of one callback", step 5: dedupe and apply).
    func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome

    // MARK: Retry queue (docs/architecture.md, "The retry queue"): the same five operations on every backend.

    /// Stores a failed callback; returns its id.
    func storeRetry(_ entry: RetryEntry) async throws(GatewayError) -> String

    /// Pending entries due at `now`, oldest first and round-robin across tenants (so one tenant's backlog
    /// does not delay another's), each pushed `leaseMilliseconds` into the future so that entries of a
    /// worker that vanished come back by themselves. No entry is returned to two concurrent claimers.
    ///
    /// Each claim stamps its entries with a fresh random `claimToken`: the lease only says when an entry
    /// may be claimed again, the token says who holds it now. A re-claim after the lease issues a new token.
    func claimDue(limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> [RetryEntry]

    // The three marks below land only while `claimToken` still holds the pending entry (checked in the
    // same UPDATE), and each releases the claim. Otherwise they change nothing and throw `conflict`
    // ("claim lost"): the attempt outlived its lease and another claimer owns the entry, or the same
    // attempt was already recorded. So a late attempt is never applied to the queue twice nor counted twice.

    func markSucceeded(id: String, claimToken: String, now: Timestamp) async throws(GatewayError)

    /// Counts a failed attempt: next time from `policy`, or `exhausted` when attempts reach its maximum.
    @discardableResult
    func markFailed(id: String, claimToken: String, error: String, policy: BackoffPolicy, now: Timestamp) async throws(GatewayError) -> RetryEntry

    /// A permanent failure found on retry: the entry becomes a dead letter at once.
    func markExhausted(id: String, claimToken: String, reason: String, now: Timestamp) async throws(GatewayError)

    /// The tenant's entries, newest first, optionally of one status.
    func retryEntries(tenant: String, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry]

    func retryEntry(tenant: String, id: String) async throws(GatewayError) -> RetryEntry?

    /// Puts a pending or exhausted entry back to pending, due now, with a fresh attempt count.
    func replayRetry(tenant: String, id: String, now: Timestamp) async throws(GatewayError) -> RetryEntry

    /// How many entries are in each status (queue depth, for `/metrics`).
    func retryCounts() async throws(GatewayError) -> [RetryStatus: Int]

    /// Deletes succeeded entries last updated before `before`; returns how many.
    @discardableResult
    func purgeSucceeded(before: Timestamp) async throws(GatewayError) -> Int

    // MARK: Tenants, sources, secrets and API keys. Every change increases the directory version.

    /// Every tenant with its sources, secrets and active keys, consistently.
    func directory() async throws(GatewayError) -> DirectorySnapshot

    /// The current directory version (cheap: for replicas polling for changes).
    func directoryVersion() async throws(GatewayError) -> Int64

    /// Creates a tenant with its sources (their secrets included) and API keys, all in one transaction, so
    /// no replica ever sees half a tenant; `conflict` when the slug is taken.
    func createTenant(_ tenant: TenantRecord, sources: [SourceRecord], apiKeys: [APIKeyRecord]) async throws(GatewayError)

    /// Replaces the tenant's rate limit and retry policy; `not_found` when absent.
    func updateTenant(_ tenant: TenantRecord) async throws(GatewayError)

    /// Creates or updates a source's settings (its `secrets` are ignored: see `addSecret`).
    func putSource(_ source: SourceRecord) async throws(GatewayError)

    func deleteSource(tenant: String, carrier: String) async throws(GatewayError)

    func addSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError)

    /// Replaces a stored secret's bytes (re-sealing under a master key).
    func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError)

    /// `conflict` when it is the source's last secret: add the new one first.
    func removeSecret(tenant: String, carrier: String, id: String) async throws(GatewayError)

    func addAPIKey(_ key: APIKeyRecord) async throws(GatewayError)

    func revokeAPIKey(tenant: String, id: String, at: Timestamp) async throws(GatewayError)

    // MARK: Outbound notifications (docs/architecture.md, "Outbound notifications")

    func createEndpoint(_ endpoint: EndpointRecord) async throws(GatewayError)
    /// The tenant's endpoints, oldest first.
    func endpoints(tenant: String) async throws(GatewayError) -> [EndpointRecord]
    func endpoint(tenant: String, id: String) async throws(GatewayError) -> EndpointRecord?
    /// Changes an endpoint under its row lock; `not_found`. Disabling holds its waiting deliveries; enabling
    /// closes its circuit and sends the held ones, in order.
    func updateEndpoint(tenant: String, id: String, now: Timestamp,
                        _ change: @escaping @Sendable (inout EndpointRecord) throws(GatewayError) -> Void) async throws(GatewayError) -> EndpointRecord
    /// Removes an endpoint and its deliveries; `not_found`.
    func deleteEndpoint(tenant: String, id: String) async throws(GatewayError)
    /// Fans out up to `limit` outbox events to their tenants' endpoints: `notifications` says what each event
    /// becomes, `accepts` which endpoint takes which. Idempotent; returns how many deliveries it added.
    func dispatchNotifications(limit: Int, now: Timestamp, notifications: @escaping @Sendable (OutboxEvent) -> [NewNotification],
                               accepts: @escaping @Sendable (EndpointRecord, NewNotification) -> Bool) async throws(GatewayError) -> Int
    /// A notification for one endpoint outside the outbox (a ping), stored claimed by the caller, who sends it
    /// now; `conflict` when the endpoint is disabled.
    func enqueueClaimedDelivery(tenant: String, endpointId: String, _ notification: NewNotification, leaseMilliseconds: Int64,
                                now: Timestamp) async throws(GatewayError) -> ClaimedDelivery
    /// Due deliveries, each the head of its (endpoint, fulfillment) chain, at most `perEndpoint` per endpoint
    /// taken round-robin (one endpoint's backlog does not hide another's), as many as `admit` allows, under a
    /// fresh claim token and a lease. No delivery is handed to two claimers at once.
    func claimDeliveries(limit: Int, perEndpoint: Int, leaseMilliseconds: Int64, now: Timestamp,
                         admit: @escaping @Sendable (EndpointRecord, _ inFlight: Int) -> EndpointAdmission) async throws(GatewayError) -> [ClaimedDelivery]
    /// One delivery to send now whatever its schedule (retry-now); `conflict` when held or in flight.
    func claimDeliveryNow(tenant: String, id: String, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> ClaimedDelivery
    /// Records an attempt, only while `claimToken` still holds the delivery (else `conflict`), with its end and
    /// the endpoint's circuit as `circuit` decides from the stored one.
    @discardableResult
    func finishDelivery(id: String, claimToken: String, attempt: AttemptRecord, succeeded: Bool, finish: DeliveryFinish, now: Timestamp,
                        circuit: @escaping @Sendable (CircuitRecord) -> CircuitChange?) async throws(GatewayError) -> DeliveryRecord
    /// The tenant's deliveries, newest first.
    func deliveries(tenant: String, filter: DeliveryFilter, limit: Int) async throws(GatewayError) -> [DeliveryRecord]
    /// One delivery with its attempts.
    func delivery(tenant: String, id: String) async throws(GatewayError) -> DeliveryRecord?
    /// An endpoint's exhausted deliveries created in `[since, until)` back to pending; how many.
    func recoverDeliveries(tenant: String, endpointId: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws(GatewayError) -> Int
    /// An endpoint's deliveries by status, and its attempts since `since`.
    func endpointActivity(tenant: String, endpointId: String, since: Timestamp) async throws(GatewayError) -> EndpointActivity
    /// Deletes delivered deliveries (with their attempts) last changed before `before`; returns how many.
    @discardableResult
    func purgeDeliveredDeliveries(before: Timestamp) async throws(GatewayError) -> Int
    /// Deliveries by status and endpoints by circuit state (for `/metrics`).
    func notificationCounts() async throws(GatewayError) -> NotificationCounts

    // MARK: The read side (README, "Stats"): projections, ingest counts, audit trails, operator views, dead-letter expiry

    /// The tenant's stats: projections, daily counts for days `fromDay...toDay` (``UTCDay``), ingest counts from
    /// minute `fromMinute` on, the retry queue and the deliveries; read from counters and grouped rows in one snapshot.
    func stats(tenant: String, fromDay: Int64, toDay: Int64, fromMinute: Int64) async throws(GatewayError) -> TenantStats
    /// Adds per-minute ingest counts (several replicas add to the same rows) and drops minutes before `purgeBeforeMinute`.
    func recordIngestCounts(_ counts: [IngestCount], purgeBeforeMinute: Int64) async throws(GatewayError)
    /// The tenants a projection rebuild covers.
    func projectionTenants() async throws(GatewayError) -> [String]
    /// Recomputes one tenant's projections from the raw tables, in one transaction.
    func rebuildProjections(tenant: String) async throws(GatewayError) -> ProjectionRebuild
    /// Whether the database had fulfillments before it had projections (rebuild once, at start).
    func projectionsStale() async throws(GatewayError) -> Bool
    func markProjectionsRebuilt(at: Timestamp) async throws(GatewayError)
    /// The tenant's entry with its attempt log (oldest first), or `nil`.
    func retryEntryWithAttempts(tenant: String, id: String) async throws(GatewayError) -> (entry: RetryEntry, attempts: [RetryAttempt])?
    /// Every tenant's entries (or `tenant`'s), newest first: the operator's view.
    func allRetryEntries(tenant: String?, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry]
    /// Every tenant's deliveries (or `tenant`'s), newest first: the operator's view.
    func allDeliveries(tenant: String?, status: DeliveryStatus?, limit: Int) async throws(GatewayError) -> [DeliveryRecord]
    /// Deletes dead letters (exhausted entries) last changed before `before`, with their attempts; returns how many.
    @discardableResult
    func purgeExhaustedRetries(before: Timestamp) async throws(GatewayError) -> Int
    /// Deletes exhausted deliveries last changed before `before` and any attempt started before it.
    @discardableResult
    func purgeDeadDeliveries(before: Timestamp) async throws(GatewayError) -> (deliveries: Int, attempts: Int)

    // MARK: Console (README, "Console")

    /// Stores a signed-in session; sessions expired by `purgeExpiredBefore` are deleted in the same transaction.
    func createConsoleSession(_ session: ConsoleSessionRecord, purgeExpiredBefore: Timestamp) async throws(GatewayError)
    /// The session whose token has SHA-256 digest `digest`, unless it has expired by `now`.
    func consoleSession(digest: String, now: Timestamp) async throws(GatewayError) -> ConsoleSessionRecord?
    /// Signs a session out (no error when it is already gone).
    func deleteConsoleSession(digest: String) async throws(GatewayError)
    /// Up to `limit` of the tenant's fulfillments ordered by id, after `after`; without their histories.
    func fulfillmentPage(tenant: String, after: String?, limit: Int) async throws(GatewayError) -> [Fulfillment]

    /// Whether the database answers (for `/readyz`).
    func ping() async throws(GatewayError)

    /// Finishes queued writes and releases the database.
    func close() async
}

/// Which of a tenant's fulfillments to list.
package enum FulfillmentFilter: Sendable, Hashable {
    /// Shipped with this tracking number (several may share one).
    case trackingNumber(String)
    /// Created for this order (an order may be fulfilled in several parts).
    case orderId(String)

    /// The `fulfillments` column the filter compares (each has an index with the tenant).
    var column: String {
        switch self {
        case .trackingNumber: return "tracking_number"
        case .orderId: return "order_id"
        }
    }

    var value: String {
        switch self {
        case .trackingNumber(let value), .orderId(let value): return value
        }
    }
}

/// The platform's request to create a fulfillment.
package struct NewFulfillment: Sendable, Hashable {
    var tenant: String
    var id: String
    var orderId: String
    var createdAt: Timestamp

    package init(tenant: String, id: String, orderId: String, createdAt: Timestamp) {
        self.tenant = tenant
        self.id = id
        self.orderId = orderId
        self.createdAt = createdAt
    }
}

/// A verified callback in canonical form, ready to be applied.
package struct IngestCallback: Sendable {
    var tenant: String
    /// The source's carrier slug; also breaks ties between fulfillments sharing a tracking number.
    var carrier: String
    /// Dedupe key: the provider's event id, else the scheme's message id, else SHA-256 of the body;
    /// `nil` on a retry whose receipt was stored when it was queued.
    var receiptKey: String?
    var events: [TrackingEvent]
    var receivedAt: Timestamp
    /// Builds what to queue, in the same transaction, when no fulfillment matches yet; `nil` on a retry.
    /// A closure so the common, matched callback never copies its body and headers into an entry.
    var queueIfUnmatched: (@Sendable () -> RetryEntry)?
    /// The W3C `traceparent` stored with the domain events it causes (README, "Tracing"); `nil` untraced.
    package var traceParent: String? = nil

    package init(tenant: String, carrier: String, receiptKey: String?, events: [TrackingEvent], receivedAt: Timestamp,
                queueIfUnmatched: (@Sendable () -> RetryEntry)? = nil) {
        self.tenant = tenant
        self.carrier = carrier
        self.receiptKey = receiptKey
        self.events = events
        self.receivedAt = receivedAt
        self.queueIfUnmatched = queueIfUnmatched
    }
}

/// What applying a callback did.
package enum IngestOutcome: Sendable, Hashable {
    /// At least one new event was recorded; `status` is the fulfillment's status afterwards.
    case applied(fulfillmentId: String, status: FulfillmentStatus, recorded: Int)
    /// The receipt, or every scan in it, was already stored.
    case duplicate
    /// New events were recorded, but the state machine refused them (kept with `applied: false`).
    case invalidTransition(fulfillmentId: String, GatewayError)
    /// No fulfillment matches yet; the raw callback was queued with its receipt, in the same transaction.
    /// (With nothing to queue, as on a retry, `ingest` throws `GatewayError.unmatched` and commits nothing.)
    case queued(retryId: String)
}

extension GatewayStore {
    /// A tenant with nothing yet.
    package func createTenant(_ tenant: TenantRecord) async throws(GatewayError) {
        try await createTenant(tenant, sources: [], apiKeys: [])
    }
}
