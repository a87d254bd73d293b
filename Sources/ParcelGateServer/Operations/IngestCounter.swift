import Logging
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle
import Synchronization

/// Callbacks per tenant, minute, outcome and error code (README, "Stats"), counted in memory on the ingest path
/// and added to the store in one transaction every few seconds by ``IngestCountFlusher``.
///
/// The hot path pays a lock and a dictionary increment, never a database write: a burst of a thousand callbacks
/// in one minute becomes a handful of upserts. Replicas add to the same rows. What a crash loses is at most one
/// flush interval of these counts (the callbacks themselves are durable as always; `/metrics` counts them too).
final class IngestCounter: Sendable {
    private struct Key: Hashable {
        var tenant: String
        var minute: Int64
        var outcome: String
        var code: String
    }

    private let counts = Mutex<[Key: Int64]>([:])
    /// The last flush started: each flush waits for the one before it, so a stats read's flush returns only once
    /// a periodic flush that had already taken the counts has stored them (else the read could miss them).
    private let lastFlush = Mutex<Task<Void, Never>?>(nil)
    let clock: any GatewayClock

    init(clock: any GatewayClock) { self.clock = clock }

    /// The minute (since 1970-01-01T00:00Z) of `instant`.
    static func minute(of instant: Timestamp) -> Int64 {
        let ms = instant.milliseconds
        return ms >= 0 ? ms / 60_000 : -((-(ms &+ 1)) / 60_000) - 1
    }

    /// Counts one callback of a resolved source; `code` is the error code of a rejection.
    func record(tenant: String, outcome: String, code: String? = nil) {
        let key = Key(tenant: tenant, minute: Self.minute(of: clock.now()), outcome: outcome, code: code ?? "")
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Takes everything counted so far.
    func drain() -> [IngestCount] {
        let taken = counts.withLock { counts in
            defer { counts.removeAll(keepingCapacity: true) }
            return counts
        }
        return taken.map { IngestCount(tenant: $0.key.tenant, minute: $0.key.minute, outcome: $0.key.outcome, code: $0.key.code, count: $0.value) }
    }

    /// Puts back counts a flush could not store, to go with the next one.
    func restore(_ unflushed: [IngestCount]) {
        counts.withLock { counts in
            for c in unflushed {
                counts[Key(tenant: c.tenant, minute: c.minute, outcome: c.outcome, code: c.code), default: 0] += c.count
            }
        }
    }

    /// How many minutes of counts are kept: the last day, and the minute before it.
    static let keptMinutes: Int64 = 24 * 60 + 1

    /// Stores what was counted (and drops minutes older than a day); on failure keeps it for the next flush.
    /// With nothing counted it writes nothing (a stats read on an idle gateway costs no write; the old minutes
    /// go with the next flush that has counts, and reads never look past a day anyway).
    func flush(to store: any GatewayStore) async throws(GatewayError) {
        let mine: Task<GatewayError?, Never> = lastFlush.withLock { last in
            let previous = last
            let next = Task { () -> GatewayError? in
                await previous?.value
                do throws(GatewayError) {
                    try await self.flushNow(to: store)
                    return nil
                } catch {
                    return error
                }
            }
            last = Task { _ = await next.value }
            return next
        }
        if let error = await mine.value { throw error }
    }

    private func flushNow(to store: any GatewayStore) async throws(GatewayError) {
        let counts = drain()
        guard !counts.isEmpty else { return }
        let purgeBefore = Self.minute(of: clock.now()) - Self.keptMinutes
        do {
            try await store.recordIngestCounts(counts, purgeBeforeMinute: purgeBefore)
        } catch {
            restore(counts)
            throw error
        }
    }
}

/// Flushes the ``IngestCounter`` every `interval`, and once more at shutdown.
struct IngestCountFlusher: Service {
    let counter: IngestCounter
    let store: any GatewayStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do {
                try await counter.flush(to: store)
            } catch {
                logger.warning("Ingest counts not stored yet; kept for the next flush", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            }
        }
        try? await counter.flush(to: store)
    }
}
