import Foundation
import ParcelGateCore
import Synchronization

/// A SQLite file with one writer thread that commits concurrent writes in groups, and one reader.
///
/// Group commit: writes that arrive while a transaction is committing are queued and committed
/// together in the next transaction, each inside its own savepoint so one failing write does not
/// fail the others. A caller's `write` returns only after its group has committed, which is what
/// lets the HTTP layer send a 2xx that means "durable".
final class SQLiteDatabase: @unchecked Sendable {
    let path: String
    private let writer: WriterThread
    private let readerQueue = DispatchQueue(label: "parcelgate.sqlite.reader")
    private let reader: SQLiteConnection
    private let checkpointer: WALCheckpointer

    init(path: String, durability: DurabilityMode, batching: WriteBatching, migrate: (SQLiteConnection) throws(GatewayError) -> Void) throws(GatewayError) {
        self.path = path
        let writeConnection = try Self.openWriter(path: path, durability: durability)
        // WAL is a property of the file: set once here, it holds for every later connection (and a reopened
        // writer must not need the lock that changing it could take).
        try writeConnection.execute("PRAGMA journal_mode = WAL")
        try migrate(writeConnection)
        reader = try SQLiteConnection(path: path)
        try reader.execute("PRAGMA busy_timeout = 5000")
        try reader.execute("PRAGMA query_only = ON")
        let checkpointConnection = try SQLiteConnection(path: path)
        try checkpointConnection.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        let checkpointer = WALCheckpointer(connection: checkpointConnection)
        self.checkpointer = checkpointer
        checkpointer.observe(writeConnection)
        checkpointer.start()
        writer = WriterThread(connection: writeConnection, batching: batching) { () throws(GatewayError) -> SQLiteConnection in
            let fresh = try Self.openWriter(path: path, durability: durability)
            checkpointer.observe(fresh)
            return fresh
        }
        writer.start()
    }

