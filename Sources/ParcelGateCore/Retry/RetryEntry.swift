/// Where a queued callback stands (docs/architecture.md, "The retry queue").
package enum RetryStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pending
    case succeeded
    case exhausted
}

/// Why a valid callback was queued instead of applied.
package enum RetryReason: String, Sendable, Codable, Hashable {
    /// No fulfillment matches yet: carriers often call before the platform registers the shipment.
    case unmatched
    /// The store was busy or unavailable.
    case storeUnavailable = "store_unavailable"
}

/// A valid callback that could not be applied yet, kept with its exact raw bytes.
package struct RetryEntry: Sendable, Hashable {
    package var id: String
    package var tenant: String
    package var carrier: String
    /// The exact bytes received.
    package var body: [UInt8]
    /// The request headers minus credentials and signatures (see `RawCallback.storableHeaders`).
    package var headers: [StoredHeader]
    package var reason: RetryReason
    /// Dedupe receipt key to store when applied; set when the receipt could not be stored at queue time.
    package var receiptKey: String?
    /// Tracking number or fulfillment id the callback names, so registering that shipment can expedite it.
    package var matchKey: String?
    package var attempts: Int
    package var nextAttemptAt: Timestamp
    package var status: RetryStatus
    package var lastError: String?
    package var createdAt: Timestamp
    package var updatedAt: Timestamp
    /// Who holds the entry: a fresh random token stamped by each `claimDue`, `nil` when unclaimed.
    ///
    /// A worker whose attempt outlives its lease may find the entry claimed again by another worker; the
    /// store's `mark*` calls land only with the current token, so the late attempt can neither change the
    /// entry's status nor count an attempt a second time.
    package var claimToken: String?
    /// The W3C `traceparent` of the request that queued it (README, "Tracing"): each retry attempt's span links to it.
    package var traceParent: String? = nil

    package init(
        id: String, tenant: String, carrier: String, body: [UInt8], headers: [StoredHeader], reason: RetryReason,
        receiptKey: String?, matchKey: String?, attempts: Int = 0, nextAttemptAt: Timestamp, status: RetryStatus = .pending,
        lastError: String? = nil, createdAt: Timestamp, updatedAt: Timestamp, claimToken: String? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.carrier = carrier
        self.body = body
        self.headers = headers
        self.reason = reason
        self.receiptKey = receiptKey
        self.matchKey = matchKey
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.status = status
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.claimToken = claimToken
    }
}

extension RetryEntry {
    /// Counts a failed attempt (docs/architecture.md, "The retry queue" `markFailed`): attempts + 1, the next time from `policy`, or
    /// `exhausted` when the attempts reach its maximum. Every backend applies this, then writes the entry.
    /// The attempt is over, so its claim is released: the same token cannot record a second failure.
    package mutating func recordFailure(_ error: String, policy: BackoffPolicy, now: Timestamp) {
        attempts += 1
        claimToken = nil
        lastError = error
        updatedAt = now
        if let next = policy.nextAttempt(afterAttempts: attempts, now: now) {
            nextAttemptAt = next
        } else {
            status = .exhausted
        }
    }
}

/// One stored request header.
package struct StoredHeader: Sendable, Hashable, Codable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
