import Logging
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle
import Synchronization

/// Whether the database answers, checked on a fixed interval by one task, so that `/readyz` reads a value
/// and a probe never queues work on the store: a load balancer polling every few milliseconds costs nothing,
/// and a probe cannot wait behind a busy commit group.
final class ReadinessMonitor: Service, Sendable {
    let store: any GatewayStore
    let interval: Duration
    private let state: Mutex<State>

    struct State {
        var failure: String?
        var checkedAt: ContinuousClock.Instant
    }

    /// Starts ready: it is built right after the store was opened and read.
    init(store: any GatewayStore, interval: Duration) {
        self.store = store
        self.interval = interval
        state = Mutex(State(failure: nil, checkedAt: .now))
    }

    /// `nil` when ready; otherwise why not. A result older than three intervals and five seconds counts as
    /// not ready (the checking task itself is stuck); the slack keeps a starved CPU from flapping it.
    var problem: String? {
        let current = state.withLock { $0 }
        if let failure = current.failure { return failure }
        guard ContinuousClock.now - current.checkedAt <= interval * 3 + .seconds(5) else { return "The database has not answered a check recently" }
        return nil
    }

    func run() async throws {
        // The staleness clock starts when checking starts: a slow start-up (a loaded machine, a long seeding)
        // is not a database that stopped answering.
        state.withLock { $0.checkedAt = .now }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A graceful shutdown ends the wait at once, however long the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            let failure: String?
            do {
                try await store.ping()
                failure = nil
            } catch {
                failure = error.detail
            }
            state.withLock { $0 = State(failure: failure, checkedAt: .now) }
        }
    }
}
