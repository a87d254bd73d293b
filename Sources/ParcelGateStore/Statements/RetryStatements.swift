import Foundation
import ParcelGateCore

/// The statements on `retry_entries`: the only place that knows their columns.
enum RetryStatements {
    /// What ``RowDecoder/retryEntry`` reads, in order.
    static let columns = "id, tenant, carrier, body, headers, reason, receipt_key, match_key, attempts, next_attempt_at, status, last_error, created_at, updated_at, claim_token, trace_parent"

    static func insert(_ e: RetryEntry) -> Statement {
        Statement("""
            INSERT INTO retry_entries (id, tenant, carrier, body, headers, reason, receipt_key, match_key, attempts, next_attempt_at, status,
                                       last_error, created_at, updated_at, claim_token, trace_parent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(e.id), .text(e.tenant), .text(e.carrier), .blob(e.body), .text(encodeHeaders(e.headers)), .text(e.reason.rawValue),
             .optional(e.receiptKey), .optional(e.matchKey), .int(e.attempts), .timestamp(e.nextAttemptAt),
             .text(e.status.rawValue), .optional(e.lastError), .timestamp(e.createdAt), .timestamp(e.updatedAt), .optional(e.claimToken),
             .optional(e.traceParent)])
    }

    /// One entry, of `tenant` when given; `lock` holds its row until the transaction ends (PostgreSQL).
    static func find(id: String, tenant: String?, lock: Bool) -> Statement {
        let sql = "SELECT \(columns) FROM retry_entries WHERE id = ? AND (CAST(? AS TEXT) IS NULL OR tenant = ?)"
        return Statement(sqlite: .built(sql), postgres: .built(lock ? sql + " FOR UPDATE" : sql),
                         [.text(id), .optional(tenant), .optional(tenant)], yield: .rows(.retryEntry))
    }

    /// The tenant's entries, newest first, optionally of one status.
    static func list(tenant: String, status: RetryStatus?, limit: Int) -> Statement {
        Statement(built: """
            SELECT \(columns) FROM retry_entries WHERE tenant = ? AND (CAST(? AS TEXT) IS NULL OR status = ?)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, [.text(tenant), .optional(status?.rawValue), .optional(status?.rawValue), .int(limit)], yield: .rows(.retryEntry))
    }

    /// Stamps up to `limit` due entries with `token` and pushes them to `leaseUntil`, taking each tenant's
    /// oldest before any tenant's second (round-robin). SQLite's single writer serialises claimers; on
    /// PostgreSQL each tenant's candidates are locked with `SKIP LOCKED`, so rows another replica is claiming
    /// are passed over, not waited for.
    static func claimDue(now: Timestamp, limit: Int, leaseUntil: Timestamp, token: String) -> Statement {
        let returning = columns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        return Statement(
            sqlite: .built("""
                UPDATE retry_entries SET next_attempt_at = ?, updated_at = ?, claim_token = ?
                WHERE id IN (
                    SELECT id FROM (
                        SELECT id, next_attempt_at, created_at,
                               ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_attempt_at, created_at, id) AS turn
                        FROM retry_entries WHERE status = 'pending' AND next_attempt_at <= ?
                    ) ORDER BY turn, next_attempt_at, created_at LIMIT ?
                )
                RETURNING \(columns)
                """),
            postgres: .built("""
                WITH due_tenants AS (
                    SELECT DISTINCT tenant FROM retry_entries WHERE status = 'pending' AND next_attempt_at <= $4
                ), candidates AS (
                    SELECT c.id, c.tenant, c.next_attempt_at, c.created_at FROM due_tenants t CROSS JOIN LATERAL (
                        SELECT id, tenant, next_attempt_at, created_at FROM retry_entries
                        WHERE tenant = t.tenant AND status = 'pending' AND next_attempt_at <= $4
                        ORDER BY next_attempt_at, created_at, id LIMIT $5
                        FOR UPDATE SKIP LOCKED
                    ) c
                ), chosen AS (
                    SELECT id FROM (
                        SELECT id, next_attempt_at, created_at,
                               ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY next_attempt_at, created_at, id) AS turn
                        FROM candidates
                    ) ranked ORDER BY turn, next_attempt_at, created_at LIMIT $5
                )
                UPDATE retry_entries r SET next_attempt_at = $1, updated_at = $2, claim_token = $3 FROM chosen WHERE r.id = chosen.id
                RETURNING \(returning)
                """),
            [.timestamp(leaseUntil), .timestamp(now), .text(token), .timestamp(now), .int(limit)], yield: .rows(.retryEntry))
    }

    /// The three claim-checked marks: each lands only while `token` holds the pending entry, and releases it.
    static func markSucceeded(id: String, token: String, now: Timestamp) -> Statement {
        Statement("""
            UPDATE retry_entries SET status = 'succeeded', last_error = NULL, claim_token = NULL, updated_at = ?
            WHERE id = ? AND claim_token = ? AND status = 'pending'
            """, [.timestamp(now), .text(id), .text(token)], yield: .changes)
    }

