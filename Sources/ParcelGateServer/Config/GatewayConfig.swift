import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import Yams

/// The configuration file (DESIGN §8): YAML, of which JSON is a subset.
public struct GatewayConfig: Sendable, Decodable {
    public var tenants: [TenantConfig]
    public var server: ServerConfig
    /// The default retry policy; a tenant's own `retry` overrides it.
    public var retry: RetryConfig?
    public var worker: WorkerConfig
    public var database: DatabaseConfig

    public init(tenants: [TenantConfig], server: ServerConfig = ServerConfig(), retry: RetryConfig? = nil, worker: WorkerConfig = WorkerConfig(),
                database: DatabaseConfig = DatabaseConfig()) {
        self.tenants = tenants
        self.server = server
        self.retry = retry
        self.worker = worker
        self.database = database
    }

    enum CodingKeys: String, CodingKey { case tenants, server, retry, worker, database }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tenants = try container.decodeIfPresent([TenantConfig].self, forKey: .tenants) ?? []
        server = try container.decodeIfPresent(ServerConfig.self, forKey: .server) ?? ServerConfig()
        retry = try container.decodeIfPresent(RetryConfig.self, forKey: .retry)
        worker = try container.decodeIfPresent(WorkerConfig.self, forKey: .worker) ?? WorkerConfig()
        database = try container.decodeIfPresent(DatabaseConfig.self, forKey: .database) ?? DatabaseConfig()
    }

    /// Reads and decodes a config file; errors name the file and what is wrong with it.
    public static func load(path: String) throws(GatewayError) -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badRequest("Cannot read config file '\(path)'")
        }
        return try parse(String(decoding: data, as: UTF8.self), origin: path)
    }

    public static func parse(_ text: String, origin: String = "config") throws(GatewayError) -> GatewayConfig {
        do {
            return try YAMLDecoder().decode(GatewayConfig.self, from: text)
        } catch let error as DecodingError {
            throw .badRequest("Invalid config '\(origin)': \(error.summary)")
        } catch {
            throw .badRequest("Invalid config '\(origin)': \(error)")
        }
    }
}

/// Database settings that are not the location (which comes from `--database`).
public struct DatabaseConfig: Sendable, Decodable {
    /// Most PostgreSQL connections per gateway process (a `pool=` in the URL wins).
    public var poolSize: Int?
    /// SQLite durability: `normal` or `full` (`--durability` wins).
    public var durability: DurabilityMode?
    /// SQLite group commit: most writes per transaction (default 256).
    public var maxBatch: Int?
    /// SQLite group commit: microseconds the writer waits for more writes once idle (default 0).
    public var batchWaitMicroseconds: Int?

    public init(poolSize: Int? = nil, durability: DurabilityMode? = nil, maxBatch: Int? = nil, batchWaitMicroseconds: Int? = nil) {
        self.poolSize = poolSize
        self.durability = durability
        self.maxBatch = maxBatch
        self.batchWaitMicroseconds = batchWaitMicroseconds
    }

    enum CodingKeys: String, CodingKey {
        case durability
        case poolSize = "pool_size"
        case maxBatch = "max_batch"
        case batchWaitMicroseconds = "batch_wait_us"
    }

    /// The writer's batching, validated; `crashAfterCommits` comes from the environment (tests only).
    public func batching(crashAfterCommits: Int?, onCommit: (@Sendable (Int) -> Void)? = nil) throws(GatewayError) -> WriteBatching {
        let batching = WriteBatching(maxBatch: maxBatch ?? 256, maxWaitMicroseconds: batchWaitMicroseconds ?? 0, crashAfterCommits: crashAfterCommits, onCommit: onCommit)
        guard (1...10_000).contains(batching.maxBatch) else { throw .badRequest("database.max_batch must be between 1 and 10000") }
        guard (0...100_000).contains(batching.maxWaitMicroseconds) else { throw .badRequest("database.batch_wait_us must be between 0 and 100000") }
        return batching
    }
}

public struct ServerConfig: Sendable, Decodable {
    public var maxBodyBytes: Int = 1_048_576

    public init(maxBodyBytes: Int = 1_048_576) { self.maxBodyBytes = maxBodyBytes }

    enum CodingKeys: String, CodingKey { case maxBodyBytes = "max_body_bytes" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? 1_048_576
    }
}

public struct TenantConfig: Sendable, Decodable {
    public var slug: String
    public var apiKeys: [String]
    public var sources: [SourceConfig]
    public var retry: RetryConfig?
    public var rateLimit: RateLimitConfig?

    public init(slug: String, apiKeys: [String], sources: [SourceConfig], retry: RetryConfig? = nil, rateLimit: RateLimitConfig? = nil) {
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

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        slug = try container.decode(String.self, forKey: .slug)
        apiKeys = try container.decodeIfPresent([String].self, forKey: .apiKeys) ?? []
        sources = try container.decodeIfPresent([SourceConfig].self, forKey: .sources) ?? []
        retry = try container.decodeIfPresent(RetryConfig.self, forKey: .retry)
        rateLimit = try container.decodeIfPresent(RateLimitConfig.self, forKey: .rateLimit)
    }
}

