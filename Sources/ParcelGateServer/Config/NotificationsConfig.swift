import ParcelGateCore

/// The top-level `notifications` block: how platform notifications are sent (README, "Platform notifications").
///
/// Every key is optional; the defaults are the documented ones. Unknown keys are refused (``KnownKeys``), and
/// ``validated()`` checks every bound once at load, so no later arithmetic on these values can overflow.
package struct NotificationsConfig: Sendable, Decodable, Hashable {
    /// CIDR blocks the SSRF policy opens (an on-premises receiver, the tests' loopback).
    var allowedNetworks: [String] = []
    /// Whether `http://` endpoint URLs are accepted (never by default).
    var allowHTTP: Bool = false
    /// Longest wait for a TCP connection (and TLS handshake) to an endpoint.
    var connectTimeoutMilliseconds: Int = 5_000
    /// Longest time one attempt may take, connection included.
    var timeoutMilliseconds: Int = 15_000
    var circuit: CircuitConfig = CircuitConfig()
    var worker: NotificationWorkerConfig = NotificationWorkerConfig()

    package init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case circuit, worker
        case allowedNetworks = "allowed_networks"
        case allowHTTP = "allow_http"
        case connectTimeoutMilliseconds = "connect_timeout_ms"
        case timeoutMilliseconds = "timeout_ms"
    }

    package init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NotificationsConfig()
        allowedNetworks = try c.decodeIfPresent([String].self, forKey: .allowedNetworks) ?? d.allowedNetworks
        allowHTTP = try c.decodeIfPresent(Bool.self, forKey: .allowHTTP) ?? d.allowHTTP
        connectTimeoutMilliseconds = try c.decodeIfPresent(Int.self, forKey: .connectTimeoutMilliseconds) ?? d.connectTimeoutMilliseconds
        timeoutMilliseconds = try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds) ?? d.timeoutMilliseconds
        circuit = try c.decodeIfPresent(CircuitConfig.self, forKey: .circuit) ?? d.circuit
        worker = try c.decodeIfPresent(NotificationWorkerConfig.self, forKey: .worker) ?? d.worker
    }

    /// At most 30 s per attempt (issue 15): a slow receiver holds a worker slot and a lease for that long.
    static let timeoutRange = 100...30_000

    /// Every bound, and the one relation between blocks: a claimed delivery's lease must outlast an attempt, or
    /// a second worker could claim and send it while the first is still waiting for the answer.
    package func validated() throws(GatewayError) -> NotificationsConfig {
        try Bounds.check(allowedNetworks.count, 0...256, "notifications.allowed_networks (entries)")
        _ = try AddressPolicy(allowedNetworks: allowedNetworks)
        try Bounds.check(timeoutMilliseconds, Self.timeoutRange, "notifications.timeout_ms")
        try Bounds.check(connectTimeoutMilliseconds, 100...timeoutMilliseconds, "notifications.connect_timeout_ms")
        try circuit.validate()
        try worker.validate()
        let (leaseMilliseconds, overflow) = worker.leaseSeconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, leaseMilliseconds > timeoutMilliseconds else {
            throw .badRequest("notifications.worker.lease_s (\(worker.leaseSeconds) s) must exceed notifications.timeout_ms (\(timeoutMilliseconds) ms)")
        }
        return self
    }

    /// The SSRF policy these settings describe.
    package func addressPolicy() throws(GatewayError) -> AddressPolicy { try AddressPolicy(allowedNetworks: allowedNetworks) }

    /// The endpoint URL rules these settings describe.
    package func urlPolicy() throws(GatewayError) -> EndpointURLPolicy { EndpointURLPolicy(addresses: try addressPolicy(), allowHTTP: allowHTTP) }

    /// The breaker's settings, in milliseconds; a probe may run as long as a claim's lease.
    package var circuitSettings: CircuitSettings {
        CircuitSettings(
            failureThreshold: circuit.failureThreshold,
            cooldownMilliseconds: Int64(circuit.cooldownSeconds).multipliedSaturating(by: 1000),
            maxCooldownMilliseconds: Int64(circuit.maxCooldownSeconds).multipliedSaturating(by: 1000),
            disableAfterMilliseconds: Int64(circuit.disableAfterSeconds).multipliedSaturating(by: 1000),
            probeTimeoutMilliseconds: Int64(worker.leaseSeconds).multipliedSaturating(by: 1000)
        )
    }
}

