import CSQLite
import ParcelGateCore

/// SQLite's transient destructor: SQLite copies the bound bytes before `bind` returns.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Process-wide SQLite settings, applied once before the first connection opens.
private let sqliteConfigured: Void = {
    _ = parcelgate_sqlite3_disable_memstatus()
}()

/// One libsqlite3 connection with a prepared-statement cache.
///
/// Not thread-safe by design (the `Sendable` is unchecked): each connection is owned by exactly one thread (the writer's, or a
/// reader's), which is what lets SQLite run in its no-mutex mode and statements be reused freely.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private var literalStatements: [Int: SQLiteStatement] = [:]
    private var builtStatements: [String: SQLiteStatement] = [:]
    /// Statements that returned a row since the last `finishStatements()`.
    private var unfinished: [SQLiteStatement] = []
    private var walHookOwner: AnyObject?
    /// A result code that leaves this connection's state in doubt was seen (an I/O error, a corrupt or
    /// foreign file): the writer replaces the connection before its next transaction.
    private(set) var isDamaged = false

    init(path: String, readOnly: Bool = false) throws(GatewayError) {
        _ = sqliteConfigured
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw .storeUnavailable("Cannot open SQLite database at \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        unfinished.removeAll()
        literalStatements.removeAll()
        builtStatements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(GatewayError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? "error \(code)"
            sqlite3_free(errorMessage)
            throw failure(code: code, message: message)
        }
    }

    /// A cached prepared statement for a literal `sql`, reset and with bindings cleared.
    ///
    /// Keyed by the literal's address, not its text: the hot path looks up about ten statements per
    /// callback, and hashing and comparing their text cost more than running some of them.
    func statement(_ sql: StaticString) throws(GatewayError) -> SQLiteStatement {
        let key = Int(bitPattern: sql.utf8Start)
        if let cached = literalStatements[key] {
            cached.reset()
            return cached
        }
        let statement = try prepare(sql.description)
        literalStatements[key] = statement
        return statement
    }

    /// A cached prepared statement for SQL built at run time (keyed by its text).
    func statement(sql: String) throws(GatewayError) -> SQLiteStatement {
        if let cached = builtStatements[sql] {
            cached.reset()
            return cached
        }
        let statement = try prepare(sql)
        builtStatements[sql] = statement
        return statement
    }

    private func prepare(_ sql: String) throws(GatewayError) -> SQLiteStatement {
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else { throw error(code) }
        return SQLiteStatement(raw: raw, connection: self)
    }

    /// Resets every statement left mid-result. A statement stopped after its first row keeps its read
    /// snapshot open even past COMMIT, so each unit of work ends with this.
    func finishStatements() {
        for statement in unfinished { statement.resetIfBusy() }
        unfinished.removeAll(keepingCapacity: true)
    }

    /// Called by a statement that returned a row: it may be left mid-result.
    fileprivate func mayBeUnfinished(_ statement: SQLiteStatement) {
        unfinished.append(statement)
    }

    /// Installs SQLite's WAL hook, called after every commit with the WAL's size in frames and `owner` as
    /// its context. The connection keeps `owner` alive for as long as the hook can be called.
    func setWALHook(owner: AnyObject, _ hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32) {
        walHookOwner = owner
        sqlite3_wal_hook(handle, hook, Unmanaged.passUnretained(owner).toOpaque())
    }

    /// A passive checkpoint of the main database: copies what it can without waiting for anyone. Returns
    /// how many WAL frames are now copied back, or `nil` when it could not run (busy, an I/O error).
    func checkpointPassive() -> Int? {
        var log: Int32 = 0
        var copied: Int32 = 0
        guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK, copied >= 0 else { return nil }
        return Int(copied)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether a transaction is open. SQLite may end one on its own: after a full disk or an I/O error it
    /// can roll back the whole transaction, savepoints included, rather than only the failing statement.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Test-only: behave as if SQLite had reported an I/O error, so the writer's recovery can be exercised
    /// without a failing disk.
    func markDamagedForTesting() { isDamaged = true }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func error(_ code: Int32) -> GatewayError {
        failure(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    private func failure(code: Int32, message: String) -> GatewayError {
        if SQLiteError.leavesConnectionInDoubt(code) { isDamaged = true }
        return SQLiteError.map(code: code, message: message)
    }
}

/// A prepared statement. Bind with 1-based indexes, then `step()` until it returns false.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    func resetIfBusy() {
        if sqlite3_stmt_busy(raw) != 0 { sqlite3_reset(raw) }
    }

    @discardableResult
    func bind(_ values: SQLValue...) -> SQLiteStatement {
        for (offset, value) in values.enumerated() { bind(value, at: Int32(offset + 1)) }
        return self
    }

    func bind(_ value: SQLValue, at index: Int32) {
        switch value {
        case .null: sqlite3_bind_null(raw, index)
        case .integer(let v): sqlite3_bind_int64(raw, index, v)
        case .bool(let v): sqlite3_bind_int64(raw, index, v ? 1 : 0)
        case .real(let v): sqlite3_bind_double(raw, index, v)
        case .text(let v): sqlite3_bind_text(raw, index, v, Int32(v.utf8.count), SQLITE_TRANSIENT)
        // PostgreSQL's only (``Statement/postgresBinds``); the statement runner refuses one before binding.
        case .textArray: sqlite3_bind_null(raw, index)
        case .blob(let v):
            v.withUnsafeBytes { bytes in
                _ = sqlite3_bind_blob(raw, index, bytes.baseAddress, Int32(bytes.count), SQLITE_TRANSIENT)
            }
        }
    }

    /// Advances to the next row; false when done.
    func step() throws(GatewayError) -> Bool {
        let code = sqlite3_step(raw)
        if code == SQLITE_ROW {
            connection.mayBeUnfinished(self)
            return true
        }
        if code == SQLITE_DONE { return false }
        throw connection.error(code)
    }

    /// Runs a statement that returns no rows.
    func run() throws(GatewayError) {
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }

    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : sqlite3_column_double(raw, column) }

    /// The column's text, all of its bytes (a NUL inside is kept, as it was bound).
    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column))), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// Classifies SQLite result codes into the gateway's errors: the store's half of docs/architecture.md, "The retry queue"'s one classification.
///
/// A full disk (`SQLITE_FULL`) and an I/O error are `store_unavailable` (503): nothing was committed, and the
/// same write passes once space returns or the disk recovers, so the ingress queues the callback or answers 503.
enum SQLiteError {
    /// An I/O error, a corrupt file or a file that is not a database: the connection may hold a broken
    /// page cache or a half-finished transaction, so the writer opens a fresh one.
    static func leavesConnectionInDoubt(_ code: Int32) -> Bool {
        switch code & 0xFF {
        case SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB: return true
        default: return false
        }
    }

    static func map(code: Int32, message: String) -> GatewayError {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_READONLY, SQLITE_NOMEM:
            return .storeUnavailable("Database unavailable: \(message)")
        case SQLITE_CONSTRAINT:
            return .conflict("Constraint violated: \(message)")
        default:
            return .internalError("Database error: \(message)")
        }
    }
}
