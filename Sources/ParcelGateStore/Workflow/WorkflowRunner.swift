import ParcelGateCore

/// A backend: runs ``Workflow``s and nothing more. Every ``GatewayStore`` operation is defined once, below,
/// as a workflow; a backend supplies `perform` (a transaction and a statement runner), `ping` and `close`.
protocol WorkflowRunner: GatewayStore {
    var dialect: StoreDialect { get }
    /// Runs `workflow` in one transaction of its ``Workflow/Access`` kind: every step's statements in order,
    /// each continuation fed their results, until it finishes (commit) or throws (roll back, rethrow).
    func perform<Output: Sendable>(_ workflow: Workflow<Output>) async throws(GatewayError) -> Output
}

extension WorkflowRunner {
    package func createFulfillment(_ new: NewFulfillment) async throws(GatewayError) -> Fulfillment {
        try await perform(FulfillmentWorkflows.create(new))
    }

    package func fulfillment(tenant: String, id: String) async throws(GatewayError) -> Fulfillment? {
        try await perform(FulfillmentWorkflows.find(tenant: tenant, id: id))
    }

    package func fulfillments(tenant: String, where filter: FulfillmentFilter) async throws(GatewayError) -> [Fulfillment] {
        try await perform(FulfillmentWorkflows.list(tenant: tenant, filter: filter))
    }

    package func apply(_ command: FulfillmentCommand, tenant: String, fulfillmentId: String, at now: Timestamp) async throws(GatewayError) -> Fulfillment {
        try await perform(FulfillmentWorkflows.apply(command, tenant: tenant, fulfillmentId: fulfillmentId, at: now))
    }

    package func ingest(_ callback: IngestCallback) async throws(GatewayError) -> IngestOutcome {
        try await perform(IngestWorkflow.make(callback, dialect: dialect))
    }

    package func storeRetry(_ entry: RetryEntry) async throws(GatewayError) -> String {
        try await perform(RetryWorkflows.store(entry))
    }

