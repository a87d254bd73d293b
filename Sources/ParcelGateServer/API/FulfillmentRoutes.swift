import Foundation
import Hummingbird
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// The platform API (README, "HTTP contract"): fulfillments and their commands, scoped to the caller's tenant.
/// Another tenant's fulfillment is `404 not_found`, exactly like one that does not exist.
struct FulfillmentRoutes<Context: AuthenticatedRequestContext> {
    let store: any GatewayStore
    let authentication: TenantAuthMiddleware<Context>
    let clock: any GatewayClock
    let maxBodyBytes: Int
    /// Called after a fulfillment is created or shipped: queued callbacks waiting for it are now due.
    let shipmentRegistered: @Sendable () -> Void

    func register(on router: Router<Context>) {
        let fulfillments = router.group("/v1/fulfillments").add(middleware: authentication)
        fulfillments.post { request, context in try await self.create(request, context) }
        fulfillments.get { request, context in try await self.list(request, context) }
        fulfillments.get("{id}") { request, context in try await self.show(request, context) }
        fulfillments.put("{id}/{command}") { request, context in try await self.command(request, context) }
    }

    func create(_ request: Request, _ context: Context) async throws(GatewayError) -> Response {
        let tenant = try context.tenant()
        let body = try await request.decodeJSON(CreateFulfillmentBody.self, limit: maxBodyBytes)
        let orderId = body.orderId.trimmingWhitespace()
        guard !orderId.isEmpty else { throw .badRequest("order_id must not be empty") }
        let id = body.id?.trimmingWhitespace() ?? Identifiers.fulfillment()
        guard Self.isValidId(id) else { throw .badRequest("id must be 1-128 characters of letters, digits, '-', '_' or '.'") }
        let created = try await store.createFulfillment(NewFulfillment(tenant: tenant, id: id, orderId: orderId, createdAt: clock.now()))
        shipmentRegistered()
        return JSONResponse.make(.created, FulfillmentJSON(created))
    }

    func list(_ request: Request, _ context: Context) async throws(GatewayError) -> Response {
        let tenant = try context.tenant()
        let query = request.uri.queryParameters
        let filter: FulfillmentFilter
        // Trimmed as create and ship trim what they store.
        func value(_ name: String) -> String? { query.get(name).map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 } }
        switch (value("tracking_number"), value("order_id")) {
        case (let trackingNumber?, nil): filter = .trackingNumber(trackingNumber)
        case (nil, let orderId?): filter = .orderId(orderId)
        default: throw .badRequest("Exactly one of the query parameters tracking_number and order_id is required")
        }
        let found = try await store.fulfillments(tenant: tenant, where: filter)
        return JSONResponse.make(.ok, FulfillmentListJSON(fulfillments: found.map(FulfillmentJSON.init)))
    }

    func show(_ request: Request, _ context: Context) async throws(GatewayError) -> Response {
        let tenant = try context.tenant()
        let id = context.parameters.get("id") ?? ""
        guard let fulfillment = try await store.fulfillment(tenant: tenant, id: id) else {
            throw .notFound("Fulfillment '\(id)' not found")
        }
        return JSONResponse.make(.ok, FulfillmentJSON(fulfillment))
    }

    func command(_ request: Request, _ context: Context) async throws(GatewayError) -> Response {
        let tenant = try context.tenant()
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get("command") ?? ""
        let command: FulfillmentCommand
        switch name {
        case "pick": command = .pick
        case "pack": command = .pack
        case "ready": command = .ready
        case "deliver": command = .deliver
        case "cancel": command = .cancel
        case "ship":
            let body = try await request.decodeJSON(ShipBody.self, limit: maxBodyBytes)
            let carrier = body.carrier.trimmingWhitespace()
            let trackingNumber = body.trackingNumber.trimmingWhitespace()
            guard !carrier.isEmpty, !trackingNumber.isEmpty else { throw .badRequest("carrier and tracking_number must not be empty") }
            command = .ship(carrier: carrier, trackingNumber: trackingNumber, serviceLevel: body.serviceLevel)
        case "exception":
            let body = try await request.decodeJSON(ExceptionBody.self, limit: maxBodyBytes)
            var status = TrackingStatus.deliveryFailed
            if let name = body.status {
                guard let parsed = TrackingStatus(rawValue: name), parsed.isExceptionClass else {
                    throw .badRequest("status must be one of delivery_failed, delivery_delayed, on_hold, return_to_sender")
                }
                status = parsed
            }
            command = .exception(reason: body.reason, location: body.location, status: status)
        default:
            throw .notFound("Unknown command '\(name)'; commands are pick, pack, ready, ship, exception, deliver, cancel")
        }
        let updated = try await store.apply(command, tenant: tenant, fulfillmentId: id, at: clock.now())
        if case .ship = command { shipmentRegistered() }
        return JSONResponse.make(.ok, FulfillmentJSON(updated))
    }

    static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
