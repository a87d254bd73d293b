import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import Yams

/// The configuration file (README, "HTTP contract"): YAML, of which JSON is a subset.
package struct GatewayConfig: Sendable, Decodable {
    package var tenants: [TenantConfig]
    var server: ServerConfig
    /// The default retry policy; a tenant's own `retry` overrides it.
    package var retry: RetryConfig?
    var worker: WorkerConfig
    package var database: DatabaseConfig
    var ingress: IngressConfig
    package var metrics: MetricsConfig
    /// Platform notifications (issue 15): SSRF allow-list, timeouts, circuit breaker, delivery worker.
    package var notifications: NotificationsConfig
    /// The operator console at `/console` (issue 17): session lifetime, cookie flags, sign-in rate.
    package var console: ConsoleConfig

    /// How long dead letters are kept (issue 17), inbound and outbound alike: exhausted retry entries, exhausted
    /// deliveries, and delivery attempts older than this are purged. One setting for one concept.
    var deadLetterRetentionSeconds: Int = GatewayConfig.defaultDeadLetterRetentionSeconds

    /// 30 days.
    static let defaultDeadLetterRetentionSeconds = 30 * 86_400
    /// One hour to ten years.
    static let deadLetterRetentionRange = 3_600...315_360_000
    /// OpenTelemetry tracing (issue 18); off unless enabled here or by `OTEL_TRACES_EXPORTER=otlp`.
    package var tracing: TracingConfig = TracingConfig()

    package init(tenants: [TenantConfig], server: ServerConfig = ServerConfig(), retry: RetryConfig? = nil, worker: WorkerConfig = WorkerConfig(),
                database: DatabaseConfig = DatabaseConfig(), ingress: IngressConfig = IngressConfig(), metrics: MetricsConfig = MetricsConfig(),
                notifications: NotificationsConfig = NotificationsConfig(), deadLetterRetentionSeconds: Int = GatewayConfig.defaultDeadLetterRetentionSeconds,
                console: ConsoleConfig = ConsoleConfig()) {
        self.console = console
        self.tenants = tenants
        self.server = server
        self.retry = retry
        self.worker = worker
        self.database = database
        self.ingress = ingress
        self.metrics = metrics
        self.notifications = notifications
        self.deadLetterRetentionSeconds = deadLetterRetentionSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tenants, server, retry, worker, database, ingress, metrics, notifications, tracing, console
        case deadLetterRetentionSeconds = "dead_letter_retention_s"
    }

    package init(from decoder: any Decoder) throws {
        // A misspelt top-level key (`dead_letter_retension_s`) is refused, not silently left at its default.
        try KnownKeys.check(decoder, CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tenants = try container.decodeIfPresent([TenantConfig].self, forKey: .tenants) ?? []
        server = try container.decodeIfPresent(ServerConfig.self, forKey: .server) ?? ServerConfig()
        retry = try container.decodeIfPresent(RetryConfig.self, forKey: .retry)
        worker = try container.decodeIfPresent(WorkerConfig.self, forKey: .worker) ?? WorkerConfig()
        database = try container.decodeIfPresent(DatabaseConfig.self, forKey: .database) ?? DatabaseConfig()
        ingress = try container.decodeIfPresent(IngressConfig.self, forKey: .ingress) ?? IngressConfig()
        metrics = try container.decodeIfPresent(MetricsConfig.self, forKey: .metrics) ?? MetricsConfig()
        notifications = try container.decodeIfPresent(NotificationsConfig.self, forKey: .notifications) ?? NotificationsConfig()
        deadLetterRetentionSeconds = try container.decodeIfPresent(Int.self, forKey: .deadLetterRetentionSeconds) ?? Self.defaultDeadLetterRetentionSeconds
        tracing = try container.decodeIfPresent(TracingConfig.self, forKey: .tracing) ?? TracingConfig()
        console = try container.decodeIfPresent(ConsoleConfig.self, forKey: .console) ?? ConsoleConfig()
    }

    /// Reads and decodes a config file; errors name the file and what is wrong with it.
    package static func load(path: String) throws(GatewayError) -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badRequest("Cannot read config file '\(path)'")
        }
        return try parse(String(decoding: data, as: UTF8.self), origin: path)
    }

    /// Decodes and validates a config text. Errors say where (a key path, or a line and column) and what is
    /// wrong, and never quote the text: a config file holds secrets.
    package static func parse(_ text: String, origin: String = "config") throws(GatewayError) -> GatewayConfig {
        let config: GatewayConfig
        do {
            config = try YAMLDecoder().decode(GatewayConfig.self, from: text)
        } catch DecodingError.dataCorrupted(let context) where context.underlyingError is YamlError {
            // Yams wraps a syntax error; its own text would quote the offending line.
            throw .badRequest("Invalid config '\(origin)': \((context.underlyingError as? YamlError).map(Self.describe) ?? "not valid YAML")")
        } catch let error as DecodingError {
            throw .badRequest("Invalid config '\(origin)': \(error.summary)")
        } catch let error as YamlError {
            throw .badRequest("Invalid config '\(origin)': \(Self.describe(error))")
        } catch {
            throw .badRequest("Invalid config '\(origin)': not valid YAML")
        }
        do {
            try config.validate()
        } catch {
            throw .badRequest("Invalid config '\(origin)': \(error.detail)")
        }
        return config
    }

    /// A YAML syntax error by position only. Yams' own description quotes the offending line, which may be a
    /// secret.
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)"
        case .composer(_, let problem, let mark, _):
            return "YAML structure error at line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return "the file cannot be read as YAML text: \(problem)"
        case .duplicatedKeysInMapping(_, let context):
            return "a mapping repeats a key at line \(context.mark.line), column \(context.mark.column)"
        default:
            return "not valid YAML"
        }
    }

    /// Every value within its documented bounds (README "Hardening"), checked once at load: whatever a file
    /// says, no later arithmetic on these values can overflow and no conversion can trap.
    func validate() throws(GatewayError) {
        try server.validate()
        try ingress.validate()
        try metrics.validate()
        _ = try notifications.validated()
        try tracing.validate()
        try console.validate()
        _ = try worker.validated()
        try Bounds.check(deadLetterRetentionSeconds, Self.deadLetterRetentionRange, "dead_letter_retention_s")
        _ = try database.batching(crashAfterCommits: nil)
        _ = try database.grouping()
        if let poolSize = database.poolSize { try Bounds.check(poolSize, 1...500, "database.pool_size") }
        do {
            _ = try retry?.policy()
        } catch {
            throw .badRequest("retry: \(error.detail)")
        }
        for tenant in tenants {
            do {
                _ = try tenant.rateLimit?.validated()
                _ = try tenant.retry?.policy()
                for source in tenant.sources {
                    if let tolerance = source.toleranceSeconds { try Bounds.check(tolerance, SourceConfig.toleranceRange, "tolerance_s") }
                }
            } catch {
                throw .badRequest("tenant '\(tenant.slug)': \(error.detail)")
            }
        }
    }
}

