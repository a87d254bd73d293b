import Hummingbird
import ParcelGateCore
import ParcelGateStore

/// A tenant's deliveries (README, "Platform notifications"): list, one with its attempts, and retry-now.
struct DeliveryRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let authentication: TenantAuthMiddleware<Context>
    let notifications: NotificationsRuntime

    func register(on router: Router<Context>) {
        let deliveries = router.group("/v1/deliveries").add(middleware: authentication)
        deliveries.get { request, context in try await self.list(request, tenant: context.tenant()) }
        deliveries.get("{id}") { _, context in try await self.show(tenant: context.tenant(), id: context.parameters.get("id") ?? "") }
        deliveries.post("{id}/retry") { _, context in try await self.retry(tenant: context.tenant(), id: context.parameters.get("id") ?? "") }
    }

    /// `?endpoint_id=&status=&fulfillment_id=&limit=` (at most 1000, default 100), newest first.
    func list(_ request: Request, tenant: String) async throws(GatewayError) -> Response {
        let query = request.uri.queryParameters
        var filter = DeliveryFilter(endpointId: query.get("endpoint_id"), fulfillmentId: query.get("fulfillment_id"))
        if let name = query.get("status") {
            guard let status = DeliveryStatus(rawValue: name) else {
                throw .badRequest("status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = status
        }
        var limit = 100
        if let text = query.get("limit") {
            guard let parsed = StrictNumber.int(text, in: 1...1000) else { throw .badRequest("limit must be between 1 and 1000") }
            limit = parsed
        }
        let found = try await store.deliveries(tenant: tenant, filter: filter, limit: limit)
        return JSONResponse.make(.ok, DeliveryListJSON(deliveries: found.map { DeliveryJSON(delivery: $0, detailed: false) }))
    }

    func show(tenant: String, id: String) async throws(GatewayError) -> Response {
        guard let delivery = try await store.delivery(tenant: tenant, id: id) else { throw .notFound("Delivery '\(id)' not found") }
        return JSONResponse.make(.ok, DeliveryJSON(delivery: delivery, detailed: true))
    }

    /// Sends the delivery now (a `manual` attempt) and answers with it as the attempt left it.
    func retry(tenant: String, id: String) async throws(GatewayError) -> Response {
        let delivery = try await notifications.sendNow(tenant: tenant, id: id)
        return JSONResponse.make(.ok, DeliveryJSON(delivery: delivery, detailed: true))
    }
}
