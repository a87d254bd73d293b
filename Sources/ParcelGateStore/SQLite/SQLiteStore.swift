import ParcelGateCore
import ServiceLifecycle

/// The embedded default backend: one SQLite file in WAL mode, writes group-committed by one writer thread.
///
/// It runs the shared workflows (``WorkflowRunner``): writes on the writer thread, inside the group's
/// transaction and the write's own savepoint; reads on the reader connection, in one read transaction.
package final class SQLiteStore: WorkflowRunner {
    let database: SQLiteDatabase
    let dialect = StoreDialect.sqlite

    package init(path: String, durability: DurabilityMode = .normal, batching: WriteBatching = WriteBatching()) throws(GatewayError) {
        // SQLite reads an empty path as a private temporary database per connection: the reader would not see
        // what the writer migrated. Refused, as any path that names nothing.
        guard !path.trimmingWhitespace().isEmpty else { throw .badRequest("The database location is empty: give a SQLite file path or a postgres:// URL") }
        database = try SQLiteDatabase(path: path, durability: durability, batching: batching, migrate: SQLiteMigrations.migrate)
    }

    func perform<Output: Sendable>(_ workflow: Workflow<Output>) async throws(GatewayError) -> Output {
        let first = workflow.first
        switch workflow.access {
        case .write:
            return try await database.write { connection throws(GatewayError) in try connection.drive(first) }
        case .read, .snapshot:
            return try await database.read { connection throws(GatewayError) in try connection.drive(first) }
        }
    }

    package func close() async { await database.close() }

    /// The writer and checkpoint threads' lifetime as a ServiceLifecycle `Service`, for `parcelgate serve`'s
    /// ServiceGroup: it runs until the group shuts down gracefully, then drains the queued writes and joins
    /// both threads (``close()``). Listed before the HTTP server, it stops after it.
    package var service: some Service { SQLiteStoreService(store: self) }

    /// Through the writer: ready means the writer is alive and can lock the file, not only that it can be read.
    package func ping() async throws(GatewayError) {
        _ = try await database.write { connection throws(GatewayError) in
            try connection.statement("SELECT count(*) FROM schema_migrations").step()
        }
    }
}

/// See ``SQLiteStore/service``.
struct SQLiteStoreService: Service {
    let store: SQLiteStore

    func run() async throws {
        // Cancelled or told to shut down: either way, finish the writes and join the threads.
        try? await gracefulShutdown()
        await store.close()
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