/// One message for every out-of-range setting, naming the key and the range.
enum Bounds {
    static func check<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ key: String) throws(GatewayError) {
        guard range.contains(value) else { throw .badRequest("\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(value)") }
    }
}

/// Database settings that are not the location (which comes from `--database`).
package struct DatabaseConfig: Sendable, Decodable {
    /// Most PostgreSQL connections per gateway process (a `pool=` in the URL wins).
    package var poolSize: Int?
    /// SQLite durability: `normal` or `full` (`--durability` wins).
    package var durability: DurabilityMode?
    /// Group commit: most writes per transaction (SQLite, default 256) or callbacks per group (PostgreSQL, default 64).
    var maxBatch: Int?
    /// SQLite group commit: microseconds the writer waits for more writes once idle (default 0).
    var batchWaitMicroseconds: Int?
    /// PostgreSQL group commit: groups in flight at once per replica (default 1: measured best, README "PostgreSQL group commit").
    var concurrentGroups: Int?

    package init(poolSize: Int? = nil, durability: DurabilityMode? = nil, maxBatch: Int? = nil, batchWaitMicroseconds: Int? = nil,
                 concurrentGroups: Int? = nil) {
        self.poolSize = poolSize
        self.durability = durability
        self.maxBatch = maxBatch
        self.batchWaitMicroseconds = batchWaitMicroseconds
        self.concurrentGroups = concurrentGroups
    }

    enum CodingKeys: String, CodingKey {
        case durability
        case poolSize = "pool_size"
        case maxBatch = "max_batch"
        case batchWaitMicroseconds = "batch_wait_us"
        case concurrentGroups = "concurrent_groups"
    }

    /// The writer's batching, validated; `crashAfterCommits` comes from the environment (tests only).
    package func batching(crashAfterCommits: Int?, onCommit: (@Sendable (Int) -> Void)? = nil) throws(GatewayError) -> WriteBatching {
        let batching = WriteBatching(maxBatch: maxBatch ?? 256, maxWaitMicroseconds: batchWaitMicroseconds ?? 0, crashAfterCommits: crashAfterCommits, onCommit: onCommit)
        guard (1...10_000).contains(batching.maxBatch) else { throw .badRequest("database.max_batch must be between 1 and 10000") }
        guard (0...100_000).contains(batching.maxWaitMicroseconds) else { throw .badRequest("database.batch_wait_us must be between 0 and 100000") }
        return batching
    }

    /// PostgreSQL's group commit, validated (README, "PostgreSQL group commit").
    package func grouping(onCommit: (@Sendable (Int) -> Void)? = nil) throws(GatewayError) -> PostgresGrouping {
        let grouping = PostgresGrouping(maxGroup: maxBatch ?? PostgresGrouping.defaultMaxGroup,
                                        concurrentGroups: concurrentGroups ?? PostgresGrouping.defaultConcurrentGroups, onCommit: onCommit)
        // `max_batch` is the same key as SQLite's, bounded once, in ``batching(crashAfterCommits:onCommit:)``.
        _ = try batching(crashAfterCommits: nil)
        try Bounds.check(grouping.concurrentGroups, 1...64, "database.concurrent_groups")
        return grouping
    }
}

