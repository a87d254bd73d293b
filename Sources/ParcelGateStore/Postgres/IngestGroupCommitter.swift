import NIOCore
import ParcelGateCore
import Synchronization

/// Group commit for PostgreSQL (docs/architecture.md, "Group commit on PostgreSQL"): concurrent
/// ``GatewayStore/ingest(_:)`` calls queue here, and up to ``PostgresGrouping/concurrentGroups`` leaders each
/// take up to ``PostgresGrouping/maxGroup`` of them and run them as one ``IngestGroupWorkflow`` transaction.
/// A caller is answered only once its group has committed, so a 2xx still means committed.
///
/// A group that fails as a whole (a deadlock with another replica, a lost connection, a fulfillment deleted
/// under it) hands every member back to run alone, each in its own transaction, exactly as without groups:
/// one bad callback never fails another. If the connection was lost while `COMMIT` was in flight and the
/// group did commit, the members run alone find their receipts and are answered as duplicates: still a 2xx
/// for a committed callback.
final class IngestGroupCommitter: Sendable {
    private struct Waiting: Sendable {
        let callback: IngestCallback
        let probe: CommitGroupProbe?
        let continuation: CheckedContinuation<IngestGroupWorkflow.Member, Never>
    }

    private struct State {
        var queue: [Waiting] = []
        var leaders = 0
        /// Set by ``close()``: no leader starts, and a new callback runs alone.
        var closed = false
    }

    /// Most tracking events one group carries, whatever `max_batch` says: its reads bind about two values per
    /// event (PostgreSQL takes at most 65,535), and a few large callbacks should not make one huge transaction.
    /// A callback is always taken, however many events it has.
    static let maxGroupEvents = 2_000

    private let state = Mutex(State())
    /// Where leaders run: the store's own event loop, which also carries its PostgreSQL connections, not Swift's
    /// global executor, whose queue is full of HTTP handlers under load. A leader waits on PostgreSQL about a
    /// dozen times a group; each wake-up queued behind that work made a group slower (README, "PostgreSQL group commit").
    private let executor: EventLoopTaskExecutor
    private let grouping: PostgresGrouping
    private let dialect: StoreDialect
    /// Runs a workflow in one transaction: the store's `perform`.
    private let perform: @Sendable (Workflow<[IngestGroupWorkflow.Member]>) async throws(GatewayError) -> [IngestGroupWorkflow.Member]

    init(grouping: PostgresGrouping, dialect: StoreDialect, loop: any EventLoop,
         perform: @escaping @Sendable (Workflow<[IngestGroupWorkflow.Member]>) async throws(GatewayError) -> [IngestGroupWorkflow.Member]) {
        self.grouping = grouping
        self.dialect = dialect
        executor = EventLoopTaskExecutor(loop)
        self.perform = perform
    }

    /// Queues `callback` for the next group and waits until that group has committed (``IngestGroupWorkflow/Member/settled(_:)``)
    /// or left it out (``IngestGroupWorkflow/Member/alone``: the caller runs it by itself).
    func submit(_ callback: IngestCallback) async -> IngestGroupWorkflow.Member {
        let probe = CommitGroupProbe.current
        return await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                state.queue.append(Waiting(callback: callback, probe: probe, continuation: continuation))
                guard state.leaders < grouping.concurrentGroups else { return false }
                state.leaders += 1
                return true
            }
            switch lead {
            case nil: continuation.resume(returning: .alone)
            case true?: Task(executorPreference: executor) { await self.lead() }
            case false?: break
            }
        }
    }

    /// Stops taking callbacks and waits until the leaders have answered every queued one, so the event loop
    /// they run on can be shut down without stranding a caller.
    func close() async {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.leaders > 0 || !$0.queue.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Takes groups off the queue until it is empty; the last leader out leaves nothing behind, because a
    /// caller that queues while no leader can take it starts one.
    private func lead() async {
        while true {
            let group = state.withLock { state -> [Waiting] in
                guard !state.queue.isEmpty else {
                    state.leaders -= 1
                    return []
                }
                var count = 0
                var events = 0
                for waiting in state.queue.prefix(grouping.maxGroup) {
                    events += waiting.callback.events.count
                    guard count == 0 || events <= Self.maxGroupEvents else { break }
                    count += 1
                }
                let taken = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return taken
            }
            guard !group.isEmpty else { return }
            await run(group)
        }
    }

    private func run(_ group: [Waiting]) async {
        let span = CommitGroupSpan(probes: group.compactMap(\.probe), system: "postgresql")
        do {
            let members = try await perform(IngestGroupWorkflow.make(group.map(\.callback), dialect: dialect))
            span?.finish(size: group.count, error: nil)
            grouping.onCommit?(group.count)
            for (waiting, member) in zip(group, members) { waiting.continuation.resume(returning: member) }
            // A workflow answers every member; should one be missing, its caller runs alone rather than hang.
            for waiting in group.dropFirst(members.count) { waiting.continuation.resume(returning: .alone) }
        } catch {
            span?.finish(size: group.count, error: error.code)
            for waiting in group { waiting.continuation.resume(returning: .alone) }
        }
    }
}

/// An event loop as a Swift `TaskExecutor`: a task that prefers it runs its nonisolated async code on that
/// loop's thread (PostgresNIO's `query` included), so it is resumed there and never waits in the global executor's queue.
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