/// `notifications.circuit`: when an endpoint's circuit opens, how long it stays open, when it is disabled.
struct CircuitConfig: Sendable, Decodable, Hashable {
    /// Consecutive failed attempts that open the circuit.
    var failureThreshold: Int = 5
    /// The first cool-down; it doubles with each failed probe.
    var cooldownSeconds: Int = 60
    /// The longest cool-down.
    var maxCooldownSeconds: Int = 3_600
    /// Failing without a success for this long disables the endpoint: 5 days, as Svix.
    var disableAfterSeconds: Int = 432_000

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case failureThreshold = "failure_threshold"
        case cooldownSeconds = "cooldown_s"
        case maxCooldownSeconds = "max_cooldown_s"
        case disableAfterSeconds = "disable_after_s"
    }

    init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CircuitConfig()
        failureThreshold = try c.decodeIfPresent(Int.self, forKey: .failureThreshold) ?? d.failureThreshold
        cooldownSeconds = try c.decodeIfPresent(Int.self, forKey: .cooldownSeconds) ?? d.cooldownSeconds
        maxCooldownSeconds = try c.decodeIfPresent(Int.self, forKey: .maxCooldownSeconds) ?? d.maxCooldownSeconds
        disableAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .disableAfterSeconds) ?? d.disableAfterSeconds
    }

    func validate() throws(GatewayError) {
        try Bounds.check(failureThreshold, 1...1_000, "notifications.circuit.failure_threshold")
        try Bounds.check(cooldownSeconds, 1...86_400, "notifications.circuit.cooldown_s")
        try Bounds.check(maxCooldownSeconds, cooldownSeconds...604_800, "notifications.circuit.max_cooldown_s")
        try Bounds.check(disableAfterSeconds, 60...31_536_000, "notifications.circuit.disable_after_s")
    }
}

/// `notifications.worker`: the delivery worker's knobs.
struct NotificationWorkerConfig: Sendable, Decodable, Hashable {
    /// Deliveries sent at once by one gateway process.
    var concurrency: Int = 8
    /// Deliveries in flight to one endpoint at once (each for a different fulfillment: one fulfillment's go in order).
    var perEndpointConcurrency: Int = 2
    /// How often the worker looks for due deliveries when nothing wakes it.
    var pollIntervalMilliseconds: Int = 1_000
    /// How long a claimed delivery stays invisible to other workers; must exceed `timeout_ms`.
    var leaseSeconds: Int = 60
    /// How long delivered deliveries (and their attempts) are kept before they are purged; the others stay.
    var retentionSeconds: Int = 30 * 86_400

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case concurrency
        case perEndpointConcurrency = "per_endpoint_concurrency"
        case pollIntervalMilliseconds = "poll_interval_ms"
        case leaseSeconds = "lease_s"
        case retentionSeconds = "retention_s"
    }

    init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NotificationWorkerConfig()
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? d.concurrency
        perEndpointConcurrency = try c.decodeIfPresent(Int.self, forKey: .perEndpointConcurrency) ?? d.perEndpointConcurrency
        pollIntervalMilliseconds = try c.decodeIfPresent(Int.self, forKey: .pollIntervalMilliseconds) ?? d.pollIntervalMilliseconds
        leaseSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseSeconds) ?? d.leaseSeconds
        retentionSeconds = try c.decodeIfPresent(Int.self, forKey: .retentionSeconds) ?? d.retentionSeconds
    }

    func validate() throws(GatewayError) {
        try Bounds.check(concurrency, 1...256, "notifications.worker.concurrency")
        try Bounds.check(perEndpointConcurrency, 1...64, "notifications.worker.per_endpoint_concurrency")
        try Bounds.check(pollIntervalMilliseconds, 10...3_600_000, "notifications.worker.poll_interval_ms")
        try Bounds.check(leaseSeconds, 1...86_400, "notifications.worker.lease_s")
        try Bounds.check(retentionSeconds, 3_600...31_536_000, "notifications.worker.retention_s")
    }
}