    /// A write connection with the writer's per-connection settings: used at start-up and whenever the writer
    /// has to replace a connection it no longer trusts.
    private static func openWriter(path: String, durability: DurabilityMode) throws(GatewayError) -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA busy_timeout = 5000")
        try connection.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        try connection.execute("PRAGMA foreign_keys = ON")
        // 64 MiB of page cache: the hot pages of a busy gateway's indexes stay in memory.
        try connection.execute("PRAGMA cache_size = -65536")
        return connection
    }

    /// Runs `work` in the next group transaction; returns once that transaction has committed.
    ///
    /// An unsafe continuation: every path through the writer's `commit` completes each job of its group
    /// exactly once (`WriteJob.complete`), and this runs for every callback.
    func write<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws(GatewayError) -> T) async throws(GatewayError) -> T {
        let result: Result<T, GatewayError> = await withUnsafeContinuation { continuation in
            writer.submit(WriteJob(work: work, continuation: continuation, probe: CommitGroupProbe.current))
        }
        return try result.get()
    }

    /// Runs `work` on the reader connection, in one read transaction (a consistent snapshot).
    func read<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws(GatewayError) -> T) async throws(GatewayError) -> T {
        let reader = self.reader
        let result: Result<T, GatewayError> = await withCheckedContinuation { continuation in
            readerQueue.async {
                let result: Result<T, GatewayError>
                do throws(GatewayError) {
                    try reader.execute("BEGIN")
                    result = .success(try work(reader))
                } catch {
                    result = .failure(error)
                }
                reader.finishStatements()
                try? reader.execute("COMMIT")
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    /// Stops the writer after the writes already queued (later writes fail with `store_unavailable`) and
    /// returns once both threads have finished: every write queued before it is committed or answered.
    package func close() async {
        writer.stop()
        checkpointer.stop()
        await writer.exited.wait()
        await checkpointer.exited.wait()
    }

    /// Whether the writer thread has finished (after ``close()``).
    var writerFinished: Bool { writer.exited.isFinished }
}

/// A thread's end, awaited without blocking a thread: the thread calls ``finish()`` as its last act.
final class ThreadExit: Sendable {
    private struct State {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.finished } }

    func finish() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// One queued write and the caller waiting for it.
private final class WriteJob: @unchecked Sendable {
    private let runWork: (SQLiteConnection) -> Bool
    private let finish: (GatewayError?) -> Void
    /// Set when the caller traces its store call (``CommitGroupProbe``).
    let probe: CommitGroupProbe?

    init<T: Sendable>(work: @escaping @Sendable (SQLiteConnection) throws(GatewayError) -> T, continuation: UnsafeContinuation<Result<T, GatewayError>, Never>,
                      probe: CommitGroupProbe?) {
        self.probe = probe
        var outcome: Result<T, GatewayError>?
        runWork = { connection in
            do throws(GatewayError) {
                outcome = .success(try work(connection))
                return true
            } catch {
                outcome = .failure(error)
                return false
            }
        }
        finish = { commitError in
            if let commitError, case .success = outcome {
                continuation.resume(returning: .failure(commitError))
            } else {
                continuation.resume(returning: outcome ?? .failure(commitError ?? .internalError("Write did not run")))
            }
        }
    }

    /// Runs the work; false when it failed (its savepoint is then rolled back).
    func run(_ connection: SQLiteConnection) -> Bool { runWork(connection) }

    /// Reports the outcome: the work's own, or the commit's error if the group failed to commit.
    func complete(commitError: GatewayError?) { finish(commitError) }
}

/// The single thread that owns the write connection. Blocking SQLite calls (and fsync) happen here,
/// never on Swift's cooperative pool.
///
/// It survives its own failures: a group that cannot commit is rolled back and every caller in it is
/// answered with an error (never a 2xx), and before each `BEGIN` the connection is checked, rolled back if
/// a transaction was left open, and replaced if it is in doubt. A full disk therefore fails only the groups
/// that meet it, and the writer recovers by itself once space returns.
private final class WriterThread: @unchecked Sendable {
    private var connection: SQLiteConnection
    private let reopen: () throws(GatewayError) -> SQLiteConnection
    /// Set when a `ROLLBACK` failed: the connection's transaction state cannot be trusted.
    private var mustReopen = false
    private let batching: WriteBatching
    private let condition = NSCondition()
    private var queue: [WriteJob] = []
    private var stopping = false
    private var thread: Thread?
    private var commits = 0

    init(connection: SQLiteConnection, batching: WriteBatching, reopen: @escaping () throws(GatewayError) -> SQLiteConnection) {
        self.connection = connection
        self.batching = batching
        self.reopen = reopen
    }

    let exited = ThreadExit()

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.exited.finish()
        }
        thread.name = "parcelgate-sqlite-writer"
        self.thread = thread
        thread.start()
    }

    func submit(_ job: WriteJob) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.complete(commitError: .storeUnavailable("The store is shutting down"))
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                return
            }
            if batching.maxWaitMicroseconds > 0 && !stopping {
                let deadline = Date(timeIntervalSinceNow: Double(batching.maxWaitMicroseconds) / 1_000_000)
                while queue.count < batching.maxBatch && !stopping && condition.wait(until: deadline) {}
            }
            let take = min(queue.count, batching.maxBatch)
            let batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            condition.unlock()
            commit(batch)
        }
    }

    private func commit(_ batch: [WriteJob]) {
        do throws(GatewayError) {
            try makeReady()
            try connection.statement("BEGIN IMMEDIATE").run()
        } catch {
            batch.forEach { $0.complete(commitError: error) }
            return
        }
        // Only when a write of the group is traced: otherwise nothing is started or allocated.
        let traced = CommitGroupSpan(probes: batch.compactMap(\.probe))
        for job in batch {
            do throws(GatewayError) {
                // Prepared once and reused: the savepoint pair runs for every write in the group.
                try connection.statement("SAVEPOINT job").run()
                let succeeded = job.run(connection)
                connection.finishStatements()
                guard connection.isInTransaction else {
                    // SQLite rolled back the whole transaction itself (a full disk or an I/O error in a statement
                    // it could not undo alone): the work of every job so far is gone, savepoints included.
                    throw GatewayError.storeUnavailable("The database rolled back the write transaction after a failed write")
                }
                if !succeeded { try connection.statement("ROLLBACK TO job").run() }
                try connection.statement("RELEASE job").run()
            } catch {
                // A savepoint that cannot be managed leaves the transaction in doubt: abandon the group.
                traced?.finish(size: batch.count, error: error.code)
                abandon(batch, because: error)
                return
            }
        }
        do throws(GatewayError) {
            try connection.statement("COMMIT").run()
            commits += 1
            if let crashAfter = batching.crashAfterCommits, commits >= crashAfter {
                // Committed, nobody answered yet: the moment "nothing acknowledged is lost" is about.
                kill(getpid(), SIGKILL)
            }
            traced?.finish(size: batch.count, error: nil)
            batch.forEach { $0.complete(commitError: nil) }
            batching.onCommit?(batch.count)
        } catch {
            traced?.finish(size: batch.count, error: error.code)
            abandon(batch, because: error)
        }
    }

    /// A group that will not commit: roll back what is left of it and answer every caller with an error, so
    /// nothing in it is acknowledged. A job whose own work failed reports its own error; every other job
    /// (its work done, or not yet run) reports `store_unavailable`, since its write may pass when tried again.
    private func abandon(_ batch: [WriteJob], because error: GatewayError) {
        connection.finishStatements()
        if connection.isInTransaction {
            do throws(GatewayError) {
                try connection.execute("ROLLBACK")
            } catch {
                mustReopen = true
            }
        }
        let groupError: GatewayError
        if case .storeUnavailable = error {
            groupError = error
        } else {
            groupError = .storeUnavailable("The write could not be committed: \(error.detail)")
        }
        batch.forEach { $0.complete(commitError: groupError) }
    }

    /// Before every `BEGIN`: the connection must be outside any transaction and trusted. A transaction left
    /// open (a `ROLLBACK` or `COMMIT` that failed) is rolled back; a connection that saw an I/O error, a
    /// corrupt file, or whose rollback failed, is closed and opened afresh (same settings, empty statement
    /// cache). If that fails too, this group fails with `store_unavailable` and the next one tries again.
    private func makeReady() throws(GatewayError) {
        if !mustReopen && !connection.isDamaged && connection.isInTransaction {
            connection.finishStatements()
            do throws(GatewayError) {
                try connection.execute("ROLLBACK")
            } catch {
                mustReopen = true
            }
        }
        guard mustReopen || connection.isDamaged || connection.isInTransaction else { return }
        // Release the old connection's locks first, so the new one is not blocked by them.
        connection.finishStatements()
        if connection.isInTransaction { try? connection.execute("ROLLBACK") }
        do throws(GatewayError) {
            connection = try reopen()
        } catch {
            throw .storeUnavailable("The database connection could not be reopened: \(error.detail)")
        }
        mustReopen = false
    }
}
