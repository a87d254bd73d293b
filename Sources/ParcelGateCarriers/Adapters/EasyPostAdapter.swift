import Foundation
import ParcelGateCore

/// EasyPost `tracker.created` / `tracker.updated` events: the whole tracker, with its history in
/// `result.tracking_details[]` oldest first. Signed with a hex HMAC in `X-Hmac-Signature` after
/// `hmac-sha256-hex=`, keyed by the webhook secret after Unicode NFKD normalisation.
///
/// The event's top-level `id` is the callback's provider event id (the dedupe receipt). Tracking details
/// carry no id of their own, so each scan is deduplicated by its fingerprint (an `id` on a detail is used
/// when present). `carrierStatusCode` is EasyPost's `status/status_detail` (`in_transit/departed_facility`),
/// the pair the mapping reads; the underlying carrier's `carrier_code` is not used.
struct EasyPostAdapter: CarrierAdapter {
    init() {}

    var slug: String { "easypost" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Hex, header: "X-Hmac-Signature", prefix: "hmac-sha256-hex=", normalizesSecret: true)
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let eventId = try root.text("id")
        let tracker = try root.requiredObject("result")
        let trackingNumber = try tracker.requiredString("tracking_code")
        var events: [TrackingEvent] = []
        for detail in try tracker.objects("tracking_details") ?? [] {
            events.append(try Self.event(detail, trackingNumber: trackingNumber, context: context))
        }
        return NormalisedCallback(events: events, providerEventId: eventId)
    }

    static func event(_ detail: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let status = try detail.text("status")
        let statusDetail = try detail.text("status_detail")
        guard let code = AdapterSupport.joinedCode(status, statusDetail) else {
            throw .invalidPayload("\(detail.fieldPath("status")) is required")
        }
        // `created_at` / `updated_at` are EasyPost's own times, never the scan's: only `datetime` is read.
        guard let parsed = try detail.dateTime("datetime") else { throw .invalidPayload("\(detail.fieldPath("datetime")) is required") }
        let location = try Self.location(detail)
        var description = try detail.text("message")
        if description == nil { description = try detail.text("description") }
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: Self.status(status: status, detail: statusDetail), carrierStatusCode: code, description: description ?? code,
            occurredAt: try context.eventTime(TimeZoneResolver.instant(parsed, location: location, defaultZone: context.defaultTimeZone),
                                              field: detail.fieldPath("datetime")),
            location: location, providerEventId: try detail.text("id")
        )
    }

    /// `status_detail` first: EasyPost reports a weather delay or a held parcel as `in_transit` and
    /// says so only in the detail. Then `status`; anything unmapped is `unknown`.
    static func status(status: String?, detail: String?) -> TrackingStatus {
        if let detail, let mapped = details[detail.lowercased()] { return mapped }
        if let status, let mapped = statuses[status.lowercased()] { return mapped }
        return .unknown
    }

    static let details: [String: TrackingStatus] = [
        "delayed": .deliveryDelayed, "weather_delay": .deliveryDelayed, "held": .onHold,
    ]

    static let statuses: [String: TrackingStatus] = [
        "pre_transit": .pending, "in_transit": .inTransit, "out_for_delivery": .outForDelivery, "delivered": .delivered,
        "available_for_pickup": .readyForPickup, "return_to_sender": .returnToSender, "failure": .deliveryFailed,
        "cancelled": .cancelled, "error": .unknown, "unknown": .unknown,
    ]

    /// `tracking_location.{city,state,zip,country}`.
    static func location(_ detail: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let place = try detail.object("tracking_location") else { return nil }
        return AdapterSupport.location(
            city: try place.text("city"), region: try place.text("state"),
            postalCode: try place.text("zip"), country: try place.text("country")
        )
    }
}
