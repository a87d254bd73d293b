import Hummingbird
import ParcelGateCore

/// `POST /v1/hooks/{tenant}/{carrier}`: authenticated by the callback's signature only.
struct HookRoutes<Context: RequestContext> {
    let pipeline: IngressPipeline
    let maxBodyBytes: Int

    func register(on router: Router<Context>) {
        router.post("/v1/hooks/{tenant}/{carrier}") { request, context in
            try await self.receive(request, context: context)
        }
    }

    func receive(_ request: Request, context: Context) async throws(GatewayError) -> Response {
        let tenant = context.parameters.get("tenant") ?? ""
        let carrier = context.parameters.get("carrier") ?? ""
        let source = try pipeline.admit(tenant: tenant, carrier: carrier)
        let body = try await request.collectBody(limit: maxBodyBytes)
        switch try await pipeline.handle(source: source, body: body, headers: RequestHeaders(fields: request.headers)) {
        case .applied(let id, let status, let recorded):
            return JSONResponse.make(.ok, HookReply(status: "applied", fulfillmentId: id, fulfillmentStatus: status.rawValue, eventsRecorded: recorded))
        case .duplicate:
            return JSONResponse.make(.ok, HookReply(status: "duplicate"))
        case .queued(let retryId):
            return JSONResponse.make(.accepted, HookReply(status: "queued", retryId: retryId))
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
