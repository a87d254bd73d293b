import Foundation
import ParcelGateCore

/// Reading and writing `retry_entries` rows. The only place that knows their columns.
enum RetryRows {
    static let columns = """
        id, tenant, carrier, body, headers, reason, receipt_key, match_key, attempts, next_attempt_at, status, last_error, created_at, updated_at, claim_token
        """

    static func insert(_ connection: SQLiteConnection, _ e: RetryEntry) throws(GatewayError) {
        try connection.statement(sql: "INSERT INTO retry_entries (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(.text(e.id), .text(e.tenant), .text(e.carrier), .blob(e.body), .text(encode(e.headers)), .text(e.reason.rawValue),
                  .optional(e.receiptKey), .optional(e.matchKey), .integer(Int64(e.attempts)), .timestamp(e.nextAttemptAt),
                  .text(e.status.rawValue), .optional(e.lastError), .timestamp(e.createdAt), .timestamp(e.updatedAt), .optional(e.claimToken))
            .run()
    }

    /// Reads the row the statement is on; `columns` must be its first fifteen columns, in order.
    static func read(_ row: SQLiteStatement) -> RetryEntry {
        RetryEntry(
            id: row.text(0), tenant: row.text(1), carrier: row.text(2), body: row.blob(3), headers: decode(row.text(4)),
            reason: RetryReason(rawValue: row.text(5)) ?? .unmatched, receiptKey: row.optionalText(6), matchKey: row.optionalText(7),
            attempts: Int(row.int(8)), nextAttemptAt: Timestamp(milliseconds: row.int(9)),
            status: RetryStatus(rawValue: row.text(10)) ?? .pending, lastError: row.optionalText(11),
            createdAt: Timestamp(milliseconds: row.int(12)), updatedAt: Timestamp(milliseconds: row.int(13)),
            claimToken: row.optionalText(14)
        )
    }

    static func find(_ connection: SQLiteConnection, id: String, tenant: String? = nil) throws(GatewayError) -> RetryEntry? {
        let query = try connection.statement(sql: "SELECT \(columns) FROM retry_entries WHERE id = ? AND (? IS NULL OR tenant = ?)")
        query.bind(.text(id), .optional(tenant), .optional(tenant))
        return try query.step() ? read(query) : nil
    }

    /// Makes pending `unmatched` entries that name `matchKey` due now: the shipment they wait for exists.
    static func expedite(_ connection: SQLiteConnection, tenant: String, matchKey: String, now: Timestamp) throws(GatewayError) {
        try connection.statement("""
            UPDATE retry_entries SET next_attempt_at = ?, updated_at = ?
            WHERE tenant = ? AND match_key = ? AND status = 'pending' AND reason = 'unmatched' AND next_attempt_at > ?
            """)
            .bind(.timestamp(now), .timestamp(now), .text(tenant), .text(matchKey), .timestamp(now))
            .run()
    }

    static func encode(_ headers: [StoredHeader]) -> String {
        guard let data = try? JSONEncoder().encode(headers) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [StoredHeader] {
        (try? JSONDecoder().decode([StoredHeader].self, from: Data(text.utf8))) ?? []
    }
}
