import ParcelGateCore

/// The statements on `console_sessions`, and the console's page of fulfillments: the only place that knows the
/// sessions' columns.
enum ConsoleStatements {
    static func insertSession(_ session: ConsoleSessionRecord) -> Statement {
        Statement("INSERT INTO console_sessions (digest, tenant, created_at, expires_at) VALUES (?, ?, ?, ?)",
                  [.text(session.digest), .optional(session.tenant), .timestamp(session.createdAt), .timestamp(session.expiresAt)])
    }

    /// The session whose token digest is `digest`, while it has not expired at `now`.
    static func findSession(digest: String, now: Timestamp) -> Statement {
        Statement("SELECT digest, tenant, created_at, expires_at FROM console_sessions WHERE digest = ? AND expires_at > ?",
                  [.text(digest), .timestamp(now)], yield: .rows(.consoleSession))
    }

    static func deleteSession(digest: String) -> Statement {
        Statement("DELETE FROM console_sessions WHERE digest = ?", [.text(digest)], yield: .changes)
    }

    /// Expired sessions (through `console_sessions_expiry`).
    static func purgeSessions(before: Timestamp) -> Statement {
        Statement("DELETE FROM console_sessions WHERE expires_at <= ?", [.timestamp(before)], yield: .changes)
    }

    /// A page of the tenant's fulfillments by id, after `after` (keyset pagination on the primary key).
    static func fulfillmentPage(tenant: String, after: String, limit: Int) -> Statement {
        Statement(built: "SELECT \(FulfillmentStatements.fulfillmentColumns) FROM fulfillments WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?",
                  [.text(tenant), .text(after), .int(limit)], yield: .rows(.fulfillment(tenant: tenant)))
    }
}
