import ParcelGateCore

/// A signed-in console session (README, "Console"). Only the SHA-256 digest of its token is stored: a copy of
/// the database does not hold a cookie that works.
package struct ConsoleSessionRecord: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the session token the cookie carries.
    package var digest: String
    /// The tenant it acts for; `nil` for the operator (every tenant).
    package var tenant: String?
    package var createdAt: Timestamp
    package var expiresAt: Timestamp

    package init(digest: String, tenant: String?, createdAt: Timestamp, expiresAt: Timestamp) {
        self.digest = digest
        self.tenant = tenant
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What the console's overview counts for one tenant, each an indexed `GROUP BY` on one table.
package struct ConsoleCounts: Sendable, Hashable {
    /// Fulfillments by status (raw status names).
    package var fulfillmentsByStatus: [String: Int] = [:]
    /// Fulfillments in `EXCEPTION` now, by carrier (empty string: none recorded).
    package var exceptionsByCarrier: [String: Int] = [:]
    /// Inbound retry entries by status.
    package var retriesByStatus: [String: Int] = [:]
    /// Outbound deliveries by status.
    package var deliveriesByStatus: [String: Int] = [:]

    package init() {}
}
