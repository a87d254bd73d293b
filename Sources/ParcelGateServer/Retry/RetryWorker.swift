import Foundation
import Logging
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle

/// Re-runs queued callbacks until they apply or are exhausted (docs/architecture.md, "The retry queue"). Runs as a service beside the
/// HTTP server and stops with it.
///
/// Each round claims due entries (round-robin across tenants, under a lease), re-runs normalise and apply
/// on the stored raw body without re-verifying the signature (it was verified once, and stored by us), and
/// marks the outcome. It sleeps until the next poll unless an entry is queued or expedited, which wakes it.
final class RetryWorker: Service, Sendable {
    let store: any GatewayStore
    let directory: DirectoryProvider
    let clock: any GatewayClock
    let settings: WorkerConfig
    let logger: Logger
    let metrics: GatewayMetrics
    let limits: IngressConfig
    /// `dead_letter_retention_s`: exhausted entries last changed longer ago are purged with their attempt logs.
    let deadLetterRetentionSeconds: Int
    private let signal = WakeSignal()

    init(store: any GatewayStore, directory: DirectoryProvider, clock: any GatewayClock, settings: WorkerConfig, logger: Logger, metrics: GatewayMetrics,
                limits: IngressConfig = IngressConfig(), deadLetterRetentionSeconds: Int = GatewayConfig.defaultDeadLetterRetentionSeconds) {
        self.limits = limits
        self.deadLetterRetentionSeconds = deadLetterRetentionSeconds
        self.store = store
        self.directory = directory
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// Asks the worker to look for due entries now.
    func wake() { signal.signal() }

    func run() async throws {
        await withGracefulShutdownHandler {
            var lastPurge = Timestamp(milliseconds: 0)
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let processed = await runOnce()
                let now = clock.now()
                if now.milliseconds - lastPurge.milliseconds > 60_000 {
                    lastPurge = now
                    await purge(now: now)
                }
                if processed < settings.batchSize {
                    await signal.wait(timeout: .milliseconds(settings.pollIntervalMilliseconds))
                }
            }
        } onGracefulShutdown: {
            self.signal.signal()
        }
    }

    /// Succeeded entries after `worker.retention_s`, dead letters after `dead_letter_retention_s`.
    func purge(now: Timestamp) async {
        _ = try? await store.purgeSucceeded(before: now.adding(milliseconds: -Int64(settings.retentionSeconds).multipliedSaturating(by: 1000)))
        do {
            let purged = try await store.purgeExhaustedRetries(before: now.adding(milliseconds: -Int64(deadLetterRetentionSeconds).multipliedSaturating(by: 1000)))
            if purged > 0 { logger.info("Purged expired dead letters", metadata: ["count": "\(purged)"]) }
        } catch {
            logger.error("Dead-letter purge failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
        }
    }

    /// Claims one batch of due entries and processes it; returns how many were claimed.
    @discardableResult
    func runOnce() async -> Int {
        let entries: [RetryEntry]
        do {
            entries = try await store.claimDue(limit: settings.batchSize, leaseMilliseconds: Int64(settings.leaseSeconds) * 1000, now: clock.now())
        } catch {
            logger.error("Retry claim failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for entry in entries {
                if running == settings.concurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.process(entry) }
                running += 1
            }
        }
        return entries.count
    }

    /// What one attempt decided.
    enum Attempt {
        case succeeded
        case failed(String)
        case exhausted(String)
    }

    func process(_ entry: RetryEntry) async {
        var metadata: Logger.Metadata = [
            "retry.id": "\(entry.id)", "tenant": "\(entry.tenant)", "carrier": "\(entry.carrier)",
            "attempt": "\(entry.attempts + 1)", "reason": "\(entry.reason.rawValue)",
        ]
        // Every entry `claimDue` returns carries its claim's token; without one nothing could be recorded.
        guard let claimToken = entry.claimToken else {
            logger.error("Retry entry claimed without a claim token; left for the lease to bring back", metadata: metadata)
            return
        }
        let attempt = await attemptOnce(entry)
        let now = clock.now()
        do {
            switch attempt {
            case .succeeded:
                try await store.markSucceeded(id: entry.id, claimToken: claimToken, now: now)
                metrics.retryAttempt(tenant: entry.tenant, result: "succeeded")
                logger.info("Retry succeeded", metadata: metadata)
            case .failed(let error):
                metadata["error"] = "\(error)"
                let updated = try await store.markFailed(id: entry.id, claimToken: claimToken, error: error,
                                                         policy: directory.current.retryPolicy(for: entry.tenant), now: now)
                metrics.retryAttempt(tenant: entry.tenant, result: updated.status == .exhausted ? "exhausted" : "failed")
                if updated.status == .exhausted {
                    logger.warning("Retry exhausted", metadata: metadata)
                } else {
                    metadata["delay_ms"] = "\(updated.nextAttemptAt.milliseconds - now.milliseconds)"
                    logger.info("Retry failed, will try again", metadata: metadata)
                }
            case .exhausted(let error):
                metadata["error"] = "\(error)"
                try await store.markExhausted(id: entry.id, claimToken: claimToken, reason: error, now: now)
                metrics.retryAttempt(tenant: entry.tenant, result: "exhausted")
                logger.warning("Retry failed permanently", metadata: metadata)
            }
        } catch .conflict(let detail) {
            // The attempt outlived its lease and another claimer owns the entry now (or it was replayed): its
            // outcome is that claimer's to record. Not counted, so no attempt is counted twice; a callback it
            // applied meanwhile is a duplicate for the new holder (receipt and scan keys), not a second apply.
            metadata["detail"] = "\(detail)"
            logger.warning("Retry claim lost; outcome not recorded", metadata: metadata)
        } catch {
            // The lease brings the entry back; nothing is lost.
            metadata["error"] = "\(error.detail)"
            logger.error("Retry outcome could not be recorded", metadata: metadata)
        }
    }

    /// Normalise and apply the stored body; classify what happened (docs/architecture.md, "The retry queue": transient retries, permanent exhausts).
    func attemptOnce(_ entry: RetryEntry) async -> Attempt {
        guard let source = directory.current.source(tenant: entry.tenant, carrier: entry.carrier) else {
            return .exhausted("Carrier source '\(entry.carrier)' is no longer configured for tenant '\(entry.tenant)'")
        }
        do {
            // Event times fall back to when the callback first arrived, not to now.
            let normalised = try IngressPipeline.normalise(Data(entry.body), source: source, receivedAt: entry.createdAt, limits: limits)
            // A notice is answered at once and never queued; should one be here, there is nothing to apply.
            if normalised.isNotice { return .succeeded }
            let callback = IngestCallback(
                tenant: entry.tenant, carrier: entry.carrier, receiptKey: entry.receiptKey,
                events: normalised.events, receivedAt: clock.now()
            )
            switch try await store.ingest(callback) {
            case .applied, .duplicate: return .succeeded
            case .invalidTransition(_, let error): return .exhausted(error.detail)
            case .queued: return .failed("Unexpectedly queued again")
            }
        } catch where error.isTransient {
            return .failed(error.detail)
        } catch {
            return .exhausted(error.detail)
        }
    }
}
