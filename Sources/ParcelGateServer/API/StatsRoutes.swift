import Hummingbird
import ParcelGateCore
import ParcelGateStore

/// The read side's JSON (README, "Stats"): `GET /v1/stats` for a tenant key, and for the operator key
/// `GET /v1/admin/stats?tenant=`, `GET /v1/admin/retries` and `GET /v1/admin/deliveries` across tenants.
///
/// Every figure comes from counters or grouped rows (``GatewayStore/stats(tenant:fromDay:toDay:fromMinute:)``), so
/// a read costs the number of groups and days, not the number of fulfillments. Query parameters are parsed
/// strictly: an unknown, repeated or out-of-range one is `400 bad_request` naming it.
struct StatsRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let directory: DirectoryProvider
    let tenantAuthentication: TenantAuthMiddleware<Context>
    let operatorAuthentication: OperatorAuthMiddleware<Context>
    let counter: IngestCounter
    let clock: any GatewayClock

    func register(on router: Router<Context>) {
        router.group("/v1/stats").add(middleware: tenantAuthentication).get { request, context in
            try await self.stats(request, tenant: context.tenant(), allowed: ["days", "minutes"])
        }
        let admin = router.group("/v1/admin").add(middleware: operatorAuthentication)
        admin.get("/stats") { request, _ in
            let query = try Query(request, allowed: ["tenant", "days", "minutes"])
            guard let tenant = try query.tenant() else { throw GatewayError.badRequest("tenant is required: /v1/admin/stats?tenant=<slug>") }
            guard try await self.store.directory().tenants.contains(where: { $0.slug == tenant }) else { throw GatewayError.notFound("Tenant '\(tenant)' not found") }
            return try await self.stats(request, tenant: tenant, allowed: ["tenant", "days", "minutes"])
        }
        admin.get("/retries") { request, _ in try await self.retries(request) }
        admin.get("/deliveries") { request, _ in try await self.deliveries(request) }
    }

    /// `?days=` (1-366, default 30) of daily counts ending today (UTC), `?minutes=` (1-1440, default 60) of ingest counts.
    func stats(_ request: Request, tenant: String, allowed: Set<String>) async throws(GatewayError) -> Response {
        let query = try Query(request, allowed: allowed)
        let days = try query.int("days", in: 1...366) ?? 30
        let minutes = try query.int("minutes", in: 1...1440) ?? 60
        // What this replica counted so far is stored first, so the answer includes it.
        try await counter.flush(to: store)
        let now = clock.now()
        let today = UTCDay.day(of: now)
        let fromDay = today - Int64(days - 1)
        let nowMinute = IngestCounter.minute(of: now)
        let fromMinute = nowMinute - Int64(minutes - 1)
        let stats = try await store.stats(tenant: tenant, fromDay: fromDay, toDay: today, fromMinute: fromMinute)
        return JSONResponse.make(.ok, StatsJSON.render(tenant: tenant, stats: stats, now: now, fromDay: fromDay, toDay: today, fromMinute: fromMinute))
    }

    /// `?tenant=&status=&limit=` (at most 1000, default 100), newest first, every tenant's unless `tenant` is given.
    func retries(_ request: Request) async throws(GatewayError) -> Response {
        let query = try Query(request, allowed: ["tenant", "status", "limit"])
        var status: RetryStatus?
        if let name = try query.text("status") {
            guard let parsed = RetryStatus(rawValue: name) else { throw .badRequest("status must be pending, succeeded or exhausted") }
            status = parsed
        }
        let entries = try await store.allRetryEntries(tenant: try query.tenant(), status: status, limit: try query.int("limit", in: 1...1000) ?? 100)
        return JSONResponse.make(.ok, RetryListJSON(retries: entries.map { RetryEntryJSON($0, withTenant: true) }))
    }

    /// `?tenant=&status=&limit=` (at most 1000, default 100), newest first, every tenant's unless `tenant` is given.
    func deliveries(_ request: Request) async throws(GatewayError) -> Response {
        let query = try Query(request, allowed: ["tenant", "status", "limit"])
        var status: DeliveryStatus?
        if let name = try query.text("status") {
            guard let parsed = DeliveryStatus(rawValue: name) else {
                throw .badRequest("status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let found = try await store.allDeliveries(tenant: try query.tenant(), status: status, limit: try query.int("limit", in: 1...1000) ?? 100)
        return JSONResponse.make(.ok, DeliveryListJSON(deliveries: found.map { DeliveryJSON(delivery: $0, detailed: false, withTenant: true) }))
    }
}

/// A request's query parameters, strictly: only `allowed` names, each at most once.
struct Query {
    private var values: [String: String] = [:]

    init(_ request: Request, allowed: Set<String>) throws(GatewayError) {
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw .badRequest("Unknown query parameter '\(name.prefix(64))' (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values[name] == nil else { throw .badRequest("Query parameter '\(name)' is given more than once") }
            values[name] = String(value)
        }
    }

    func text(_ name: String) throws(GatewayError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw .badRequest("\(name) must not be empty") }
        return value
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(GatewayError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = StrictNumber.int(text, in: range) else {
            throw .badRequest("\(name) must be a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// `tenant`, when given: a tenant slug.
    func tenant() throws(GatewayError) -> String? {
        guard let slug = try text("tenant") else { return nil }
        guard TenantDirectory.isSlug(slug) else { throw .badRequest("tenant must be a tenant slug: 1-64 lowercase letters, digits, '-' or '_'") }
        return slug
    }
}

/// JSON built as a value, so `null`s are written where a figure is unknown (a synthesized encoder leaves them out).
enum OutJSON: Encodable, Sendable {
    case object([String: OutJSON])
    case array([OutJSON])
    case string(String)
    case int(Int64)
    case number(Double)
    case bool(Bool)
    case null

    static func optional(_ value: String?) -> OutJSON { value.map(OutJSON.string) ?? .null }
    static func optional(_ value: Double?) -> OutJSON { value.map(OutJSON.number) ?? .null }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let members):
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try c.encode(value, forKey: Key(stringValue: key)) }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .string(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .int(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .number(let value):
            var c = encoder.singleValueContainer()
            if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
        case .bool(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        }
    }
}

/// The body of `/v1/stats` (README, "Stats").
enum StatsJSON {
    static func render(tenant: String, stats: TenantStats, now: Timestamp, fromDay: Int64, toDay: Int64, fromMinute: Int64) -> OutJSON {
        var byStatus: [String: OutJSON] = [:]
        var total: Int64 = 0
        for status in FulfillmentStatus.allCases {
            let count = stats.fulfillmentsByStatus[status] ?? 0
            byStatus[status.rawValue] = .int(count)
            total = total.addingSaturating(count)
        }
        let carriers = stats.carriers.map { c -> OutJSON in
            let measured = c.transitBuckets.values.reduce(Int64(0)) { $0.addingSaturating($1) }
            let buckets = c.transitBuckets.sorted { $0.key < $1.key }.map { bucket, count -> OutJSON in
                .object([
                    "from_s": .number(bucket == 0 ? 0 : Double(TransitHistogram.lowerBounds[bucket]) / 1000),
                    "to_s": bucket + 1 < TransitHistogram.bucketCount ? .number(Double(TransitHistogram.lowerBounds[bucket + 1]) / 1000) : .null,
                    "count": .int(count),
                ])
            }
            return .object([
                "carrier": .string(c.carrier),
                "service_level": c.serviceLevel.isEmpty ? .null : .string(c.serviceLevel),
                "exceptions": .int(c.exceptions),
                "deliveries": .int(c.deliveries),
                "transit_time": .object([
                    "measured": .int(measured),
                    "median_s": .optional(TransitHistogram.quantile(0.5, counts: c.transitBuckets).map(rounded)),
                    "p90_s": .optional(TransitHistogram.quantile(0.9, counts: c.transitBuckets).map(rounded)),
                    "buckets": .array(buckets),
                ]),
            ])
        }
        let daily = stats.daily.map { d -> OutJSON in
            .object(["date": .string(date(d.day)), "shipments": .int(d.shipments), "deliveries": .int(d.deliveries), "exceptions": .int(d.exceptions)])
        }
        let ingest = stats.ingest.map { i -> OutJSON in
            .object([
                "minute": .string(Timestamp(milliseconds: i.minute.multipliedSaturating(by: 60_000)).rfc3339),
                "outcome": .string(i.outcome), "code": i.code.isEmpty ? .null : .string(i.code), "count": .int(i.count),
            ])
        }
        let queue = stats.retryQueue
        let queued = queue.pending.addingSaturating(queue.exhausted)
        let oldestAge = queue.oldestPendingAt.map { oldest -> Int64 in
            let (age, overflow) = now.milliseconds.subtractingReportingOverflow(oldest.milliseconds)
            return overflow ? (oldest.milliseconds > now.milliseconds ? 0 : .max / 1000) : max(0, age) / 1000
        }
        var deliveries: [String: OutJSON] = [:]
        for status in DeliveryStatus.allCases { deliveries[status.rawValue] = .int(stats.deliveriesByStatus[status] ?? 0) }
        let delivered = stats.deliveriesByStatus[.delivered] ?? 0
        let finished = delivered.addingSaturating(stats.deliveriesByStatus[.exhausted] ?? 0)
        let failing = stats.failingEndpoints.map { e -> OutJSON in
            .object([
                "id": .string(e.id), "url": .string(e.url), "enabled": .bool(e.enabled),
                "circuit_state": .string(e.enabled ? e.circuit.state : "disabled"), "consecutive_failures": .int(Int64(e.circuit.consecutiveFailures)),
                "disabled_reason": .optional(e.disabledReason),
            ])
        }
        return .object([
            "tenant": .string(tenant),
            "generated_at": .string(now.rfc3339),
            "fulfillments": .object(["by_status": .object(byStatus), "total": .int(total)]),
            "carriers": .array(carriers),
            "daily": .object(["from": .string(date(fromDay)), "to": .string(date(toDay)), "days": .array(daily)]),
            "ingest": .object([
                "from": .string(Timestamp(milliseconds: fromMinute.multipliedSaturating(by: 60_000)).rfc3339),
                "minutes": .array(ingest),
            ]),
            "retry_queue": .object([
                "pending": .int(queue.pending), "exhausted": .int(queue.exhausted),
                "mean_attempts": queued > 0 ? .number(rounded(Double(queue.attempts) / Double(queued))) : .null,
                "oldest_pending_at": .optional(queue.oldestPendingAt?.rfc3339),
                "oldest_pending_age_s": oldestAge.map(OutJSON.int) ?? .null,
            ]),
            "deliveries": .object([
                "by_status": .object(deliveries),
                "success_rate": finished > 0 ? .number(rounded(Double(delivered) / Double(finished))) : .null,
                "failing_endpoints": .array(failing),
            ]),
        ])
    }

    /// `YYYY-MM-DD` of a UTC day.
    static func date(_ day: Int64) -> String { String(UTCDay.start(of: day).rfc3339.prefix(10)) }

    /// Two decimals are enough for seconds and rates, and keep the JSON readable.
    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