    package func claimDue(limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> [RetryEntry] {
        try await perform(RetryWorkflows.claimDue(limit: limit, leaseMilliseconds: leaseMilliseconds, now: now))
    }

    package func markSucceeded(id: String, claimToken: String, now: Timestamp) async throws(GatewayError) {
        try await perform(RetryWorkflows.markSucceeded(id: id, claimToken: claimToken, now: now))
    }

    @discardableResult
    package func markFailed(id: String, claimToken: String, error: String, policy: BackoffPolicy, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await perform(RetryWorkflows.markFailed(id: id, claimToken: claimToken, error: error, policy: policy, now: now))
    }

    package func markExhausted(id: String, claimToken: String, reason: String, now: Timestamp) async throws(GatewayError) {
        try await perform(RetryWorkflows.markExhausted(id: id, claimToken: claimToken, reason: reason, now: now))
    }

    package func retryEntries(tenant: String, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry] {
        try await perform(RetryWorkflows.list(tenant: tenant, status: status, limit: limit))
    }

    package func retryEntry(tenant: String, id: String) async throws(GatewayError) -> RetryEntry? {
        try await perform(RetryWorkflows.find(tenant: tenant, id: id))
    }

    package func replayRetry(tenant: String, id: String, now: Timestamp) async throws(GatewayError) -> RetryEntry {
        try await perform(RetryWorkflows.replay(tenant: tenant, id: id, now: now))
    }

    package func retryCounts() async throws(GatewayError) -> [RetryStatus: Int] {
        try await perform(RetryWorkflows.counts())
    }

    @discardableResult
    package func purgeSucceeded(before: Timestamp) async throws(GatewayError) -> Int {
        try await perform(RetryWorkflows.purgeSucceeded(before: before))
    }

    package func directory() async throws(GatewayError) -> DirectorySnapshot {
        try await perform(DirectoryWorkflows.snapshot())
    }

    package func directoryVersion() async throws(GatewayError) -> Int64 {
        try await perform(DirectoryWorkflows.version())
    }

    package func createTenant(_ tenant: TenantRecord, sources: [SourceRecord], apiKeys: [APIKeyRecord]) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.createTenant(tenant, sources: sources, apiKeys: apiKeys))
    }

    package func updateTenant(_ tenant: TenantRecord) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.updateTenant(tenant))
    }

    package func putSource(_ source: SourceRecord) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.putSource(source))
    }

    package func deleteSource(tenant: String, carrier: String) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.deleteSource(tenant: tenant, carrier: carrier))
    }

    package func addSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.addSecret(tenant: tenant, carrier: carrier, secret))
    }

    package func updateSecret(tenant: String, carrier: String, _ secret: SecretRecord) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.updateSecret(tenant: tenant, carrier: carrier, secret))
    }

    package func removeSecret(tenant: String, carrier: String, id: String) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.removeSecret(tenant: tenant, carrier: carrier, id: id))
    }

    package func addAPIKey(_ key: APIKeyRecord) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.addAPIKey(key))
    }

    package func revokeAPIKey(tenant: String, id: String, at: Timestamp) async throws(GatewayError) {
        try await perform(DirectoryWorkflows.revokeAPIKey(tenant: tenant, id: id, at: at))
    }

    package func createConsoleSession(_ session: ConsoleSessionRecord, purgeExpiredBefore: Timestamp) async throws(GatewayError) {
        try await perform(ConsoleWorkflows.createSession(session, purgeBefore: purgeExpiredBefore))
    }

    package func consoleSession(digest: String, now: Timestamp) async throws(GatewayError) -> ConsoleSessionRecord? {
        try await perform(ConsoleWorkflows.session(digest: digest, now: now))
    }

    package func deleteConsoleSession(digest: String) async throws(GatewayError) {
        try await perform(ConsoleWorkflows.deleteSession(digest: digest))
    }

    package func fulfillmentPage(tenant: String, after: String?, limit: Int) async throws(GatewayError) -> [Fulfillment] {
        try await perform(ConsoleWorkflows.fulfillmentPage(tenant: tenant, after: after, limit: limit))
    }

    package func createEndpoint(_ endpoint: EndpointRecord) async throws(GatewayError) {
        try await perform(WebhookWorkflows.createEndpoint(endpoint))
    }

    package func endpoints(tenant: String) async throws(GatewayError) -> [EndpointRecord] {
        try await perform(WebhookWorkflows.endpoints(tenant: tenant))
    }

    package func endpoint(tenant: String, id: String) async throws(GatewayError) -> EndpointRecord? {
        try await perform(WebhookWorkflows.endpoint(tenant: tenant, id: id))
    }

    package func updateEndpoint(tenant: String, id: String, now: Timestamp,
                                _ change: @escaping @Sendable (inout EndpointRecord) throws(GatewayError) -> Void) async throws(GatewayError) -> EndpointRecord {
        try await perform(WebhookWorkflows.updateEndpoint(tenant: tenant, id: id, now: now, change))
    }

    package func deleteEndpoint(tenant: String, id: String) async throws(GatewayError) {
        try await perform(WebhookWorkflows.deleteEndpoint(tenant: tenant, id: id))
    }

    package func dispatchNotifications(limit: Int, now: Timestamp, notifications: @escaping @Sendable (OutboxEvent) -> [NewNotification],
                                       accepts: @escaping @Sendable (EndpointRecord, NewNotification) -> Bool) async throws(GatewayError) -> Int {
        try await perform(WebhookWorkflows.dispatch(limit: limit, now: now, notifications: notifications, accepts: accepts))
    }

    package func enqueueClaimedDelivery(tenant: String, endpointId: String, _ notification: NewNotification, leaseMilliseconds: Int64,
                                        now: Timestamp) async throws(GatewayError) -> ClaimedDelivery {
        try await perform(WebhookWorkflows.enqueueClaimed(tenant: tenant, endpointId: endpointId, notification, leaseMilliseconds: leaseMilliseconds, now: now))
    }

    package func claimDeliveries(limit: Int, perEndpoint: Int, leaseMilliseconds: Int64, now: Timestamp,
                                 admit: @escaping @Sendable (EndpointRecord, _ inFlight: Int) -> EndpointAdmission) async throws(GatewayError) -> [ClaimedDelivery] {
        try await perform(WebhookWorkflows.claim(limit: limit, perEndpoint: perEndpoint, leaseMilliseconds: leaseMilliseconds, now: now,
                                                 dialect: dialect, admit: admit))
    }

    package func claimDeliveryNow(tenant: String, id: String, leaseMilliseconds: Int64, now: Timestamp) async throws(GatewayError) -> ClaimedDelivery {
        try await perform(WebhookWorkflows.claimNow(tenant: tenant, id: id, leaseMilliseconds: leaseMilliseconds, now: now))
    }

    @discardableResult
    package func finishDelivery(id: String, claimToken: String, attempt: AttemptRecord, succeeded: Bool, finish: DeliveryFinish, now: Timestamp,
                                circuit: @escaping @Sendable (CircuitRecord) -> CircuitChange?) async throws(GatewayError) -> DeliveryRecord {
        try await perform(WebhookWorkflows.finish(id: id, claimToken: claimToken, attempt: attempt, succeeded: succeeded, finish: finish, now: now, circuit: circuit))
    }

    package func deliveries(tenant: String, filter: DeliveryFilter, limit: Int) async throws(GatewayError) -> [DeliveryRecord] {
        try await perform(WebhookWorkflows.deliveries(tenant: tenant, filter: filter, limit: limit))
    }

    package func delivery(tenant: String, id: String) async throws(GatewayError) -> DeliveryRecord? {
        try await perform(WebhookWorkflows.delivery(tenant: tenant, id: id))
    }

    package func recoverDeliveries(tenant: String, endpointId: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws(GatewayError) -> Int {
        try await perform(WebhookWorkflows.recover(tenant: tenant, endpointId: endpointId, since: since, until: until, now: now))
    }

    package func endpointActivity(tenant: String, endpointId: String, since: Timestamp) async throws(GatewayError) -> EndpointActivity {
        try await perform(WebhookWorkflows.activity(tenant: tenant, endpointId: endpointId, since: since))
    }

    @discardableResult
    package func purgeDeliveredDeliveries(before: Timestamp) async throws(GatewayError) -> Int {
        try await perform(WebhookWorkflows.purgeDelivered(before: before))
    }

    package func notificationCounts() async throws(GatewayError) -> NotificationCounts {
        try await perform(WebhookWorkflows.counts())
    }

    package func stats(tenant: String, fromDay: Int64, toDay: Int64, fromMinute: Int64) async throws(GatewayError) -> TenantStats {
        try await perform(ReadModelWorkflows.stats(tenant: tenant, fromDay: fromDay, toDay: toDay, fromMinute: fromMinute))
    }

    package func recordIngestCounts(_ counts: [IngestCount], purgeBeforeMinute: Int64) async throws(GatewayError) {
        try await perform(ReadModelWorkflows.recordIngest(counts, purgeBeforeMinute: purgeBeforeMinute))
    }

    package func projectionTenants() async throws(GatewayError) -> [String] {
        try await perform(ReadModelWorkflows.projectionTenants())
    }

    package func rebuildProjections(tenant: String) async throws(GatewayError) -> ProjectionRebuild {
        try await perform(ReadModelWorkflows.rebuild(tenant: tenant, dialect: dialect))
    }

    package func projectionsStale() async throws(GatewayError) -> Bool {
        try await perform(ReadModelWorkflows.projectionsStale())
    }

    package func markProjectionsRebuilt(at: Timestamp) async throws(GatewayError) {
        try await perform(ReadModelWorkflows.markRebuilt(at: at))
    }

    package func retryEntryWithAttempts(tenant: String, id: String) async throws(GatewayError) -> (entry: RetryEntry, attempts: [RetryAttempt])? {
        try await perform(RetryWorkflows.findWithAttempts(tenant: tenant, id: id)).map { (entry: $0.0, attempts: $0.1) }
    }

    package func allRetryEntries(tenant: String?, status: RetryStatus?, limit: Int) async throws(GatewayError) -> [RetryEntry] {
        try await perform(RetryWorkflows.listAll(tenant: tenant, status: status, limit: limit))
    }

    package func allDeliveries(tenant: String?, status: DeliveryStatus?, limit: Int) async throws(GatewayError) -> [DeliveryRecord] {
        try await perform(ReadModelWorkflows.deliveries(tenant: tenant, status: status, limit: limit))
    }

    @discardableResult
    package func purgeExhaustedRetries(before: Timestamp) async throws(GatewayError) -> Int {
        try await perform(RetryWorkflows.purgeExhausted(before: before))
    }

    @discardableResult
    package func purgeDeadDeliveries(before: Timestamp) async throws(GatewayError) -> (deliveries: Int, attempts: Int) {
        try await perform(ReadModelWorkflows.purgeDeadDeliveries(before: before))
    }
}

extension GatewayStore {
    /// Rebuilds every tenant's projections, one transaction per tenant, reporting each as it finishes, then
    /// marks the projections current. Safe while the gateway runs: see ``ProjectionStatements/lockForRebuild``.
    package func rebuildAllProjections(now: Timestamp, progress: @Sendable (_ done: Int, _ total: Int, ProjectionRebuild) -> Void = { _, _, _ in })
        async throws(GatewayError) -> [ProjectionRebuild] {
        let tenants = try await projectionTenants()
        var rebuilt: [ProjectionRebuild] = []
        for (index, tenant) in tenants.enumerated() {
            let one = try await rebuildProjections(tenant: tenant)
            rebuilt.append(one)
            progress(index + 1, tenants.count, one)
        }
        try await markProjectionsRebuilt(at: now)
        return rebuilt
    }
}