/// The HTTP listener and what it accepts from a connection.
package struct ServerConfig: Sendable, Decodable {
    /// Largest request body read (`413` past it).
    package var maxBodyBytes: Int = 1_048_576
    /// A connection with no request in progress and nothing read for this long is closed.
    var idleTimeoutSeconds: Int = 60
    /// From a request's first byte to its last: a head or body trickled in slower than this is cut off.
    var requestTimeoutSeconds: Int = 30
    /// Callbacks handled at once; past it the hook answers `503 overloaded` with `Retry-After`, before reading.
    var maxConcurrentIngress: Int = 1024
    /// Addresses or CIDR blocks of reverse proxies whose `X-Forwarded-For` names the client.
    var trustedProxies: [String] = []

    static let bodyLimitRange = 1...67_108_864

    package init(maxBodyBytes: Int = 1_048_576, idleTimeoutSeconds: Int = 60, requestTimeoutSeconds: Int = 30,
                maxConcurrentIngress: Int = 1024, trustedProxies: [String] = []) {
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.maxConcurrentIngress = maxConcurrentIngress
        self.trustedProxies = trustedProxies
    }

    enum CodingKeys: String, CodingKey {
        case maxBodyBytes = "max_body_bytes"
        case idleTimeoutSeconds = "idle_timeout_s"
        case requestTimeoutSeconds = "request_timeout_s"
        case maxConcurrentIngress = "max_concurrent_ingress"
        case trustedProxies = "trusted_proxies"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ServerConfig()
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? defaults.maxBodyBytes
        idleTimeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds) ?? defaults.idleTimeoutSeconds
        requestTimeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .requestTimeoutSeconds) ?? defaults.requestTimeoutSeconds
        maxConcurrentIngress = try container.decodeIfPresent(Int.self, forKey: .maxConcurrentIngress) ?? defaults.maxConcurrentIngress
        trustedProxies = try container.decodeIfPresent([String].self, forKey: .trustedProxies) ?? defaults.trustedProxies
    }

    func validate() throws(GatewayError) {
        try Bounds.check(maxBodyBytes, Self.bodyLimitRange, "server.max_body_bytes")
        try Bounds.check(idleTimeoutSeconds, 1...3600, "server.idle_timeout_s")
        try Bounds.check(requestTimeoutSeconds, 1...600, "server.request_timeout_s")
        try Bounds.check(maxConcurrentIngress, 1...100_000, "server.max_concurrent_ingress")
        _ = try TrustedProxies(trustedProxies)
    }
}

