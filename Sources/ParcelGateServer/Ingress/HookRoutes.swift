import Hummingbird
import NIOCore
import ParcelGateCore
import Synchronization

/// `POST /v1/hooks/{tenant}/{carrier}`: authenticated by the callback's signature only.
struct HookRoutes<Context: RemoteAddressRequestContext> {
    let pipeline: IngressPipeline
    let maxBodyBytes: Int
    let metrics: GatewayMetrics
    let admission: IngressAdmission
    let proxies: TrustedProxies
    /// Per-minute counts for `/v1/stats`, by resolved tenant only (an invented URL is not a tenant).
    let counter: IngestCounter
    /// Set once `X-Forwarded-For` has come from a peer that is not a trusted proxy (warned about once).
    let untrustedForwarding = OnceFlag()

    func register(on router: Router<Context>) {
        router.post("/v1/hooks/{tenant}/{carrier}") { request, context in
            try await self.receive(request, context: context)
        }
    }

    /// Runs the pipeline and counts the outcome and its latency, accepted or not.
    func receive(_ request: Request, context: Context) async throws(GatewayError) -> Response {
        let started = ContinuousClock.now
        // Labels only from a resolved source: invented URLs count as `unknown`, not as new series.
        var labels = (tenant: "unknown", carrier: "unknown")
        var resolved = false
        defer { metrics.ingressDuration(ContinuousClock.now - started) }
        do throws(GatewayError) {
            try admission.enter()
            defer { admission.leave() }
            let headers = RequestHeaders(fields: request.headers)
            let peer = context.remoteAddress?.ipAddress
            let forwarded = headers.values(for: "X-Forwarded-For")
            let client = proxies.client(peer: peer, forwardedFor: forwarded)
            if !forwarded.isEmpty, !proxies.trusts(peer: peer), untrustedForwarding.claim() {
                // Behind a proxy that is not configured, every carrier shares the proxy's failed-signature budget.
                context.logger.warning("X-Forwarded-For came from a peer that is not in server.trusted_proxies; failed signature checks are charged to that peer", metadata: [
                    "peer": "\(peer ?? "unknown")",
                ])
            }
            let source = try pipeline.admit(tenant: context.parameters.get("tenant") ?? "", carrier: context.parameters.get("carrier") ?? "", client: client)
            labels = (source.tenant, source.carrier)
            resolved = true
            let body = try await request.collectBody(limit: maxBodyBytes)
            let result = try await pipeline.handle(source: source, body: body, headers: headers, client: client)
            switch result {
            case .applied(let id, let status, let recorded):
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "applied")
                counter.record(tenant: labels.tenant, outcome: "applied")
                return HookReply.applied(fulfillmentId: id, status: status, recorded: recorded)
            case .duplicate:
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "duplicate")
                counter.record(tenant: labels.tenant, outcome: "duplicate")
                return HookReply.duplicate
            case .queued(let retryId):
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "queued")
                counter.record(tenant: labels.tenant, outcome: "queued")
                return HookReply.queued(retryId: retryId)
            case .acknowledged:
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "acknowledged")
                counter.record(tenant: labels.tenant, outcome: "acknowledged")
                return HookReply.acknowledged
            }
        } catch {
            metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "rejected", code: error.code)
            if resolved { counter.record(tenant: labels.tenant, outcome: "rejected", code: error.code) }
            throw error
        }
    }
}

/// The 2xx bodies of the hook endpoint, written directly: they are on the hot path, and an encoder object
/// per callback costs more than the rest of the response.
enum HookReply {
    static func applied(fulfillmentId: String, status: FulfillmentStatus, recorded: Int) -> Response {
        JSONResponse.make(.ok, json: #"{"events_recorded":\#(recorded),"fulfillment_id":\#(JSONText.quoted(fulfillmentId)),"fulfillment_status":"\#(status.rawValue)","status":"applied"}"#)
    }

    static var duplicate: Response { JSONResponse.make(.ok, json: #"{"status":"duplicate"}"#) }

    static var acknowledged: Response { JSONResponse.make(.ok, json: #"{"status":"acknowledged"}"#) }

    static func queued(retryId: String) -> Response {
        JSONResponse.make(.accepted, json: #"{"retry_id":\#(JSONText.quoted(retryId)),"status":"queued"}"#)
    }
}

/// A flag that is claimed once.
final class OnceFlag: Sendable {
    private let claimed = Atomic<Bool>(false)

    /// True the first time only.
    func claim() -> Bool { !claimed.exchange(true, ordering: .relaxed) }
}
