import ParcelGateCore

/// The retry queue of docs/architecture.md, "The retry queue" on SQLite. Every write goes through the group-commit writer, which also
/// serialises claims: two claimers can never receive the same entry.
extension SQLiteStore {
    package func storeRetry(_ entry: RetryEntry) async throws(GatewayError) -> String {
        try await database.write { connection throws(GatewayError) in
            try RetryRows.insert(connection, entry)
            return entry.id
        }
    }

    package func claimDue(limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> [RetryEntry] {
        try await database.write { connection throws(GatewayError) in
            // Number each tenant's due entries oldest first and take rank 1 of every tenant before any rank 2:
            // round-robin across tenants.
            let claim = try connection.statement(sql: """
                UPDATE retry_entries SET next_attempt_at = ?, updated_at = ?, claim_token = ?
                WHERE id IN (
                    SELECT id FROM (
                        SELECT id, next_attempt_at, created_at,
                               ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_attempt_at, created_at, id) AS turn
                        FROM retry_entries WHERE status = 'pending' AND next_attempt_at <= ?
                    ) ORDER BY turn, next_attempt_at, created_at LIMIT ?
                )
                RETURNING \(RetryRows.columns)
                """)
            claim.bind(.timestamp(now.adding(milliseconds: leaseMilliseconds)), .timestamp(now), .text(RetryClaim.newToken()), .timestamp(now), .integer(Int64(limit)))
            var claimed: [RetryEntry] = []
            while try claim.step() { claimed.append(RetryRows.read(claim)) }
            return claimed.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    package func markSucceeded(id: String, claimToken: String, now: Timestamp) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("""
                UPDATE retry_entries SET status = 'succeeded', last_error = NULL, claim_token = NULL, updated_at = ?
                WHERE id = ? AND claim_token = ? AND status = 'pending'
                """)
                .bind(.timestamp(now), .text(id), .text(claimToken)).run()
            guard connection.changes == 1 else { throw RetryClaim.lost(id) }
        }
    }

    @discardableResult
    package func markFailed(id: String, claimToken: String, error: String, policy: BackoffPolicy, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await database.write { connection throws(GatewayError) in
            guard var entry = try RetryRows.find(connection, id: id), entry.status == .pending, entry.claimToken == claimToken else {
                throw RetryClaim.lost(id)
            }
            entry.recordFailure(error, policy: policy, now: now)
            try connection.statement("""
                UPDATE retry_entries SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ?, claim_token = NULL, updated_at = ?
                WHERE id = ? AND claim_token = ? AND status = 'pending'
                """)
                .bind(.integer(Int64(entry.attempts)), .text(error), .timestamp(entry.nextAttemptAt), .text(entry.status.rawValue), .timestamp(now),
                      .text(id), .text(claimToken))
                .run()
            guard connection.changes == 1 else { throw RetryClaim.lost(id) }
            return entry
        }
    }

    package func markExhausted(id: String, claimToken: String, reason: String, now: Timestamp) async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("""
                UPDATE retry_entries SET status = 'exhausted', attempts = attempts + 1, last_error = ?, claim_token = NULL, updated_at = ?
                WHERE id = ? AND claim_token = ? AND status = 'pending'
                """)
                .bind(.text(reason), .timestamp(now), .text(id), .text(claimToken)).run()
            guard connection.changes == 1 else { throw RetryClaim.lost(id) }
        }
    }

    package func retryEntries(tenant: String, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry] {
        try await database.read { connection throws(GatewayError) in
            let query = try connection.statement(sql: """
                SELECT \(RetryRows.columns) FROM retry_entries WHERE tenant = ? AND (? IS NULL OR status = ?)
                ORDER BY created_at DESC, id DESC LIMIT ?
                """)
            query.bind(.text(tenant), .optional(status?.rawValue), .optional(status?.rawValue), .integer(Int64(limit)))
            var entries: [RetryEntry] = []
            while try query.step() { entries.append(RetryRows.read(query)) }
            return entries
        }
    }

    package func retryEntry(tenant: String, id: String) async throws(GatewayError) -> RetryEntry? {
        try await database.read { connection throws(GatewayError) in try RetryRows.find(connection, id: id, tenant: tenant) }
    }

    package func replayRetry(tenant: String, id: String, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await database.write { connection throws(GatewayError) in
            guard var entry = try RetryRows.find(connection, id: id, tenant: tenant) else { throw .notFound("Retry entry '\(id)' not found") }
            guard entry.status != .succeeded else { throw .conflict("Retry entry '\(id)' has already succeeded") }
            entry.status = .pending
            entry.attempts = 0
            entry.nextAttemptAt = now
            entry.updatedAt = now
            entry.claimToken = nil
            // A fresh start: an attempt still running under an old claim no longer records anything.
            try connection.statement("UPDATE retry_entries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, claim_token = NULL WHERE id = ?")
                .bind(.timestamp(now), .timestamp(now), .text(id)).run()
            return entry
        }
    }

    package func retryCounts() async throws(GatewayError) -> [RetryStatus: Int] {
        try await database.read { connection throws(GatewayError) in
            let query = try connection.statement("SELECT status, count(*) FROM retry_entries GROUP BY status")
            var counts: [RetryStatus: Int] = [:]
            while try query.step() {
                if let status = RetryStatus(rawValue: query.text(0)) { counts[status] = Int(query.int(1)) }
            }
            return counts
        }
    }

    @discardableResult
    package func purgeSucceeded(before: Timestamp) async throws(GatewayError) -> Int {
        try await database.write { connection throws(GatewayError) in
            try connection.statement("DELETE FROM retry_entries WHERE status = 'succeeded' AND updated_at < ?").bind(.timestamp(before)).run()
            return connection.changes
        }
    }
}
