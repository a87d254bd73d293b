import CoreMetrics
import ParcelGateCore
import Prometheus
import Synchronization

/// What operators see on `/metrics` (Prometheus text), recorded through swift-metrics into this gateway's
/// own Prometheus registry (not the process-global one, so several gateways in one process do not mix).
///
/// Labels are bounded: a callback to an unknown source is counted under tenant and carrier `unknown`, so a
/// caller cannot create series by inventing URLs.
package final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Counter handles already made, by label and label values, so a callback costs one dictionary lookup
    /// rather than a registry lookup with label arrays. Bounded like the labels themselves.
    private let counters = Mutex<[[String]: CoreMetrics.Counter]>([:])
    private let ingressTimer: CoreMetrics.Timer
    private let batchSizes: Recorder

    static let callbacks = "parcelgate_callbacks_total"
    static let ingressDuration = "parcelgate_ingress_duration_seconds"
    static let retryAttempts = "parcelgate_retry_attempts_total"
    static let queueDepth = "parcelgate_retry_queue_depth"
    static let batchSize = "parcelgate_commit_batch_size"
    static let directoryProblems = "parcelgate_directory_disabled_entries"
    static let webhookDeliveries = "parcelgate_webhook_deliveries_total"
    static let webhookAttempts = "parcelgate_webhook_attempts_total"
    static let webhookAttemptDuration = "parcelgate_webhook_attempt_duration_seconds"
    static let webhookQueue = "parcelgate_webhook_deliveries"
    static let webhookCircuits = "parcelgate_webhook_endpoint_circuits"
    static let spansDropped = "parcelgate_trace_spans_dropped_total"

    package init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000),
        ]
        factory.valueHistogramBuckets[Self.batchSize] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        // An attempt may take up to `notifications.timeout_ms` (at most 30 s): buckets to match.
        factory.durationHistogramBuckets[Self.webhookAttemptDuration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        ingressTimer = Timer(label: Self.ingressDuration, dimensions: [], factory: factory)
        batchSizes = Recorder(label: Self.batchSize, dimensions: [], aggregate: true, factory: factory)
    }

    /// One callback's outcome: `applied`, `duplicate`, `queued`, `acknowledged` (a notice with nothing to
    /// apply), or `rejected` with the error code.
    func callback(tenant: String, carrier: String, outcome: String, code: String = "") {
        counter(Self.callbacks, [("tenant", tenant), ("carrier", carrier), ("outcome", outcome), ("code", code)]).increment()
    }

    func ingressDuration(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        ingressTimer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Finished spans the exporter lost (README, "Tracing"): `queue_full` (the bounded queue was full, the
    /// collector slow or down) or `export_failed` (a batch the collector refused, or that timed out).
    package func spansDropped(_ count: Int, reason: String) {
        guard count > 0 else { return }
        counter(Self.spansDropped, [("reason", reason)]).increment(by: Int64(count))
    }

    /// One retry attempt's result: `succeeded`, `failed` (will try again) or `exhausted`.
    func retryAttempt(tenant: String, result: String) {
        counter(Self.retryAttempts, [("tenant", tenant), ("result", result)]).increment()
    }

    /// A delivery's end: `delivered` or `exhausted` (`parcelgate_webhook_deliveries_total{tenant,outcome}`).
    func webhookDelivery(tenant: String, outcome: String) {
        counter(Self.webhookDeliveries, [("tenant", tenant), ("outcome", outcome)]).increment()
    }

    /// One attempt: `success`, `transient` or `permanent`, and how long it took.
    func webhookAttempt(tenant: String, result: String, milliseconds: Int64) {
        counter(Self.webhookAttempts, [("tenant", tenant), ("result", result)]).increment()
        Timer(label: Self.webhookAttemptDuration, dimensions: [], factory: factory).recordMilliseconds(milliseconds)
    }

    /// Endpoints by circuit state (`closed`, `open`, `half_open`, `disabled`), read at each scrape.
    func webhookCircuits(_ counts: [String: Int]) {
        for state in ["closed", "open", "half_open", "disabled"] {
            Gauge(label: Self.webhookCircuits, dimensions: [("state", state)], factory: factory).record(counts[state] ?? 0)
        }
    }

    /// Deliveries by status, read at each scrape.
    func webhookQueue(_ counts: [String: Int]) {
        for status in ["pending", "delivered", "failed", "exhausted", "held"] {
            Gauge(label: Self.webhookQueue, dimensions: [("status", status)], factory: factory).record(counts[status] ?? 0)
        }
    }

    /// The counter for `label` with these label values, made once.
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = [label] + dimensions.map(\.1)
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// How many sources or tenant settings the tenant directory could not load and disabled.
    func directoryProblems(_ count: Int) {
        Gauge(label: Self.directoryProblems, dimensions: [], factory: factory).record(count)
    }

    /// How many writes one SQLite group commit carried.
    package func commitBatch(size: Int) {
        batchSizes.record(size)
    }

    /// The text for a scrape, with the queue depth read just now.
    func render(queueDepth: [RetryStatus: Int]) -> [UInt8] {
        for status in RetryStatus.allCases {
            Gauge(label: Self.queueDepth, dimensions: [("status", status.rawValue)], factory: factory).record(queueDepth[status] ?? 0)
        }
        return registry.emitToBuffer()
    }
}
