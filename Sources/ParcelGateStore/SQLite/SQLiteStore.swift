import ParcelGateCore

/// The embedded default backend: one SQLite file in WAL mode, writes group-committed by one writer thread.
package final class SQLiteStore: GatewayStore {
    let database: SQLiteDatabase

    package init(path: String, durability: DurabilityMode = .normal, batching: WriteBatching = WriteBatching()) throws(GatewayError) {
        database = try SQLiteDatabase(path: path, durability: durability, batching: batching, migrate: SQLiteMigrations.migrate)
    }

    package func close() async { await database.close() }

    /// Through the writer: ready means the writer is alive and can lock the file, not only that it can be read.
    package func ping() async throws(GatewayError) {
        _ = try await database.write { connection throws(GatewayError) in
            try connection.statement("SELECT count(*) FROM schema_migrations").step()
        }
    }

    package func createFulfillment(_ new: NewFulfillment) async throws(GatewayError) -> Fulfillment {
        try await database.write { connection throws(GatewayError) in
            let insert = try connection.statement("""
                INSERT INTO fulfillments (tenant, id, order_id, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            insert.bind(.text(new.tenant), .text(new.id), .text(new.orderId), .text(FulfillmentStatus.pending.rawValue),
                        .timestamp(new.createdAt), .timestamp(new.createdAt))
            try insert.run()
            guard connection.changes == 1 else { throw .conflict("A fulfillment with id '\(new.id)' already exists") }
            try RetryRows.expedite(connection, tenant: new.tenant, matchKey: new.id, now: new.createdAt)
            return Fulfillment(id: new.id, tenant: new.tenant, orderId: new.orderId, createdAt: new.createdAt, updatedAt: new.createdAt)
        }
    }

    package func fulfillment(tenant: String, id: String) async throws(GatewayError) -> Fulfillment? {
        try await database.read { connection throws(GatewayError) in
            try FulfillmentRows.load(connection, tenant: tenant, id: id, withHistory: true)
        }
    }

    package func fulfillments(tenant: String, where filter: FulfillmentFilter) async throws(GatewayError) -> [Fulfillment] {
        try await database.read { connection throws(GatewayError) in try FulfillmentRows.list(connection, tenant: tenant, filter: filter) }
    }

    package func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at now: Timestamp) async throws(GatewayError) -> Fulfillment {
        try await database.write { connection throws(GatewayError) in
            guard var fulfillment = try FulfillmentRows.load(connection, tenant: tenant, id: fulfillmentId, withHistory: false) else {
                throw .notFound("Fulfillment '\(fulfillmentId)' not found")
            }
            let change = try PlatformCommand.apply(command, to: &fulfillment, at: now)
            if case .ship(_, let trackingNumber, _) = command {
                // Callbacks queued because this shipment was unknown can be applied now.
                try RetryRows.expedite(connection, tenant: tenant, matchKey: trackingNumber, now: now)
            }
            if let entry = change.historyEntry {
                try FulfillmentRows.insertEvent(connection, tenant: tenant, fulfillmentId: fulfillmentId, entry: entry)
            }
            try FulfillmentRows.update(connection, fulfillment)
            try FulfillmentRows.recordDomainEvent(connection, change.domainEvent, recordedAt: now)
            guard let updated = try FulfillmentRows.load(connection, tenant: tenant, id: fulfillmentId, withHistory: true) else {
                throw .internalError("Fulfillment vanished during its own transaction")
            }
            return updated
        }
    }

    package func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome {
        try await database.write { connection throws(GatewayError) in
            if let receiptKey = callback.receiptKey {
                let receipt = try connection.statement("INSERT INTO receipts (tenant, carrier, receipt_key, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
                receipt.bind(.text(callback.tenant), .text(callback.carrier), .text(receiptKey), .timestamp(callback.receivedAt))
                try receipt.run()
                guard connection.changes == 1 else { return .duplicate }
            }
            switch try CallbackApplication.apply(callback, connection: connection) {
            case .outcome(let outcome):
                return outcome
            case .unmatched(let detail):
                guard let makeEntry = callback.queueIfUnmatched else {
                    // Roll back the receipt and anything applied: the whole callback is tried again later.
                    throw .unmatched(detail)
                }
                // The receipt, whatever matched, and the raw callback commit together: a 202 loses nothing.
                let entry = makeEntry()
                try RetryRows.insert(connection, entry)
                return .queued(retryId: entry.id)
            }
        }
    }
}

// MARK: Test-only hooks: internal, reached with `@testable import`, never part of the configuration.

extension SQLiteStore {
    /// Caps the database file at `pages` pages on the writer's connection (`PRAGMA max_page_count`): a full
    /// disk, for tests. SQLite never sets the cap below the file's current size; returns the cap in effect.
    /// A replaced writer connection starts without a cap.
    func capPagesForTesting(_ pages: Int) async throws(GatewayError) -> Int {
        try await database.write { connection throws(GatewayError) in
            let pragma = try connection.statement(sql: "PRAGMA max_page_count = \(pages)")
            return try pragma.step() ? Int(pragma.int(0)) : 0
        }
    }

    /// A pragma's value on the writer's connection (`page_count`, `max_page_count`, `foreign_keys`...).
    func writerPragmaForTesting(_ name: String) async throws(GatewayError) -> Int {
        try await database.write { connection throws(GatewayError) in
            let pragma = try connection.statement(sql: "PRAGMA \(name)")
            return try pragma.step() ? Int(pragma.int(0)) : 0
        }
    }

    /// Makes the writer's connection behave as if it had seen an I/O error, so it is replaced before the next group.
    func damageWriterConnectionForTesting() async throws(GatewayError) {
        try await database.write { connection throws(GatewayError) in connection.markDamagedForTesting() }
    }
}
