import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// What the gateway answers a carrier whose callback it accepted.
enum IngressResult: Sendable, Hashable {
    case applied(fulfillmentId: String, status: FulfillmentStatus, recorded: Int)
    case duplicate
    /// Valid but not applicable now: durably queued for the retry worker.
    case queued(retryId: String)
    /// A verified notice with nothing to apply (17TRACK's `TRACKING_STOPPED`): nothing stored, nothing changed.
    case acknowledged
}

/// The path of one callback (docs/architecture.md, "The path of one callback"): resolve source, verify, normalise, dedupe and apply, or queue.
///
/// Steps 1-4 failing make the callback invalid: it is rejected with a 4xx and nothing is stored or queued.
/// A transient failure at step 5, ingest (no fulfillment yet, store busy), queues the exact raw body instead.
/// The body limit (step 2) is enforced by the HTTP layer while reading, before this runs.
struct IngressPipeline: Sendable {
    let directory: DirectoryProvider
    let store: any GatewayStore
    let clock: any GatewayClock
    let limits: IngressConfig
    /// Verified callbacks, per tenant.
    let tenantLimiter = RateLimiter<String>()
    /// Failed signature checks, per source and client address.
    let unverifiedLimiter = RateLimiter<UnverifiedKey>()
    let retryQueued: @Sendable () -> Void
    /// Carriers' fetched JWKS (`rsa-sha256-jwks` sources whose secret is a URL); `nil` when none may be fetched.
    let keySets: KeySetCache?

    /// Who a failed signature check is charged to.
    struct UnverifiedKey: Hashable, Sendable {
        let tenant: String
        let carrier: String
        let client: String
    }

    /// `retryQueued` is called after a callback is queued (to wake the retry worker).
    init(directory: DirectoryProvider, store: any GatewayStore, clock: any GatewayClock, limits: IngressConfig = IngressConfig(),
                keySets: KeySetCache? = nil, retryQueued: @escaping @Sendable () -> Void = {}) {
        self.keySets = keySets
        self.directory = directory
        self.store = store
        self.clock = clock
        self.limits = limits
        self.retryQueued = retryQueued
    }

    /// Step 1: the source a hook URL names, or `unknown_source`; then `rate_limited` when this client has
    /// used up its allowance of failed signature checks for the source. Both before the body is read, so
    /// neither an unknown nor a forging sender costs more than a lookup.
    func admit(tenant: String, carrier: String, client: String) throws(GatewayError) -> ResolvedSource {
        guard let source = directory.current.source(tenant: tenant, carrier: carrier.lowercased()) else {
            throw .unknownSource(tenant: tenant, carrier: carrier)
        }
        try unverifiedLimiter.ensureAvailable(UnverifiedKey(tenant: source.tenant, carrier: source.carrier, client: client),
                                              limit: limits.unverifiedRateLimit, now: clock.now())
        return source
    }

