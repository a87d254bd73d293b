import Foundation
import ParcelGateCore

/// 17TRACK Tracking API v2 pushes (CARRIERS.md, "17TRACK"): `{event, data}` where `event` is
/// `TRACKING_UPDATED` or `TRACKING_STOPPED`. Signed with `sign: hex(SHA-256(body + "/" + API key))`, which
/// carries no timestamp: dedupe is the only replay defence.
///
/// An update lists `data.track_info.tracking.providers[]`, one per carrier the parcel passed through (an
/// origin post, then a last-mile carrier), each with its own `events[]` newest first and in its own local
/// time. Every event of every provider becomes a tracking event, in the order the body lists them; which one
/// is newest is decided by instant (``NormalisedCallback/newestEvent``, and the ledger by `occurredAt`),
/// never by position or by comparing local wall-clock strings.
///
/// A stop notice, and an update with no events yet (a `NotFound` push before the carrier has scanned), are
/// valid and carry nothing to apply: they are notices, acknowledged without changing anything.
/// 17TRACK gives no event ids, so each scan is deduplicated by its fingerprint.
struct SeventeenTrackAdapter: CarrierAdapter {
    init() {}

    var slug: String { "seventeentrack" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .sha256BodySlashKeyHex, header: "sign")
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let kind = try root.requiredString("event")
        let data = try root.requiredObject("data")
        let trackingNumber = try data.requiredString("number")
        switch kind.uppercased() {
        case "TRACKING_STOPPED":
            return .notice()
        case "TRACKING_UPDATED":
            let events = try Self.events(data, trackingNumber: trackingNumber, context: context)
            return events.isEmpty ? .notice() : NormalisedCallback(events: events)
        default:
            throw .invalidPayload("\(root.fieldPath("event")) must be TRACKING_UPDATED or TRACKING_STOPPED")
        }
    }

    /// Every provider's events. `latest_status` describes the newest scan (by instant) only: it names that
    /// scan's code and status when the scan has neither `sub_status` nor `stage`; any other scan without
    /// one is refused rather than given the parcel's current status.
    static func events(_ data: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> [TrackingEvent] {
        guard let trackInfo = try data.object("track_info") else { return [] }
        var events: [TrackingEvent] = []
        var uncoded: [(index: Int, field: String)] = []
        for provider in try trackInfo.object("tracking")?.objects("providers") ?? [] {
            for entry in try provider.objects("events") ?? [] {
                let (event, hasCode) = try Self.event(entry, trackingNumber: trackingNumber, context: context)
                if !hasCode { uncoded.append((events.count, entry.fieldPath("sub_status"))) }
                events.append(event)
            }
        }
        guard !uncoded.isEmpty else { return events }
        let newest = NormalisedCallback.newestIndex(of: events)
        let latest = try trackInfo.object("latest_status")
        let status = try latest?.text("status")
        let subStatus = try latest?.text("sub_status")
        for (index, field) in uncoded {
            guard index == newest, let code = subStatus ?? status else { throw .invalidPayload("\(field) is required") }
            events[index].carrierStatusCode = code
            events[index].status = SeventeenTrackStatus.status(subStatus: subStatus, stage: nil, status: status)
            if events[index].description.isEmpty { events[index].description = code }
        }
        return events
    }

    /// One event: status from its `sub_status`, else `stage` (``SeventeenTrackStatus``); its time from
    /// ``SeventeenTrackTime``; its place from `address`, else the one-line `location`. `hasCode` is false
    /// when the event names neither (code and status are then left for `latest_status` to fill).
    static func event(_ entry: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> (event: TrackingEvent, hasCode: Bool) {
        let subStatus = try entry.text("sub_status")
        let stage = try entry.text("stage")
        let location = try Self.location(entry)
        let code = subStatus ?? stage
        let event = TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: SeventeenTrackStatus.status(subStatus: subStatus, stage: stage, status: nil), carrierStatusCode: code ?? "",
            description: try entry.text("description") ?? code ?? "",
            occurredAt: try SeventeenTrackTime.instant(entry, location: location, context: context), location: location
        )
        return (event, code != nil)
    }

    /// `address.{city,state,postal_code,country}`; the one-line `location` only when nothing structured is there.
    static func location(_ entry: JSONObject) throws(GatewayError) -> TrackingLocation? {
        if let address = try entry.object("address"), let structured = AdapterSupport.location(
            city: try address.text("city"), region: try address.text("state"),
            postalCode: try address.text("postal_code"), country: try address.text("country")
        ) {
            return structured
        }
        return try entry.text("location").map { TrackingLocation(text: $0) }
    }
}
