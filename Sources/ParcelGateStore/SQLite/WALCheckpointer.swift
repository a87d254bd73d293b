import CSQLite
import Foundation
import Synchronization

/// Copies committed WAL frames back into the database file on its own thread and connection, so the
/// writer does not stall a whole commit group while thousands of pages are copied.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: every caller in that
/// group (and every one queued behind it) waits for the copy, which is what set the p99 latency. Here the
/// writer's WAL hook wakes this thread early (``backgroundFrames``), and the copy happens beside the
/// writer (a passive checkpoint never blocks it). Under sustained load the WAL cannot restart while new
/// frames keep arriving, so the committing connection still checkpoints itself past ``writerFrames``,
/// as SQLite would; by then nearly every frame is already copied and its share is small.
final class WALCheckpointer: @unchecked Sendable {
    /// WAL size, in frames, at which the background copy starts.
    static let backgroundFrames = 4_000
    /// WAL size at which the writer checkpoints itself (and so lets the WAL restart from the beginning).
    static let writerFrames = 16_000
    /// New frames since the last background copy that make another one due. Woken on every commit past
    /// ``backgroundFrames`` instead, the thread ran copy after copy, each re-copying the pages every commit
    /// touches (index roots, the tables' last pages, the counters) and ending in its own `fdatasync`: about
    /// 40 a second under load. A quarter of the way between the two thresholds keeps the copy the writer
    /// itself makes at ``writerFrames`` small.
    static let framesPerCopy = 1_000

    private let connection: SQLiteConnection
    private let condition = NSCondition()
    private var due = false
    private var stopping = false
    /// The WAL frames the last background copy reached (`SQLITE_CHECKPOINT_PASSIVE`'s checkpointed count);
    /// read by the writer's WAL hook. A WAL smaller than this has restarted since.
    private let copied = Atomic<Int>(0)

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    let exited = ThreadExit()

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.exited.finish()
        }
        thread.name = "parcelgate-sqlite-checkpoint"
        thread.start()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Installs the hook on the writer's connection. It replaces SQLite's automatic checkpoint.
    func observe(_ writer: SQLiteConnection) {
        writer.setWALHook(owner: self) { context, db, name, frames in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if frames >= WALCheckpointer.writerFrames {
                // Passive: if the background copy holds the checkpoint lock this returns at once, and the next commit tries again.
                sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                // The WAL restarts from its first frame after this: the next background copy counts from there.
                checkpointer.copied.store(0, ordering: .relaxed)
            } else if frames >= WALCheckpointer.backgroundFrames {
                let reached = checkpointer.copied.load(ordering: .relaxed)
                if Int(frames) - (reached <= Int(frames) ? reached : 0) >= WALCheckpointer.framesPerCopy { checkpointer.wake() }
            }
            return SQLITE_OK
        }
    }

    private func wake() {
        condition.lock()
        due = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while !due && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            due = false
            condition.unlock()
            // Errors (busy, I/O) are left to the next wake-up and to the writer's own checkpoint.
            if let reached = connection.checkpointPassive() { copied.store(reached, ordering: .relaxed) }
        }
    }
}