    static func markFailed(_ entry: RetryEntry, token: String, error: String, now: Timestamp) -> Statement {
        Statement("""
            UPDATE retry_entries SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ?, claim_token = NULL, updated_at = ?
            WHERE id = ? AND claim_token = ? AND status = 'pending'
            """,
            [.int(entry.attempts), .text(error), .timestamp(entry.nextAttemptAt), .text(entry.status.rawValue), .timestamp(now), .text(entry.id), .text(token)],
            yield: .changes)
    }

    static func markExhausted(id: String, token: String, reason: String, now: Timestamp) -> Statement {
        Statement("""
            UPDATE retry_entries SET status = 'exhausted', attempts = attempts + 1, last_error = ?, claim_token = NULL, updated_at = ?
            WHERE id = ? AND claim_token = ? AND status = 'pending'
            """, [.text(reason), .timestamp(now), .text(id), .text(token)], yield: .changes)
    }

    /// Back to pending, due now, with a fresh count; clearing the token voids any attempt still running.
    static func restart(id: String, now: Timestamp) -> Statement {
        Statement("UPDATE retry_entries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, claim_token = NULL WHERE id = ?",
                  [.timestamp(now), .timestamp(now), .text(id)])
    }

    /// Makes pending `unmatched` entries that name `matchKey` due now: the shipment they wait for exists.
    static func expedite(tenant: String, matchKey: String, now: Timestamp) -> Statement {
        Statement("""
            UPDATE retry_entries SET next_attempt_at = ?, updated_at = ?
            WHERE tenant = ? AND match_key = ? AND status = 'pending' AND reason = 'unmatched' AND next_attempt_at > ?
            """, [.timestamp(now), .timestamp(now), .text(tenant), .text(matchKey), .timestamp(now)])
    }

    static let countByStatus = Statement("SELECT status, count(*) FROM retry_entries GROUP BY status", yield: .rows(.statusCount))

    /// Succeeded entries last changed before `before`. `created_at < ?` adds no condition (an entry is created
    /// before it changes) but lets the purge walk `retry_entries_all` from the oldest instead of the whole table.
    static func purgeSucceeded(before: Timestamp) -> Statement {
        Statement("DELETE FROM retry_entries WHERE status = 'succeeded' AND updated_at < ? AND created_at < ?", [.timestamp(before), .timestamp(before)],
                  yield: .changes)
    }

    /// Dead letters last changed before `before`; their attempt log goes with them (`ON DELETE CASCADE`).
    static func purgeExhausted(before: Timestamp) -> Statement {
        Statement("DELETE FROM retry_entries WHERE status = 'exhausted' AND updated_at < ?", [.timestamp(before)], yield: .changes)
    }

    /// Every tenant's entries (or one tenant's), newest first, optionally of one status: the operator's view.
    static func listAll(tenant: String?, status: RetryStatus?, limit: Int) -> Statement {
        Statement(built: """
            SELECT \(columns) FROM retry_entries WHERE (CAST(? AS TEXT) IS NULL OR tenant = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, [.optional(tenant), .optional(tenant), .optional(status?.rawValue), .optional(status?.rawValue), .int(limit)], yield: .rows(.retryEntry))
    }

    /// Appends an attempt to the entry's audit trail, numbered after the last one (a replay keeps the log).
    static func insertAttempt(id: String, at: Timestamp, outcome: String, error: String?) -> Statement {
        Statement("""
            INSERT INTO retry_attempts (retry_id, attempt, attempted_at, outcome, error)
            VALUES (?, (SELECT coalesce(max(attempt), 0) + 1 FROM retry_attempts WHERE retry_id = ?), ?, ?, ?)
            """, [.text(id), .text(id), .timestamp(at), .text(outcome), .optional(error)])
    }

    /// The tenant's entry's attempts, oldest first.
    static func attempts(tenant: String, id: String) -> Statement {
        Statement("""
            SELECT a.attempt, a.attempted_at, a.outcome, a.error FROM retry_attempts a JOIN retry_entries r ON r.id = a.retry_id
            WHERE a.retry_id = ? AND r.tenant = ? ORDER BY a.attempt
            """, [.text(id), .text(tenant)], yield: .rows(.retryAttempt))
    }

    /// The tenant's pending and exhausted entries: how many, their attempts, the oldest pending one.
    static func queueStats(tenant: String) -> Statement {
        Statement("""
            SELECT status, count(*), CAST(coalesce(sum(attempts), 0) AS BIGINT), min(created_at) FROM retry_entries
            WHERE tenant = ? AND status IN ('pending', 'exhausted') GROUP BY status
            """, [.text(tenant)], yield: .rows(.queueStat))
    }

    /// The `headers` column: the stored (already redacted) headers as JSON.
    static func encodeHeaders(_ headers: [StoredHeader]) -> String {
        guard let data = try? JSONEncoder().encode(headers) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeHeaders(_ text: String) -> [StoredHeader] {
        (try? JSONDecoder().decode([StoredHeader].self, from: Data(text.utf8))) ?? []
    }
}