/// What one callback may carry, and the cheap limit on callbacks whose signature fails.
package struct IngressConfig: Sendable, Decodable {
    /// Most tracking events one callback may carry (`400 invalid_payload` past it): bounds the work one body
    /// can cause inside a commit group.
    var maxEventsPerCallback: Int = 500
    /// An event dated more than this after its receipt is `400 invalid_payload`: one signed scan from the year
    /// 9999 would otherwise make every later real scan stale.
    var maxFutureSkewSeconds: Int = 86_400
    /// Failed signature checks allowed per source and client address before that address gets `429` without
    /// its body being read. Verified callbacks never spend it.
    var unverifiedRateLimit: RateLimitConfig = RateLimitConfig(perSecond: 5, burst: 20)

    package init(maxEventsPerCallback: Int = 500, maxFutureSkewSeconds: Int = 86_400,
                unverifiedRateLimit: RateLimitConfig = RateLimitConfig(perSecond: 5, burst: 20)) {
        self.maxEventsPerCallback = maxEventsPerCallback
        self.maxFutureSkewSeconds = maxFutureSkewSeconds
        self.unverifiedRateLimit = unverifiedRateLimit
    }

    enum CodingKeys: String, CodingKey {
        case maxEventsPerCallback = "max_events_per_callback"
        case maxFutureSkewSeconds = "max_future_skew_s"
        case unverifiedRateLimit = "unverified_rate_limit"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = IngressConfig()
        maxEventsPerCallback = try container.decodeIfPresent(Int.self, forKey: .maxEventsPerCallback) ?? defaults.maxEventsPerCallback
        maxFutureSkewSeconds = try container.decodeIfPresent(Int.self, forKey: .maxFutureSkewSeconds) ?? defaults.maxFutureSkewSeconds
        unverifiedRateLimit = try container.decodeIfPresent(RateLimitConfig.self, forKey: .unverifiedRateLimit) ?? defaults.unverifiedRateLimit
    }

    func validate() throws(GatewayError) {
        try Bounds.check(maxEventsPerCallback, 1...10_000, "ingress.max_events_per_callback")
        try Bounds.check(maxFutureSkewSeconds, 0...31_536_000, "ingress.max_future_skew_s")
        do {
            _ = try unverifiedRateLimit.validated()
        } catch {
            throw .badRequest("ingress.unverified_rate_limit: \(error.detail)")
        }
    }
}

/// Where `/metrics` is served: on the main listener (default), or only on its own `listen` address, for
/// deployments that do not expose metrics publicly.
package struct MetricsConfig: Sendable, Decodable {
    /// `host:port` of a separate metrics listener; `nil` serves `/metrics` on the main one.
    var listen: String?

    package init(listen: String? = nil) { self.listen = listen }

    /// `listen` split into host and port.
    package func listenAddress() throws(GatewayError) -> (host: String, port: Int)? {
        guard let listen else { return nil }
        guard let colon = listen.lastIndex(of: ":"), let port = StrictNumber.int(listen[listen.index(after: colon)...], in: 0...65535) else {
            throw .badRequest("metrics.listen must be host:port, such as 127.0.0.1:9090")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .badRequest("metrics.listen must be host:port, such as 127.0.0.1:9090") }
        return (host, port)
    }

    func validate() throws(GatewayError) { _ = try listenAddress() }
}

package struct TenantConfig: Sendable, Decodable {
    package var slug: String
    var apiKeys: [String]
    package var sources: [SourceConfig]
    package var retry: RetryConfig?
    package var rateLimit: RateLimitConfig?

    package init(slug: String, apiKeys: [String], sources: [SourceConfig], retry: RetryConfig? = nil, rateLimit: RateLimitConfig? = nil) {
        self.slug = slug
        self.apiKeys = apiKeys
        self.sources = sources
        self.retry = retry
        self.rateLimit = rateLimit
    }

    enum CodingKeys: String, CodingKey {
        case slug, sources, retry
        case apiKeys = "api_keys"
        case rateLimit = "rate_limit"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        slug = try container.decode(String.self, forKey: .slug)
        apiKeys = try container.decodeIfPresent([String].self, forKey: .apiKeys) ?? []
        sources = try container.decodeIfPresent([SourceConfig].self, forKey: .sources) ?? []
        retry = try container.decodeIfPresent(RetryConfig.self, forKey: .retry)
        rateLimit = try container.decodeIfPresent(RateLimitConfig.self, forKey: .rateLimit)
    }
}

