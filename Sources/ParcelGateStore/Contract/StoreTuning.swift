/// The store's tuning that configuration sets: the only store types `GatewayConfig` builds, in a file of their
/// own with no dependency, so the config fuzz target compiles it alone (scripts/fuzz.sh).

/// How much SQLite waits for the disk before a commit returns (README, `--durability`).
package enum DurabilityMode: String, Sendable, Codable, CaseIterable {
    /// `synchronous=NORMAL` in WAL mode: survives a crash of the process, may lose the last commits on power loss.
    case normal
    /// `synchronous=FULL`: every commit is fsynced; survives power loss.
    case full
}

/// How the writer groups writes into transactions.
package struct WriteBatching: Sendable {
    /// Most writes in one transaction.
    package var maxBatch: Int
    /// How long the writer waits for more writes after the first one arrives while it was idle. Zero (the
    /// default) commits at once: writes arriving during a commit already form the next group.
    package var maxWaitMicroseconds: Int
    /// Test-only fault injection: kill the process (SIGKILL) right after this many commits, before any of
    /// the last group's callers is answered. Set from `PARCELGATE_FAULT_CRASH_AFTER_COMMITS`.
    var crashAfterCommits: Int?
    /// Told the size of every committed group (for the batch-size histogram).
    var onCommit: (@Sendable (Int) -> Void)?

    package init(maxBatch: Int = 256, maxWaitMicroseconds: Int = 0, crashAfterCommits: Int? = nil, onCommit: (@Sendable (Int) -> Void)? = nil) {
        self.maxBatch = maxBatch
        self.maxWaitMicroseconds = maxWaitMicroseconds
        self.crashAfterCommits = crashAfterCommits
        self.onCommit = onCommit
    }
}

/// How a PostgreSQL replica groups concurrent callbacks into transactions (README, "PostgreSQL group commit").
package struct PostgresGrouping: Sendable {
    /// Most callbacks one group carries (`database.max_batch`).
    package var maxGroup: Int
    /// Groups in flight at once, each on its own pooled connection (`database.concurrent_groups`): while one
    /// waits for PostgreSQL, the next forms and runs.
    package var concurrentGroups: Int
    /// Told the size of every committed group (the batch-size histogram, as on SQLite).
    package var onCommit: (@Sendable (Int) -> Void)?

    package static let defaultMaxGroup = 64
    package static let defaultConcurrentGroups = 1

    package init(maxGroup: Int = defaultMaxGroup, concurrentGroups: Int = defaultConcurrentGroups, onCommit: (@Sendable (Int) -> Void)? = nil) {
        self.maxGroup = maxGroup
        self.concurrentGroups = concurrentGroups
        self.onCommit = onCommit
    }
}
