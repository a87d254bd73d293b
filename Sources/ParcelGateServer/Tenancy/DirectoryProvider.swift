import Logging
import NIOConcurrencyHelpers
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle

/// Holds the current ``TenantDirectory`` and replaces it when the database's directory changes.
///
/// The hot path reads `current` (a lock and a copy of a few references). An operator change made through
/// this process reloads before its response, so the next request sees it at once; changes made by another
/// replica are picked up by ``DirectoryRefresher`` within its interval.
public final class DirectoryProvider: Sendable {
    let store: any GatewayStore
    let secretBox: SecretBox
    let defaultPolicy: BackoffPolicy
    private let state: NIOLockedValueBox<TenantDirectory>

    public init(store: any GatewayStore, secretBox: SecretBox, defaultPolicy: BackoffPolicy) async throws(GatewayError) {
        self.store = store
        self.secretBox = secretBox
        self.defaultPolicy = defaultPolicy
        let snapshot = try await store.directory()
        state = NIOLockedValueBox(try TenantDirectory(snapshot: snapshot, secretBox: secretBox, defaultPolicy: defaultPolicy))
    }

    public var current: TenantDirectory { state.withLockedValue { $0 } }

    /// Rebuilds the directory from the database.
    public func reload() async throws(GatewayError) {
        let directory = try TenantDirectory(snapshot: try await store.directory(), secretBox: secretBox, defaultPolicy: defaultPolicy)
        state.withLockedValue { current in
            if directory.version >= current.version { current = directory }
        }
    }

    /// Reloads when another process changed the directory.
    public func reloadIfChanged() async throws(GatewayError) {
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