/// A tenant's ingress token bucket: `burst` callbacks at once, refilled at `per_second`.
package struct RateLimitConfig: Sendable, Codable, Hashable {
    var perSecond: Double
    var burst: Int?

    package init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = burst
    }

    enum CodingKeys: String, CodingKey {
        case burst
        case perSecond = "per_second"
    }

    /// The bucket size: `burst`, or one second's worth. Saturating, so even an unvalidated row cannot trap.
    package var capacity: Int { burst ?? max(1, Int(saturating: perSecond.rounded(.up))) }

    /// Bounds that keep every derived figure (bucket size, seconds to wait) small and finite.
    static let perSecondRange = 0.001...1_000_000.0
    static let burstRange = 1...1_000_000

    package func validated() throws(GatewayError) -> RateLimitConfig {
        guard perSecond.isFinite, Self.perSecondRange.contains(perSecond) else {
            throw .badRequest("rate_limit.per_second must be between 0.001 and 1000000")
        }
        guard Self.burstRange.contains(burst ?? 1) else { throw .badRequest("rate_limit.burst must be between 1 and 1000000") }
        return self
    }
}

/// A retry policy in config: exponential (`base_delay_s`, `multiplier`, `max_delay_s`, `jitter`) or an
/// explicit `schedule_s`; fields left out take ``BackoffPolicy/default``'s values.
package struct RetryConfig: Sendable, Codable, Hashable {
    var baseDelaySeconds: Double?
    var maxDelaySeconds: Double?
    var multiplier: Double?
    var maxAttempts: Int?
    var jitter: Bool?
    var scheduleSeconds: [Double]?

    package init(baseDelaySeconds: Double? = nil, maxDelaySeconds: Double? = nil, multiplier: Double? = nil,
                maxAttempts: Int? = nil, jitter: Bool? = nil, scheduleSeconds: [Double]? = nil) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.jitter = jitter
        self.scheduleSeconds = scheduleSeconds
    }

    package init(json: String) throws(GatewayError) {
        do {
            self = try JSONDecoder().decode(RetryConfig.self, from: Data(json.utf8))
        } catch {
            throw .badRequest("Invalid stored retry policy")
        }
    }

    /// The JSON stored with a tenant.
    package var json: String {
        (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    enum CodingKeys: String, CodingKey {
        case multiplier, jitter
        case baseDelaySeconds = "base_delay_s"
        case maxDelaySeconds = "max_delay_s"
        case maxAttempts = "max_attempts"
        case scheduleSeconds = "schedule_s"
    }

    /// The validated policy.
    package func policy() throws(GatewayError) -> BackoffPolicy {
        let attempts = maxAttempts ?? BackoffPolicy.default.maxAttempts
        if let scheduleSeconds { return try BackoffPolicy(curve: .schedule(seconds: scheduleSeconds), maxAttempts: attempts) }
        return try BackoffPolicy(
            curve: .exponential(baseSeconds: baseDelaySeconds ?? 5, multiplier: multiplier ?? 2, maxSeconds: maxDelaySeconds ?? 86_400, jitter: jitter ?? true),
            maxAttempts: attempts
        )
    }
}

/// The retry worker's knobs.
package struct WorkerConfig: Sendable, Decodable {
    /// Entries claimed per round.
    var batchSize: Int = 64
    /// How long a claimed entry stays invisible to other claimers; a crashed worker's entries return after it.
    var leaseSeconds: Int = 60
    /// How often the worker looks for due entries when nothing wakes it.
    var pollIntervalMilliseconds: Int = 1000
    /// Entries processed at once.
    var concurrency: Int = 4
    /// How long succeeded entries are kept before they are purged.
    var retentionSeconds: Int = 7 * 86_400

    package init(batchSize: Int = 64, leaseSeconds: Int = 60, pollIntervalMilliseconds: Int = 1000, concurrency: Int = 4, retentionSeconds: Int = 7 * 86_400) {
        self.batchSize = batchSize
        self.leaseSeconds = leaseSeconds
        self.pollIntervalMilliseconds = pollIntervalMilliseconds
        self.concurrency = concurrency
        self.retentionSeconds = retentionSeconds
    }

    enum CodingKeys: String, CodingKey {
        case concurrency
        case batchSize = "batch_size"
        case leaseSeconds = "lease_s"
        case pollIntervalMilliseconds = "poll_interval_ms"
        case retentionSeconds = "retention_s"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 64
        leaseSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseSeconds) ?? 60
        pollIntervalMilliseconds = try c.decodeIfPresent(Int.self, forKey: .pollIntervalMilliseconds) ?? 1000
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? 4
        retentionSeconds = try c.decodeIfPresent(Int.self, forKey: .retentionSeconds) ?? 7 * 86_400
    }

    func validated() throws(GatewayError) -> WorkerConfig {
        try Bounds.check(batchSize, 1...1000, "worker.batch_size")
        try Bounds.check(leaseSeconds, 1...86_400, "worker.lease_s")
        try Bounds.check(pollIntervalMilliseconds, 10...3_600_000, "worker.poll_interval_ms")
        try Bounds.check(concurrency, 1...64, "worker.concurrency")
        try Bounds.check(retentionSeconds, 0...315_360_000, "worker.retention_s")
        return self
    }
}