/// A tenant's ingress token bucket: `burst` callbacks at once, refilled at `per_second`.
public struct RateLimitConfig: Sendable, Codable, Hashable {
    public var perSecond: Double
    public var burst: Int?

    public init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = burst
    }

    enum CodingKeys: String, CodingKey {
        case burst
        case perSecond = "per_second"
    }

    /// The bucket size: `burst`, or one second's worth.
    public var capacity: Int { burst ?? max(1, Int(perSecond.rounded(.up))) }

    public func validated() throws(GatewayError) -> RateLimitConfig {
        guard perSecond.isFinite, perSecond > 0 else { throw .badRequest("rate_limit.per_second must be positive") }
        guard (burst ?? 1) >= 1 else { throw .badRequest("rate_limit.burst must be at least 1") }
        return self
    }
}

/// A retry policy in config: exponential (`base_delay_s`, `multiplier`, `max_delay_s`, `jitter`) or an
/// explicit `schedule_s`; fields left out take ``BackoffPolicy/default``'s values.
public struct RetryConfig: Sendable, Codable, Hashable {
    public var baseDelaySeconds: Double?
    public var maxDelaySeconds: Double?
    public var multiplier: Double?
    public var maxAttempts: Int?
    public var jitter: Bool?
    public var scheduleSeconds: [Double]?

    public init(baseDelaySeconds: Double? = nil, maxDelaySeconds: Double? = nil, multiplier: Double? = nil,
                maxAttempts: Int? = nil, jitter: Bool? = nil, scheduleSeconds: [Double]? = nil) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.jitter = jitter
        self.scheduleSeconds = scheduleSeconds
    }

    public init(json: String) throws(GatewayError) {
        do {
            self = try JSONDecoder().decode(RetryConfig.self, from: Data(json.utf8))
        } catch {
            throw .badRequest("Invalid stored retry policy")
        }
    }

    /// The JSON stored with a tenant.
    public var json: String {
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
    public func policy() throws(GatewayError) -> BackoffPolicy {
        let attempts = maxAttempts ?? BackoffPolicy.default.maxAttempts
        if let scheduleSeconds { return try BackoffPolicy(curve: .schedule(seconds: scheduleSeconds), maxAttempts: attempts) }
        return try BackoffPolicy(
            curve: .exponential(baseSeconds: baseDelaySeconds ?? 5, multiplier: multiplier ?? 2, maxSeconds: maxDelaySeconds ?? 86_400, jitter: jitter ?? true),
            maxAttempts: attempts
        )
    }
}

/// The retry worker's knobs.
public struct WorkerConfig: Sendable, Decodable {
    /// Entries claimed per round.
    public var batchSize: Int = 64
    /// How long a claimed entry stays invisible to other claimers; a crashed worker's entries return after it.
    public var leaseSeconds: Int = 60
    /// How often the worker looks for due entries when nothing wakes it.
    public var pollIntervalMilliseconds: Int = 1000
    /// Entries processed at once.
    public var concurrency: Int = 4
    /// How long succeeded entries are kept before they are purged.
    public var retentionSeconds: Int = 7 * 86_400

    public init(batchSize: Int = 64, leaseSeconds: Int = 60, pollIntervalMilliseconds: Int = 1000, concurrency: Int = 4, retentionSeconds: Int = 7 * 86_400) {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 64
        leaseSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseSeconds) ?? 60
        pollIntervalMilliseconds = try c.decodeIfPresent(Int.self, forKey: .pollIntervalMilliseconds) ?? 1000
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? 4
        retentionSeconds = try c.decodeIfPresent(Int.self, forKey: .retentionSeconds) ?? 7 * 86_400
    }

    func validated() throws(GatewayError) -> WorkerConfig {
        guard (1...1000).contains(batchSize) else { throw .badRequest("worker batch_size must be between 1 and 1000") }
        guard leaseSeconds >= 1 else { throw .badRequest("worker lease_s must be at least 1") }
        guard pollIntervalMilliseconds >= 10 else { throw .badRequest("worker poll_interval_ms must be at least 10") }
        guard (1...64).contains(concurrency) else { throw .badRequest("worker concurrency must be between 1 and 64") }
        guard retentionSeconds >= 0 else { throw .badRequest("worker retention_s must not be negative") }
        return self
    }
}

/// A carrier source: what is left out comes from the carrier adapter's defaults.
public struct SourceConfig: Sendable, Decodable {
    public var carrier: String
    public var scheme: String?
    public var header: String?
    public var prefix: String?
    public var secrets: [String]
    public var toleranceSeconds: Int?
    public var timezone: String?

    public init(carrier: String, scheme: String? = nil, header: String? = nil, prefix: String? = nil,
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
        case carrier, scheme, header, prefix, secrets, timezone
        case toleranceSeconds = "tolerance_s"
    }

    /// The adapter's defaults with this source's overrides: how the gateway verifies and the replay tool signs.
    public func signatureSettings(defaults: SignatureSettings) throws(GatewayError) -> SignatureSettings {
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
            guard toleranceSeconds > 0 else { throw .badRequest("tolerance_s must be positive") }
            settings.toleranceSeconds = toleranceSeconds
        }
        return settings
    }
}
