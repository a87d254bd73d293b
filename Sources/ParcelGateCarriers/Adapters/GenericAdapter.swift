import Foundation
import ParcelGateCore

/// The platform-neutral format of README, "HTTP contract", for carriers and test rigs that post our own shape:
/// `{"fulfillment_id"?, "tracking_number"?, "status", "location"?, "description"?, "occurred_at"?, "event_id"?}`.
package struct GenericAdapter: CarrierAdapter {
    package init() {}

    package var slug: String { "generic" }

    package var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Hex, header: "X-Carrier-Signature", prefix: "sha256=")
    }

    package func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let object = try JSONPayload(parsing: body).object()
        let fulfillmentId = try object.string("fulfillment_id")?.trimmingWhitespace()
        let trackingNumber = try object.string("tracking_number")?.trimmingWhitespace()
        guard !(fulfillmentId ?? "").isEmpty || !(trackingNumber ?? "").isEmpty else {
            throw .invalidPayload("One of tracking_number or fulfillment_id is required")
        }
        guard object.raw("status") == nil || object.isString("status") else { throw .invalidPayload("status must be a string") }
        let rawStatus = try object.requiredString("status")
        let occurredAt: Timestamp
        if let parsed = try object.dateTime("occurred_at") {
            // A naive time in the generic format is read in the source's zone, else UTC.
            occurredAt = try context.eventTime(parsed.instant ?? TimeZoneResolver.instant(parsed.civil, zone: context.defaultTimeZone), field: "occurred_at")
        } else {
            occurredAt = context.receivedAt
        }
        let location = try Self.location(object)
        let eventId = try object.string("event_id")
        let description = try object.string("description") ?? rawStatus
        let event = TrackingEvent(
            tenant: context.tenant, carrier: context.carrier,
            trackingNumber: trackingNumber.flatMap { $0.isEmpty ? nil : $0 },
            fulfillmentId: fulfillmentId.flatMap { $0.isEmpty ? nil : $0 },
            status: Self.status(rawStatus), carrierStatusCode: rawStatus, description: description,
            occurredAt: occurredAt, location: location, providerEventId: eventId
        )
        return NormalisedCallback(events: [event], providerEventId: eventId)
    }

    /// `location` is free text, or an object with `city`, `region`, `postal_code`, `country_code`.
    static func location(_ object: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let raw = object.raw("location") else { return nil }
        if case .string = raw {
            // Through the one checked reader, like every other text field (a NUL is refused there).
            return try object.text("location").map { TrackingLocation(text: $0) }
        }
        guard let nested = try object.object("location") else { return nil }
        let location = TrackingLocation(
            city: try nested.string("city"), region: try nested.string("region"),
            postalCode: try nested.string("postal_code"), countryCode: try nested.string("country_code")?.uppercased()
        )
        return location.isEmpty ? nil : location
    }

    /// Free-text status to canonical: the canonical names themselves, and the words platforms commonly use.
    static func status(_ raw: String) -> TrackingStatus {
        let key = raw.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
        if let exact = TrackingStatus(rawValue: key) { return exact }
        return synonyms[key] ?? .unknown
    }

    static let synonyms: [String: TrackingStatus] = [
        "label_created": .pending, "info_received": .pending, "pre_transit": .pending, "created": .pending,
        "picked": .pickedUp, "pickup": .pickedUp, "accepted": .pickedUp,
        "transit": .inTransit, "intransit": .inTransit, "tracking": .inTransit, "in_progress": .inTransit,
        "arrived": .inTransit, "departed": .inTransit, "shipped": .inTransit,
        "out_for_delivery": .outForDelivery, "outfordelivery": .outForDelivery, "with_courier": .outForDelivery,
        "available_for_pickup": .readyForPickup, "pickup_available": .readyForPickup,
        "delivered": .delivered, "completed": .delivered,
        "failed": .deliveryFailed, "failure": .deliveryFailed, "attempt_failed": .deliveryFailed,
        "delivery_attempted": .deliveryFailed, "exception": .deliveryFailed, "undeliverable": .deliveryFailed,
        "delayed": .deliveryDelayed, "delay": .deliveryDelayed,
        "held": .onHold, "hold": .onHold, "address_issue": .onHold, "damaged": .onHold,
        "returned": .returnToSender, "return": .returnToSender, "returning": .returnToSender,
        "canceled": .cancelled, "voided": .cancelled,
    ]
}