/// A carrier source: what is left out comes from the carrier adapter's defaults.
package struct SourceConfig: Sendable, Decodable {
    package var carrier: String
    var scheme: String?
    var header: String?
    var prefix: String?
    package var secrets: [String]
    var toleranceSeconds: Int?
    package var timezone: String?

    package init(carrier: String, scheme: String? = nil, header: String? = nil, prefix: String? = nil,
                secrets: [String], toleranceSeconds: Int? = nil, timezone: String? = nil) {
        self.carrier = carrier
        self.scheme = scheme
        self.header = header
        self.prefix = prefix
        self.secrets = secrets
        self.toleranceSeconds = toleranceSeconds
        self.timezone = timezone
    }

    enum CodingKeys: String, CodingKey {
        case carrier, scheme, header, prefix, secrets, timezone, jwks
        case toleranceSeconds = "tolerance_s"
        case jwksURL = "jwks_url"
    }

    /// `secrets` may be left out: for `rsa-sha256-jwks` a source's key sources can be named by `jwks` (the JWKS
    /// text, inline) and `jwks_url` (where to fetch it), which join `secrets`; with none of the three the
    /// carrier's published URL serves (``effectiveSecrets(settings:)``).
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        carrier = try container.decode(String.self, forKey: .carrier)
        scheme = try container.decodeIfPresent(String.self, forKey: .scheme)
        header = try container.decodeIfPresent(String.self, forKey: .header)
        prefix = try container.decodeIfPresent(String.self, forKey: .prefix)
        toleranceSeconds = try container.decodeIfPresent(Int.self, forKey: .toleranceSeconds)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        var secrets = try container.decodeIfPresent([String].self, forKey: .secrets) ?? []
        if let jwks = try container.decodeIfPresent(String.self, forKey: .jwks) { secrets.append(jwks) }
        if let url = try container.decodeIfPresent(String.self, forKey: .jwksURL) { secrets.append(url) }
        self.secrets = secrets
    }

    /// The secrets a source is created with: its own, or for a scheme that fetches public keys and was given
    /// none, the carrier's published JWKS URL (ShipEngine's `https://api.shipengine.com/jwks`).
    package func effectiveSecrets(settings: SignatureSettings) -> [String] {
        guard secrets.isEmpty, settings.scheme == .rsaSHA256JWKS, let url = settings.defaultKeySetURL else { return secrets }
        return [url]
    }

    /// A signed timestamp may be at most a week from now.
    /// 0 turns the timestamp window off (captured traffic replayed by QA); the gateway warns at start.
    static let toleranceRange = 0...604_800

    /// The adapter's defaults with this source's overrides: how the gateway verifies and the replay tool signs.
    package func signatureSettings(defaults: SignatureSettings) throws(GatewayError) -> SignatureSettings {
        var settings = defaults
        if let scheme {
            guard let parsed = SignatureScheme(rawValue: scheme) else {
                throw .badRequest("unknown scheme '\(scheme)'; known: \(SignatureScheme.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.scheme = parsed
        }
        if let header, header.lowercased() != defaults.header.lowercased() {
            // Another header replaces the adapter's places, alternatives included.
            settings.header = header
            settings.alternatives = []
        }
        if let prefix { settings.prefix = prefix }
        if let toleranceSeconds {
            try Bounds.check(toleranceSeconds, Self.toleranceRange, "tolerance_s")
            settings.toleranceSeconds = toleranceSeconds
        }
        return settings
    }
}
