import Logging
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle
import Synchronization

/// Delivers platform notifications (docs/architecture.md, "Outbound notifications"): a Service beside the
/// HTTP server and the retry worker, on every replica.
///
/// It keeps up to `worker.concurrency` attempts in flight. Whenever a slot is free, or `poll_interval_ms`
/// passes, or something wakes it (an attempt ended, an endpoint was enabled, deliveries were recovered), it fans
/// the outbox out into deliveries and claims due ones: each the head of its (endpoint, fulfillment) chain, as many per
/// endpoint as the per-endpoint limit and the circuit allow, under a lease that outlasts an attempt. On
/// shutdown it starts nothing new and lets the attempts in flight finish (each is bounded by `timeout_ms`).
/// A committed change does not wake it (that would cost every callback a wake-up under load): it is seen at
/// the next poll.
final class DeliveryWorker: Service, Sendable {
    let store: any GatewayStore
    let executor: DeliveryExecutor
    let fanOut: NotificationFanOut
    let config: NotificationsConfig
    let clock: any GatewayClock
    let logger: Logger
    private let signal = WakeSignal()
    /// Attempts started and not yet ended.
    private let inFlight = Mutex(0)

    /// `dead_letter_retention_s`: exhausted deliveries, and attempts, older than this are purged.
    let deadLetterRetentionSeconds: Int

    init(store: any GatewayStore, executor: DeliveryExecutor, config: NotificationsConfig, clock: any GatewayClock, logger: Logger,
         deadLetterRetentionSeconds: Int = GatewayConfig.defaultDeadLetterRetentionSeconds) {
        self.deadLetterRetentionSeconds = deadLetterRetentionSeconds
        self.store = store
        self.executor = executor
        self.fanOut = NotificationFanOut(logger: logger)
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    /// Asks the worker to look for work now.
    func wake() { signal.signal() }

    func run() async throws {
        let capacity = config.worker.concurrency
        await withGracefulShutdownHandler {
            // Discarding: an ended attempt leaves nothing behind in the group.
            await withDiscardingTaskGroup { group in
                // The first look comes after one poll interval: a gateway that just started has other work first.
                await signal.wait(timeout: .milliseconds(config.worker.pollIntervalMilliseconds))
                var lastPurge = Timestamp(milliseconds: 0)
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let now = clock.now()
                    if CircuitBreaker.length(lastPurge, now) > 60_000 {
                        lastPurge = now
                        await purge(now: now)
                    }
                    await dispatch()
                    let free = capacity - self.inFlight.withLock { $0 }
                    let claimed = await claim(limit: free)
                    for delivery in claimed {
                        self.inFlight.withLock { $0 += 1 }
                        group.addTask {
                            await self.executor.attempt(delivery, trigger: "scheduled")
                            self.inFlight.withLock { $0 -= 1 }
                            // A free slot, and perhaps the next delivery of the same chain is due.
                            self.signal.signal()
                        }
                    }
                    // A full claim may have left more due: look again at once, unless every slot is taken.
                    if free > 0, claimed.count == free, self.inFlight.withLock({ $0 }) < capacity { continue }
                    await signal.wait(timeout: .milliseconds(config.worker.pollIntervalMilliseconds))
                }
                // Shutting down: nothing new starts; the attempts in flight end within their timeout.
            }
        } onGracefulShutdown: {
            self.signal.signal()
        }
    }

    /// Fans the outbox out until it is empty (bounded per round so a backlog does not starve sending).
    func dispatch() async {
        let fanOut = self.fanOut
        for _ in 0..<10 {
            do {
                let added = try await store.dispatchNotifications(limit: 200, now: clock.now(), notifications: { fanOut.notifications(for: $0) },
                                                                  accepts: { NotificationFanOut.accepts($0, $1) })
                if added == 0 { return }
            } catch {
                logger.error("Notification fan-out failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
                return
            }
        }
    }

    /// Drops delivered deliveries older than `retention_s`, and dead ones (exhausted) and attempts older than
    /// `dead_letter_retention_s`, so the tables do not grow without end.
    func purge(now: Timestamp) async {
        let retention = Int64(config.worker.retentionSeconds).multipliedSaturating(by: 1000)
        let deadRetention = Int64(deadLetterRetentionSeconds).multipliedSaturating(by: 1000)
        do {
            try await store.purgeDeliveredDeliveries(before: now.adding(milliseconds: -retention))
            let dead = try await store.purgeDeadDeliveries(before: now.adding(milliseconds: -deadRetention))
            if dead.deliveries + dead.attempts > 0 {
                logger.info("Purged expired dead deliveries and attempts", metadata: ["deliveries": "\(dead.deliveries)", "attempts": "\(dead.attempts)"])
            }
        } catch {
            logger.error("Delivery purge failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
        }
    }

    /// Claims up to `limit` due deliveries (none when the worker is full).
    func claim(limit: Int) async -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        let perEndpoint = config.worker.perEndpointConcurrency
        let settings = config.circuitSettings
        do {
            return try await store.claimDeliveries(limit: limit, perEndpoint: perEndpoint, leaseMilliseconds: Int64(config.worker.leaseSeconds).multipliedSaturating(by: 1000),
                                                   now: now) { endpoint, inFlight in
                DeliveryExecutor.admission(endpoint, inFlight: inFlight, perEndpoint: perEndpoint, settings: settings, now: now)
            }
        } catch {
            logger.error("Delivery claim failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            return []
        }
    }
}
