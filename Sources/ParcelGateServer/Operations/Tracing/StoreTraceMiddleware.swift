import Hummingbird
import ParcelGateStore

/// With tracing on: a request's trace context, for the domain events a platform command records in the store
/// (``StoreTraceContext``), so the notifications they cause link back to the platform's request.
struct StoreTraceMiddleware<Context: RequestContext>: RouterMiddleware {
    let tracer: GatewayTracer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await StoreTraceContext.$traceParent.withValue(tracer.traceparent()) {
            try await next(request, context)
        }
    }
}
