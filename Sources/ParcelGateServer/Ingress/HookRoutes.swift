import Hummingbird
import ParcelGateCore

/// `POST /v1/hooks/{tenant}/{carrier}`: authenticated by the callback's signature only.
struct HookRoutes<Context: RequestContext> {
    let pipeline: IngressPipeline
    let maxBodyBytes: Int
    let metrics: GatewayMetrics

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
        defer { metrics.ingressDuration(ContinuousClock.now - started) }
        do {
            let source = try pipeline.admit(tenant: context.parameters.get("tenant") ?? "", carrier: context.parameters.get("carrier") ?? "")
            labels = (source.tenant, source.carrier)
            let body = try await request.collectBody(limit: maxBodyBytes)
            let result = try await pipeline.handle(source: source, body: body, headers: RequestHeaders(fields: request.headers))
            switch result {
            case .applied(let id, let status, let recorded):
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "applied")
                return JSONResponse.make(.ok, HookReply(status: "applied", fulfillmentId: id, fulfillmentStatus: status.rawValue, eventsRecorded: recorded))
            case .duplicate:
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "duplicate")
                return JSONResponse.make(.ok, HookReply(status: "duplicate"))
            case .queued(let retryId):
                metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "queued")
                return JSONResponse.make(.accepted, HookReply(status: "queued", retryId: retryId))
            }
        } catch {
            metrics.callback(tenant: labels.tenant, carrier: labels.carrier, outcome: "rejected", code: error.code)
            throw error
        }
    }
}

/// The 2xx bodies of the hook endpoint.
struct HookReply: Encodable {
    var status: String
    var fulfillmentId: String?
    var fulfillmentStatus: String?
    var eventsRecorded: Int?
    var retryId: String?

    enum CodingKeys: String, CodingKey {
        case status
        case fulfillmentId = "fulfillment_id"
        case fulfillmentStatus = "fulfillment_status"
        case eventsRecorded = "events_recorded"
        case retryId = "retry_id"
    }
}
