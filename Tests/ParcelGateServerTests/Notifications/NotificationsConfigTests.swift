@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The `notifications` block of the config file: defaults, bounds, unknown keys.
@Suite struct NotificationsConfigTests {
    @Test func everyKeyIsOptionalWithTheDocumentedDefaults() throws {
        for text in ["{}", "notifications: {}", "notifications: {circuit: {}, worker: {}}"] {
            let n = try GatewayConfig.parse(text).notifications
            #expect(n == NotificationsConfig())
            #expect(n.allowedNetworks.isEmpty && n.allowHTTP == false)
            #expect(n.connectTimeoutMilliseconds == 5_000 && n.timeoutMilliseconds == 15_000)
            #expect(n.circuit.failureThreshold == 5 && n.circuit.cooldownSeconds == 60 && n.circuit.maxCooldownSeconds == 3_600)
            #expect(n.circuit.disableAfterSeconds == 432_000)
            #expect(n.worker.concurrency == 8 && n.worker.perEndpointConcurrency == 2 && n.worker.pollIntervalMilliseconds == 1_000 && n.worker.leaseSeconds == 60)
        }
    }

    @Test func valuesAreRead() throws {
        let n = try GatewayConfig.parse("""
            notifications:
              allowed_networks: ["127.0.0.0/8", "fd12::/16"]
              allow_http: true
              connect_timeout_ms: 1000
              timeout_ms: 30000
              circuit: {failure_threshold: 2, cooldown_s: 5, max_cooldown_s: 50, disable_after_s: 3600}
              worker: {concurrency: 3, per_endpoint_concurrency: 1, poll_interval_ms: 50, lease_s: 31}
            """).notifications
        #expect(n.allowedNetworks == ["127.0.0.0/8", "fd12::/16"] && n.allowHTTP)
        #expect(n.connectTimeoutMilliseconds == 1_000 && n.timeoutMilliseconds == 30_000)
        #expect(n.circuitSettings == CircuitSettings(failureThreshold: 2, cooldownMilliseconds: 5_000, maxCooldownMilliseconds: 50_000,
                                                     disableAfterMilliseconds: 3_600_000, probeTimeoutMilliseconds: 31_000))
        #expect(n.worker.concurrency == 3 && n.worker.perEndpointConcurrency == 1 && n.worker.pollIntervalMilliseconds == 50)
        let urls = try n.urlPolicy()
        #expect(try urls.validate("http://127.0.0.1:9000/").port == 9000)
    }

    /// Every bound is checked at load with a message naming the key.
    @Test(arguments: [
        ("notifications: {timeout_ms: 30001}", "notifications.timeout_ms"),
        ("notifications: {timeout_ms: 0}", "notifications.timeout_ms"),
        ("notifications: {connect_timeout_ms: 20000}", "notifications.connect_timeout_ms"),  // more than timeout_ms
        ("notifications: {connect_timeout_ms: 99}", "notifications.connect_timeout_ms"),
        ("notifications: {allowed_networks: [\"10.0.0.1/8\"]}", "notifications.allowed_networks"),
        ("notifications: {allowed_networks: [\"10.0.0.0\"]}", "notifications.allowed_networks"),
        ("notifications: {circuit: {failure_threshold: 0}}", "notifications.circuit.failure_threshold"),
        ("notifications: {circuit: {cooldown_s: 0}}", "notifications.circuit.cooldown_s"),
        ("notifications: {circuit: {cooldown_s: 100, max_cooldown_s: 50}}", "notifications.circuit.max_cooldown_s"),
        ("notifications: {circuit: {disable_after_s: 99999999999}}", "notifications.circuit.disable_after_s"),
        ("notifications: {worker: {concurrency: 0}}", "notifications.worker.concurrency"),
        ("notifications: {worker: {per_endpoint_concurrency: 65}}", "notifications.worker.per_endpoint_concurrency"),
        ("notifications: {worker: {poll_interval_ms: 1}}", "notifications.worker.poll_interval_ms"),
        ("notifications: {worker: {lease_s: 99999999999999}}", "notifications.worker.lease_s"),
        // The lease must outlast an attempt.
        ("notifications: {worker: {lease_s: 15}}", "notifications.worker.lease_s"),
        ("notifications: {timeout_ms: 30000, worker: {lease_s: 30}}", "must exceed notifications.timeout_ms"),
    ])
    func boundsNameTheKey(yaml: String, key: String) {
        #expect {
            _ = try GatewayConfig.parse(yaml)
        } throws: { error in
            (error as? GatewayError)?.detail.contains(key) == true
        }
    }

    @Test func theLeaseJustOverTheTimeoutIsAccepted() throws {
        let n = try GatewayConfig.parse("notifications: {timeout_ms: 30000, worker: {lease_s: 31}}").notifications
        #expect(n.worker.leaseSeconds == 31)
    }

    /// A misspelt key is refused, naming it and where it is, at every level of the block.
    @Test(arguments: [
        ("notifications: {timout_ms: 1000}", "timout_ms", "'notifications'"),
        ("notifications: {allow_https: true}", "allow_https", "'notifications'"),
        ("notifications: {circuit: {threshold: 3}}", "threshold", "'notifications.circuit'"),
        ("notifications: {worker: {lease: 30}}", "lease", "'notifications.worker'"),
    ])
    func unknownKeysAreRefused(yaml: String, key: String, path: String) {
        #expect {
            _ = try GatewayConfig.parse(yaml)
        } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return detail.contains("unknown key '\(key)'") && detail.contains(path)
        }
    }

    @Test(arguments: ["notifications: {allow_http: yes please}", "notifications: {timeout_ms: fast}", "notifications: {allowed_networks: 10.0.0.0/8}"])
    func wrongTypesAreRefused(yaml: String) {
        #expect { _ = try GatewayConfig.parse(yaml) } throws: { ($0 as? GatewayError)?.detail.contains("notifications") == true }
    }
}