    func handle(source: ResolvedSource, body: Data, headers: RequestHeaders, client: String) async throws(GatewayError) -> IngressResult {
        let receivedAt = clock.now()
        // 3. Verify over the raw bytes before anything reads them. A failure is charged to this client and
        // source; only a verified callback spends the tenant's own rate limit, so forgeries cannot exhaust it.
        // A source verifying with a carrier's published keys gets them first, from the cache or one fetch; keys that
        // cannot be had yet answer 503 (the carrier sends again), never `invalid_signature`.
        var fetched: [JSONWebKeySet] = []
        if !source.verifier.keySetLocations.isEmpty {
            guard let keySets else { throw .keysUnavailable("This gateway cannot fetch signing keys") }
            fetched = try await keySets.keySets(for: source.verifier.keySetLocations, keyId: SignatureVerifier.presentedKeyId(headers))
        }
        let verified: VerifiedSignature
        do {
            verified = try source.verifier.verify(body: body, headers: headers, now: receivedAt, fetched: fetched)
        } catch {
            unverifiedLimiter.spend(UnverifiedKey(tenant: source.tenant, carrier: source.carrier, client: client),
                                    limit: limits.unverifiedRateLimit, now: receivedAt)
            throw error
        }
        if let limit = source.rateLimit {
            try tenantLimiter.admit(source.tenant, limit: limit, now: receivedAt)
        }
        // 5. Normalise (pure). Dedupe (4) is checked atomically with apply (6) in the store's transaction.
        let events = try Self.normalise(body, source: source, receivedAt: receivedAt, limits: limits)
        // A notice was verified and understood; there is nothing to dedupe, match or apply.
        if events.isNotice { return .acknowledged }
        let receiptKey = try Self.receiptKey(providerEventId: events.providerEventId, messageId: verified.messageId, body: body)
        // Built only if the callback has to be queued: the matched path copies nothing.
        let queued: @Sendable () -> RetryEntry = {
            RetryEntry(
                id: Identifiers.retry(), tenant: source.tenant, carrier: source.carrier, body: Array(body),
                headers: headers.storable(excluding: source.unstorableHeaders), reason: .unmatched, receiptKey: nil,
                matchKey: events.events.first.flatMap { $0.fulfillmentId ?? $0.trackingNumber },
                nextAttemptAt: receivedAt, createdAt: receivedAt, updatedAt: receivedAt
            ).scheduled(by: source.retryPolicy, now: receivedAt)
        }
        let callback = IngestCallback(
            tenant: source.tenant, carrier: source.carrier, receiptKey: receiptKey,
            events: events.events, receivedAt: receivedAt, queueIfUnmatched: queued
        )
        let outcome: IngestOutcome
        do {
            outcome = try await store.ingest(callback)
        } catch where error.isTransient {
            // 6, transient: keep the exact bytes for later, with the receipt key to store when applied.
            var entry = queued()
            entry.reason = .storeUnavailable
            entry.receiptKey = receiptKey
            entry.lastError = error.detail
            let id = try await store.storeRetry(entry)
            retryQueued()
            return .queued(retryId: id)
        }
        switch outcome {
        case .applied(let id, let status, let recorded): return .applied(fulfillmentId: id, status: status, recorded: recorded)
        case .duplicate: return .duplicate
        case .queued(let id):
            retryQueued()
            return .queued(retryId: id)
        case .invalidTransition(_, let error): throw error
        }
    }

    /// Step 4: the adapter's events, or `invalid_payload`. Shared with the retry worker, which passes the
    /// original receipt time, so an event's allowed future skew is measured from when it first arrived.
    static func normalise(_ body: Data, source: ResolvedSource, receivedAt: Timestamp, limits: IngressConfig) throws(GatewayError) -> NormalisedCallback {
        try CallbackNormaliser(adapter: source.adapter, tenant: source.tenant, carrier: source.carrier, timezone: source.timezone, limits: limits)
            .normalise(body, receivedAt: receivedAt)
    }

    /// The dedupe receipt key (docs/architecture.md, "The path of one callback", step 5): provider event id, else the scheme's message id, else the body's digest.
    static func receiptKey(providerEventId: String?, messageId: String?, body: Data) throws(GatewayError) -> String {
        if let providerEventId { return "event:" + providerEventId }
        if let messageId { return "message:" + messageId }
        return "sha256:" + ByteEncoding.hex(try Crypto.sha256(body))
    }
}

extension RetryEntry {
    /// The entry due at its first attempt under `policy`, or a dead letter at once when the policy allows none.
    func scheduled(by policy: BackoffPolicy, now: Timestamp) -> RetryEntry {
        var entry = self
        if let next = policy.nextAttempt(afterAttempts: 0, now: now) {
            entry.nextAttemptAt = next
        } else {
            entry.status = .exhausted
            entry.lastError = "The retry policy allows no attempts"
        }
        return entry
    }
}
