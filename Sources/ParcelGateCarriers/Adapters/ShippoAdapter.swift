import Foundation
import ParcelGateCore

/// Shippo `track_updated`: the tracker with `data.tracking_history[]` oldest first and the current
/// `data.tracking_status`. Signed Stripe-style: `Shippo-Auth-Signature: t=<unix>,v1=<hex>` over
/// `"<t>." + body`, 300 s tolerance.
///
/// `carrierStatusCode` is `STATUS/substatus` (`TRANSIT/out_for_delivery`): Shippo keeps `TRANSIT` for
/// out-for-delivery and failed attempts, so the status alone would hide the difference.
/// Shippo documents its webhooks as not idempotent and gives no event id, so none is set and each scan
/// is deduplicated by its fingerprint (the entries' `object_id`s are Shippo's records, not event ids).
struct ShippoAdapter: CarrierAdapter {
    init() {}

    var slug: String { "shippo" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Timestamped, header: "Shippo-Auth-Signature", toleranceSeconds: 300)
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let data = try root.requiredObject("data")
        let trackingNumber = try data.requiredString("tracking_number")
        var entries = try data.objects("tracking_history") ?? []
        // The current status is normally the last history entry again; it counts on its own only when
        // the history does not hold it (empty history, or an `object_id` the history lacks).
        if let current = try data.object("tracking_status") {
            var knownIds: Set<String> = []
            for entry in entries { if let id = try entry.text("object_id") { knownIds.insert(id) } }
            let currentId = try current.text("object_id")
            if entries.isEmpty || currentId.map({ !knownIds.contains($0) }) ?? false { entries.append(current) }
        }
        var events: [TrackingEvent] = []
        for entry in entries {
            events.append(try Self.event(entry, trackingNumber: trackingNumber, context: context))
        }
        return NormalisedCallback(events: events)
    }

    static func event(_ entry: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let status = try entry.text("status")
        var substatus: String?
        var substatusText: String?
        if entry.isString("substatus") {
            substatus = try entry.text("substatus")
        } else if let nested = try entry.object("substatus") {
            substatus = try nested.text("code")
            substatusText = try nested.text("text")
        }
        guard let code = AdapterSupport.joinedCode(status, substatus) else {
            throw .invalidPayload("\(entry.fieldPath("status")) is required")
        }
        guard let parsed = try entry.dateTime("status_date") else { throw .invalidPayload("\(entry.fieldPath("status_date")) is required") }
        var description = try entry.text("status_details")
        if description == nil { description = substatusText }
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: Self.status(status: status, substatus: substatus), carrierStatusCode: code, description: description ?? code,
            // Shippo documents `status_date` as UTC, so a date without an offset is read as UTC, not local.
            // `object_created` is Shippo's ingestion time and never the event time.
            occurredAt: try context.eventTime(parsed.instant ?? parsed.civil.timestamp(offsetSeconds: 0), field: entry.fieldPath("status_date")),
            location: try Self.location(entry)
        )
    }

    /// Substatus first (CARRIERS.md: only it tells out-for-delivery and failed attempts from transit), then status.
    static func status(status: String?, substatus: String?) -> TrackingStatus {
        if let substatus, let mapped = substatuses[substatus.lowercased()] { return mapped }
        if let status, let mapped = statuses[status.uppercased()] { return mapped }
        return .unknown
    }

    static let statuses: [String: TrackingStatus] = [
        "PRE_TRANSIT": .pending, "TRANSIT": .inTransit, "DELIVERED": .delivered,
        "RETURNED": .returnToSender, "FAILURE": .deliveryFailed, "UNKNOWN": .unknown,
    ]

    static let substatuses: [String: TrackingStatus] = [
        "out_for_delivery": .outForDelivery,
        "delivery_attempted": .deliveryFailed, "notice_left": .deliveryFailed,
        "pickup_available": .readyForPickup,
        "delayed": .deliveryDelayed,
        "package_held": .onHold, "address_issue": .onHold, "contact_carrier": .onHold,
        "location_inaccessible": .onHold, "package_damaged": .onHold,
        "package_accepted": .pickedUp,
    ]

    /// `location.{city,state,zip,country}`.
    static func location(_ entry: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let place = try entry.object("location") else { return nil }
        return AdapterSupport.location(
            city: try place.text("city"), region: try place.text("state"),
            postalCode: try place.text("zip"), country: try place.text("country")
        )
    }
}
