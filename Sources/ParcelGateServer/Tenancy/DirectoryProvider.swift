import Logging
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle
import Synchronization

/// Holds the current ``TenantDirectory`` and replaces it when the database's directory changes.
///
/// The hot path reads `current` (a lock and a copy of a few references). An operator change made through
/// this process reloads before its response, so the next request sees it at once; changes made by another
/// replica are picked up by ``DirectoryRefresher`` within its interval.
final class DirectoryProvider: Sendable {
    let store: any GatewayStore
    let secretBox: SecretBox
    let defaultPolicy: BackoffPolicy
    let logger: Logger
    let metrics: GatewayMetrics
    private let state: Mutex<TenantDirectory>

    init(store: any GatewayStore, secretBox: SecretBox, defaultPolicy: BackoffPolicy, logger: Logger = Logger(label: "parcelgate"),
                metrics: GatewayMetrics = GatewayMetrics()) async throws(GatewayError) {
        self.store = store
        self.secretBox = secretBox
        self.defaultPolicy = defaultPolicy
        self.logger = logger
        self.metrics = metrics
        let snapshot = try await store.directory()
        let directory = try TenantDirectory(snapshot: snapshot, secretBox: secretBox, defaultPolicy: defaultPolicy)
        state = Mutex(directory)
        report(directory, previous: nil)
        for source in snapshot.sources where source.toleranceSeconds == 0 {
            // Accepted on purpose (replaying captured traffic), but never silently: signatures of any age pass.
            logger.warning("Source accepts signatures of any age (tolerance_s: 0): only for replaying captured traffic", metadata: [
                "tenant": "\(source.tenant)", "carrier": "\(source.carrier)",
            ])
        }
    }

    /// Logs what did not load (once per change, not on every poll) and keeps the metric current.
    private func report(_ directory: TenantDirectory, previous: TenantDirectory?) {
        metrics.directoryProblems(directory.problems.count)
        guard directory.problems != previous?.problems else { return }
        for problem in directory.problems {
            logger.error("Tenant directory entry disabled", metadata: [
                "tenant": "\(problem.tenant)", "carrier": "\(problem.carrier ?? "-")", "detail": "\(problem.detail)",
            ])
        }
    }

    var current: TenantDirectory { state.withLock { $0 } }

    /// Rebuilds the directory from the database.
    func reload() async throws(GatewayError) {
        let directory = try TenantDirectory(snapshot: try await store.directory(), secretBox: secretBox, defaultPolicy: defaultPolicy)
        let previous: TenantDirectory? = state.withLock { current in
            guard directory.version >= current.version else { return nil }
            defer { current = directory }
            return current
        }
        if let previous { report(directory, previous: previous) }
    }

    /// Reloads when another process changed the directory.
    func reloadIfChanged() async throws(GatewayError) {
        if try await store.directoryVersion() != current.version { try await reload() }
    }
}

/// Polls the directory version so changes made through another replica reach this one.
struct DirectoryRefresher: Service {
    let provider: DirectoryProvider
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await provider.reloadIfChanged()
            } catch {
                logger.error("Tenant directory reload failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
