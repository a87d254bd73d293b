import Hummingbird
import NIOCore
import ParcelGateCore
import ParcelGateStore

/// `/healthz` (the process answers), `/readyz` (and the database does: 503 while it does not) and
/// `/metrics` (Prometheus text). Unauthenticated, like every health endpoint a load balancer polls.
struct OperationsRoutes<Context: RequestContext> {
    let store: any GatewayStore
    let metrics: GatewayMetrics

    func register(on router: Router<Context>) {
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ throws(GatewayError) in
            try await store.ping()
            return JSONResponse.make(.ok, ["status": "ready"])
        }
        router.get("/metrics") { _, _ throws(GatewayError) in
            let depth = try await store.retryCounts()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(queueDepth: depth))))
        }
    }
}
