import Foundation
import ParcelGateCore

/// AfterShip tracking-update webhooks: the tracking in `msg` with `checkpoints[]` oldest first, signed
/// with a base64 HMAC-SHA256 of the raw body in `aftership-hmac-sha256`.
///
/// `event_id` identifies the callback (the dedupe receipt); it is not put on each checkpoint, where it
/// would make every scan of one callback look like the same scan. Checkpoints have no id of their own
/// (an `id` is used when present). `carrierStatusCode` is the checkpoint's `subtag` (`InTransit_002`),
/// which names the tag as well, else its `tag`, else the carrier's `raw_tag`.
struct AfterShipAdapter: CarrierAdapter {
    init() {}

    var slug: String { "aftership" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Base64, header: "aftership-hmac-sha256")
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let eventId = try root.text("event_id")
        let tracking = try root.requiredObject("msg")
        let trackingNumber = try tracking.requiredString("tracking_number")
        var events: [TrackingEvent] = []
        for checkpoint in try tracking.objects("checkpoints") ?? [] {
            events.append(try Self.event(checkpoint, trackingNumber: trackingNumber, context: context))
        }
        return NormalisedCallback(events: events, providerEventId: eventId)
    }

    static func event(_ checkpoint: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let subtag = try checkpoint.text("subtag")
        var tag = try checkpoint.text("tag")
        // `InTransit_007` names its tag before the underscore: enough when `tag` itself is missing.
        if tag == nil, let subtag, let underscore = subtag.firstIndex(of: "_") { tag = String(subtag[..<underscore]) }
        let rawTag = try checkpoint.text("raw_tag")
        guard let code = subtag ?? tag ?? rawTag else { throw .invalidPayload("\(checkpoint.fieldPath("tag")) is required") }
        // `created_at` is when AfterShip saw the checkpoint: only `checkpoint_time` is the scan's time.
        guard let parsed = try checkpoint.dateTime("checkpoint_time") else {
            throw .invalidPayload("\(checkpoint.fieldPath("checkpoint_time")) is required")
        }
        let location = try Self.location(checkpoint)
        var description = try checkpoint.text("message")
        if description == nil { description = try checkpoint.text("subtag_message") }
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: Self.status(tag: tag, subtag: subtag), carrierStatusCode: code, description: description ?? code,
            occurredAt: try context.eventTime(TimeZoneResolver.instant(parsed, location: location, defaultZone: context.defaultTimeZone),
                                              field: checkpoint.fieldPath("checkpoint_time")),
            location: location, providerEventId: try checkpoint.text("id")
        )
    }

    /// Subtag first (an acceptance scan is a pickup, an exception may be a delay, a return or a failed
    /// attempt), then tag; unmapped is `unknown`.
    static func status(tag: String?, subtag: String?) -> TrackingStatus {
        if let subtag, let mapped = subtags[subtag.lowercased()] { return mapped }
        if let tag, let mapped = tags[tag.lowercased()] { return mapped }
        return .unknown
    }

    static let tags: [String: TrackingStatus] = [
        "pending": .pending, "inforeceived": .pending, "intransit": .inTransit, "outfordelivery": .outForDelivery,
        "attemptfail": .deliveryFailed, "delivered": .delivered, "availableforpickup": .readyForPickup,
        "expired": .unknown, "exception": .onHold,
    ]

    static let subtags: [String: TrackingStatus] = [
        "intransit_002": .pickedUp,
        "exception_004": .deliveryDelayed, "exception_005": .deliveryDelayed,
        "exception_010": .returnToSender, "exception_011": .returnToSender,
        "exception_012": .deliveryFailed, "exception_013": .deliveryFailed,
    ]

    /// `city`, `state`, `postal_code` (older `zip`), `country_region` (older `country_iso3`), alpha-3 to
    /// alpha-2. Only the one-line `location` text when nothing structured is there.
    static func location(_ checkpoint: JSONObject) throws(GatewayError) -> TrackingLocation? {
        var postalCode = try checkpoint.text("postal_code")
        if postalCode == nil { postalCode = try checkpoint.text("zip") }
        var country = try checkpoint.text("country_region")
        if country == nil { country = try checkpoint.text("country_iso3") }
        if let structured = AdapterSupport.location(
            city: try checkpoint.text("city"), region: try checkpoint.text("state"), postalCode: postalCode, country: country
        ) {
            return structured
        }
        return try checkpoint.text("location").map { TrackingLocation(text: $0) }
    }
}
