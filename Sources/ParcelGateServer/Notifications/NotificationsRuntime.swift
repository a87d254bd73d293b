import Logging
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// The outbound side as the rest of the gateway uses it: the endpoint rules (URL policy, secrets), the
/// worker, and the manual attempts the API makes (a test ping, retry-now) through the worker's executor.
struct NotificationsRuntime: Sendable {
    let store: any GatewayStore
    let config: NotificationsConfig
    let urlPolicy: EndpointURLPolicy
    let secrets: EndpointSecrets
    let executor: DeliveryExecutor
    let worker: DeliveryWorker
    let clock: any GatewayClock

    init(store: any GatewayStore, config: NotificationsConfig, sender: any WebhookSending, secretBox: SecretBox, clock: any GatewayClock,
         logger: Logger, metrics: GatewayMetrics, deadLetterRetentionSeconds: Int = GatewayConfig.defaultDeadLetterRetentionSeconds) throws(GatewayError) {
        self.store = store
        self.config = config
        self.clock = clock
        urlPolicy = try config.urlPolicy()
        secrets = EndpointSecrets(box: secretBox)
        executor = DeliveryExecutor(store: store, sender: sender, secrets: secrets, urlPolicy: urlPolicy, classifier: DeliveryClassifier(),
                                    circuitSettings: config.circuitSettings, clock: clock, logger: logger, metrics: metrics)
        worker = DeliveryWorker(store: store, executor: executor, config: config, clock: clock, logger: logger,
                                deadLetterRetentionSeconds: deadLetterRetentionSeconds)
    }

    /// Something may be due now (an endpoint enabled, deliveries recovered).
    func wake() { worker.wake() }

    private var leaseMilliseconds: Int64 { Int64(config.worker.leaseSeconds).multipliedSaturating(by: 1000) }

    /// A `ping` to one endpoint, sent now.
    func ping(tenant: String, endpointId: String) async throws(GatewayError) -> DeliveryRecord {
        let now = clock.now()
        let eventId = "evt_" + ByteEncoding.hex(Crypto.randomBytes(count: 12))
        let body = try WebhookPayload.body(for: NotificationInput(type: .ping, eventId: eventId, occurredAt: now))
        let claimed = try await store.enqueueClaimedDelivery(tenant: tenant, endpointId: endpointId, NewNotification(
            sourceKey: "ping:" + eventId, eventId: eventId, eventType: WebhookEventType.ping.rawValue, fulfillmentId: nil, sequence: nil,
            position: 0, payload: Array(body)), leaseMilliseconds: leaseMilliseconds, now: now)
        return try await send(claimed)
    }

    /// One delivery sent now, whatever its schedule (a `manual` attempt), as it is afterwards with its attempts.
    func sendNow(tenant: String, id: String) async throws(GatewayError) -> DeliveryRecord {
        try await send(try await store.claimDeliveryNow(tenant: tenant, id: id, leaseMilliseconds: leaseMilliseconds, now: clock.now()))
    }

    private func send(_ claimed: ClaimedDelivery) async throws(GatewayError) -> DeliveryRecord {
        await executor.attempt(claimed, trigger: "manual")
        wake()
        let id = claimed.delivery.id
        guard let delivery = try await store.delivery(tenant: claimed.delivery.tenant, id: id) else { throw .notFound("Delivery '\(id)' not found") }
        return delivery
    }
}
