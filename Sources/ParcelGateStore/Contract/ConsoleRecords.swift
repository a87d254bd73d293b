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
