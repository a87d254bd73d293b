import Logging
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// What an outbox event becomes (issue 15, "Event types"): the notifications a platform receives for it, each
/// with its body written once, here, so every attempt to every endpoint sends the same bytes.
///
/// A carrier scan or a platform command recorded as a domain event gives its own type
/// (`tracking.event_received`, `delivery.exception`, `delivery.confirmed`, or `fulfillment.status_changed` for
/// a platform command), and, when it changed the status, `fulfillment.status_changed` after it. A dead letter
/// gives `retry.exhausted`.
struct NotificationFanOut: Sendable {
    let logger: Logger

    func notifications(for event: OutboxEvent) -> [NewNotification] {
        var types: [WebhookEventType] = []
        if event.type == WebhookEventType.retryExhausted.rawValue {
            types = [.retryExhausted]
        } else if let domain = DomainEventType(rawValue: event.type) {
            types = [WebhookEventType(domain)]
            if domain != .fulfillmentStatusChanged, event.fromStatus != event.toStatus { types.append(.fulfillmentStatusChanged) }
        }
        var made: [NewNotification] = []
        for (position, type) in types.enumerated() {
            do {
                let eventId = try Self.eventId(event, type: type)
                let body = try WebhookPayload.body(for: input(event, type: type, eventId: eventId))
                let fulfillment = type == .retryExhausted ? nil : event.fulfillmentId
                var notification = NewNotification(sourceKey: "de:\(event.id):\(type.rawValue)", eventId: eventId, eventType: type.rawValue,
                                                   fulfillmentId: fulfillment, sequence: fulfillment == nil ? nil : event.sequence,
                                                   position: position, payload: Array(body))
                // Each delivery keeps the trace context of the change it notifies (README, "Tracing").
                notification.traceParent = event.traceParent
                made.append(notification)
            } catch {
                // A row no body can be written for (edited by hand, or from a later version) is skipped rather
                // than blocking every event behind it; it stays in `domain_events`.
                logger.error("Outbox event skipped", metadata: ["event": "\(event.id)", "type": "\(type.rawValue)", "detail": "\(error.detail)"])
            }
        }
        return made
    }

    /// Whether `endpoint` takes `notification` (its `event_types`; a stored name no longer known takes nothing).
    static func accepts(_ endpoint: EndpointRecord, _ notification: NewNotification) -> Bool {
        guard let type = WebhookEventType(rawValue: notification.eventType), let filter = try? EventTypeFilter(endpoint.eventTypes) else { return false }
        return filter.matches(type)
    }

    /// `evt_` and 96 bits of SHA-256 over the tenant, the outbox row and the type: the same on every replica
    /// that fans the event out, and for every endpoint it goes to.
    static func eventId(_ event: OutboxEvent, type: WebhookEventType) throws(GatewayError) -> String {
        let digest = try Crypto.sha256(Array("\(event.tenant)\n\(event.id)\n\(type.rawValue)".utf8))
        return "evt_" + ByteEncoding.hex(digest.prefix(12))
    }

    private func input(_ event: OutboxEvent, type: WebhookEventType, eventId: String) -> NotificationInput {
        if type == .retryExhausted {
            return NotificationInput(type: type, eventId: eventId, occurredAt: event.occurredAt, deadLetter: DeadLetterFacts(
                retryId: event.retryId ?? "", carrier: event.carrier ?? "", trackingNumber: event.trackingNumber, reason: event.retryReason ?? "",
                lastError: event.reason, attempts: event.retryAttempts ?? 0))
        }
        let location = event.location.map { TrackingLocation(text: $0) }
        let facts = FulfillmentFacts(
            id: event.fulfillmentId, orderId: event.orderId ?? "", status: FulfillmentStatus(rawValue: event.toStatus) ?? .pending,
            previousStatus: FulfillmentStatus(rawValue: event.fromStatus), sequence: event.sequence, carrier: event.carrier,
            trackingNumber: event.trackingNumber, serviceLevel: event.serviceLevel)
        let scan = event.trackingStatus.flatMap(TrackingStatus.init(rawValue:)).map { status in
            TrackingFacts(status: status, carrierStatusCode: event.scanCode, description: event.scanDescription ?? event.reason ?? status.rawValue,
                          location: location, occurredAt: event.occurredAt)
        }
        return NotificationInput(type: type, eventId: eventId, occurredAt: event.occurredAt, fulfillment: facts, trackingEvent: scan,
                                 reason: type == .deliveryException ? event.reason : nil, location: location)
    }
}
