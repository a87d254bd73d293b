import Hummingbird
import NIOCore
import ParcelGateCore
import ParcelGateStore

/// `/healthz` (the process answers), `/readyz` (and the database does: 503 while it does not) and
/// `/metrics` (Prometheus text). Unauthenticated, like every health endpoint a load balancer polls.
/// `/metrics` is left out of the main listener when `metrics.listen` gives it its own (``MetricsRoutes``).
struct OperationsRoutes<Context: RequestContext> {
    let readiness: ReadinessMonitor
    let metrics: MetricsRoutes<Context>?

    func register(on router: Router<Context>) {
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ throws(GatewayError) in
            if let problem = readiness.problem { throw .storeUnavailable(problem) }
            return JSONResponse.make(.ok, ["status": "ready"])
        }
        metrics?.register(on: router)
    }
}

/// `GET /metrics`: the Prometheus text, with the retry queue's depth, deliveries by status and endpoint circuits read at scrape time.
struct MetricsRoutes<Context: RequestContext> {
    let store: any GatewayStore
    let metrics: GatewayMetrics

    func register(on router: Router<Context>) {
        router.get("/metrics") { _, _ throws(GatewayError) in
            let depth = try await store.retryCounts()
            let notifications = try await store.notificationCounts()
            metrics.webhookQueue(Dictionary(uniqueKeysWithValues: notifications.deliveries.map { ($0.key.rawValue, $0.value) }))
            metrics.webhookCircuits(notifications.circuits)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(queueDepth: depth))))
        }
    }
}
