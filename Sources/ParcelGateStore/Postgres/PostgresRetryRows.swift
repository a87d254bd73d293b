import Foundation
import Logging
import NIOCore
import ParcelGateCore
import PostgresNIO

/// `retry_entries` rows on PostgreSQL.
enum PostgresRetryRows {
    static let columns = RetryRows.columns

    static func insert(_ connection: PostgresConnection, _ e: RetryEntry, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO retry_entries (id, tenant, carrier, body, headers, reason, receipt_key, match_key, attempts, next_attempt_at, status, last_error, created_at, updated_at, claim_token)
            VALUES (\(e.id), \(e.tenant), \(e.carrier), \(ByteBuffer(bytes: e.body)), \(RetryRows.encode(e.headers)), \(e.reason.rawValue),
                \(e.receiptKey), \(e.matchKey), \(e.attempts), \(e.nextAttemptAt.milliseconds), \(e.status.rawValue), \(e.lastError),
                \(e.createdAt.milliseconds), \(e.updatedAt.milliseconds), \(e.claimToken))
            """, logger: logger)
    }

    static func read(_ rows: PostgresRowSequence) async throws -> [RetryEntry] {
        var entries: [RetryEntry] = []
        for try await (id, tenant, carrier, body, headers, reason, receiptKey, matchKey, attempts, next, status, lastError, created, updated, claimToken)
            in rows.decode((String, String, String, ByteBuffer, String, String, String?, String?, Int, Int64, String, String?, Int64, Int64, String?).self) {
            entries.append(RetryEntry(
                id: id, tenant: tenant, carrier: carrier, body: Array(body.readableBytesView), headers: RetryRows.decode(headers),
                reason: RetryReason(rawValue: reason) ?? .unmatched, receiptKey: receiptKey, matchKey: matchKey, attempts: attempts,
                nextAttemptAt: Timestamp(milliseconds: next), status: RetryStatus(rawValue: status) ?? .pending, lastError: lastError,
                createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated), claimToken: claimToken
            ))
        }
        return entries
    }

    static func find(_ connection: PostgresConnection, id: String, tenant: String?, forUpdate: Bool, logger: Logger) async throws -> RetryEntry? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(tenant)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(columns) FROM retry_entries WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)\(lock)", binds: bindings), logger: logger)
        return try await read(rows).first
    }

    static func expedite(_ connection: PostgresConnection, tenant: String, matchKey: String, now: Timestamp, logger: Logger) async throws {
        try await connection.query("""
            UPDATE retry_entries SET next_attempt_at = \(now.milliseconds), updated_at = \(now.milliseconds)
            WHERE tenant = \(tenant) AND match_key = \(matchKey) AND status = 'pending' AND reason = 'unmatched' AND next_attempt_at > \(now.milliseconds)
            """, logger: logger)
    }
}

/// The retry queue of docs/architecture.md, "The retry queue" on PostgreSQL.
extension PostgresStore {
    package func storeRetry(_ entry: RetryEntry) async throws(GatewayError) -> String {
        try await transaction { connection in
            try await PostgresRetryRows.insert(connection, entry, logger: self.logger)
            return entry.id
        }
    }

    /// One statement: lock each tenant's oldest due entries with `FOR UPDATE SKIP LOCKED` (rows another
    /// replica is claiming are skipped, not waited for), rank them round-robin across tenants, and push the
    /// chosen ones out by the lease.
    package func claimDue(limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> [RetryEntry] {
        let leaseUntil = now.milliseconds + leaseMilliseconds
        let claimed = try await run {
            try await self.client.withConnection { connection in
                let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                    WITH due_tenants AS (
                        SELECT DISTINCT tenant FROM retry_entries WHERE status = 'pending' AND next_attempt_at <= $1
                    ), candidates AS (
                        SELECT c.id, c.tenant, c.next_attempt_at, c.created_at FROM due_tenants t CROSS JOIN LATERAL (
                            SELECT id, tenant, next_attempt_at, created_at FROM retry_entries
                            WHERE tenant = t.tenant AND status = 'pending' AND next_attempt_at <= $1
                            ORDER BY next_attempt_at, created_at, id LIMIT $2
                            FOR UPDATE SKIP LOCKED
                        ) c
                    ), chosen AS (
                        SELECT id FROM (
                            SELECT id, next_attempt_at, created_at,
                                   ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_attempt_at, created_at, id) AS turn
                            FROM candidates
                        ) ranked ORDER BY turn, next_attempt_at, created_at LIMIT $2
                    )
                    UPDATE retry_entries r SET next_attempt_at = $3, updated_at = $1, claim_token = $4 FROM chosen WHERE r.id = chosen.id
                    RETURNING \(PostgresRetryRows.columns.split(separator: ",").map { "r." + $0.trimmingWhitespace() }.joined(separator: ", "))
                    """, binds: Self.claimBinds(now: now.milliseconds, limit: limit, leaseUntil: leaseUntil)), logger: self.logger)
                return try await PostgresRetryRows.read(rows)
            }
        }
        return claimed.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    static func claimBinds(now: Int64, limit: Int, leaseUntil: Int64) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(now)
        bindings.append(Int64(limit))
        bindings.append(leaseUntil)
        bindings.append(RetryClaim.newToken())
        return bindings
    }

    package func markSucceeded(id: String, claimToken: String, now: Timestamp) async throws(GatewayError) {
        let updated = try await run {
            try await self.client.query("""
                UPDATE retry_entries SET status = 'succeeded', last_error = NULL, claim_token = NULL, updated_at = \(now.milliseconds)
                WHERE id = \(id) AND claim_token = \(claimToken) AND status = 'pending' RETURNING 1
                """, logger: self.logger).collect().count
        }
        guard updated == 1 else { throw RetryClaim.lost(id) }
    }

    @discardableResult
    package func markFailed(id: String, claimToken: String, error: String, policy: BackoffPolicy, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await transaction { connection in
            guard var entry = try await PostgresRetryRows.find(connection, id: id, tenant: nil, forUpdate: true, logger: self.logger),
                entry.status == .pending, entry.claimToken == claimToken
            else { throw RetryClaim.lost(id) }
            entry.recordFailure(error, policy: policy, now: now)
            let updated = try await connection.query("""
                UPDATE retry_entries SET attempts = \(entry.attempts), last_error = \(error), next_attempt_at = \(entry.nextAttemptAt.milliseconds),
                    status = \(entry.status.rawValue), claim_token = NULL, updated_at = \(now.milliseconds)
                WHERE id = \(id) AND claim_token = \(claimToken) AND status = 'pending' RETURNING 1
                """, logger: self.logger).collect().count
            guard updated == 1 else { throw RetryClaim.lost(id) }
            return entry
        }
    }

    package func markExhausted(id: String, claimToken: String, reason: String, now: Timestamp) async throws(GatewayError) {
        let updated = try await run {
            try await self.client.query("""
                UPDATE retry_entries SET status = 'exhausted', attempts = attempts + 1, last_error = \(reason), claim_token = NULL, updated_at = \(now.milliseconds)
                WHERE id = \(id) AND claim_token = \(claimToken) AND status = 'pending' RETURNING 1
                """, logger: self.logger).collect().count
        }
        guard updated == 1 else { throw RetryClaim.lost(id) }
    }

    package func retryEntries(tenant: String, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry] {
        try await run {
            var bindings = PostgresBindings()
            bindings.append(tenant)
            bindings.append(status?.rawValue)
            bindings.append(limit)
            let rows = try await self.client.query(PostgresQuery(unsafeSQL: """
                SELECT \(PostgresRetryRows.columns) FROM retry_entries WHERE tenant = $1 AND ($2::text IS NULL OR status = $2)
                ORDER BY created_at DESC, id DESC LIMIT $3
                """, binds: bindings), logger: self.logger)
            return try await PostgresRetryRows.read(rows)
        }
    }

    package func retryEntry(tenant: String, id: String) async throws(GatewayError) -> RetryEntry? {
        try await run {
            try await self.client.withConnection { connection in
                try await PostgresRetryRows.find(connection, id: id, tenant: tenant, forUpdate: false, logger: self.logger)
            }
        }
    }

    package func replayRetry(tenant: String, id: String, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await transaction { connection in
            guard var entry = try await PostgresRetryRows.find(connection, id: id, tenant: tenant, forUpdate: true, logger: self.logger) else {
                throw GatewayError.notFound("Retry entry '\(id)' not found")
            }
            guard entry.status != .succeeded else { throw GatewayError.conflict("Retry entry '\(id)' has already succeeded") }
            entry.status = .pending
            entry.attempts = 0
            entry.nextAttemptAt = now
            entry.updatedAt = now
            entry.claimToken = nil
            // A fresh start: an attempt still running under an old claim no longer records anything.
            try await connection.query("""
                UPDATE retry_entries SET status = 'pending', attempts = 0, next_attempt_at = \(now.milliseconds), updated_at = \(now.milliseconds),
                    claim_token = NULL WHERE id = \(id)
                """, logger: self.logger)
            return entry
        }
    }

    package func retryCounts() async throws(GatewayError) -> [RetryStatus: Int] {
        try await run {
            var counts: [RetryStatus: Int] = [:]
            for try await (status, count) in try await self.client.query("SELECT status, count(*) FROM retry_entries GROUP BY status", logger: self.logger)
                .decode((String, Int).self) {
                if let status = RetryStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    @discardableResult
    package func purgeSucceeded(before: Timestamp) async throws(GatewayError) -> Int {
        try await run {
            let rows = try await self.client.query("""
                DELETE FROM retry_entries WHERE status = 'succeeded' AND updated_at < \(before.milliseconds) RETURNING 1
                """, logger: self.logger).collect()
            return rows.count
        }
    }
}
