import Foundation
import ParcelGateCore

/// ShipEngine `track` webhooks, and ShipStation API v2's, which share the body: `{resource_url,
/// resource_type, data}` with `resource_type` `API_TRACK` (ShipEngine) or `TRACK_EVENT_V2` (ShipStation v2)
/// and `data.events[]` newest first. Signed with RSA-SHA256 over `"<x-shipengine-timestamp>." + body`, the key
/// named by `x-shipengine-rsa-sha256-key-id` in a JWKS (`rsa-sha256-jwks`; CARRIERS.md, "ShipEngine").
///
/// ShipEngine gives no webhook event id, so none is set and each scan is deduplicated by its fingerprint.
/// `carrierStatusCode` is `status_code/status_detail_code` (`IT/OUT_FOR_DELIVERY`): the status code alone
/// hides out-for-delivery under `IT` and label creation under `AC`.
struct ShipEngineAdapter: CarrierAdapter {
    init() {}

    var slug: String { "shipengine" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .rsaSHA256JWKS, header: "x-shipengine-rsa-sha256-signature", toleranceSeconds: 300,
                          defaultKeySetURL: "https://api.shipengine.com/jwks")
    }

    static let resourceTypes: Set<String> = ["API_TRACK", "TRACK_EVENT_V2"]

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let resourceType = try root.text("resource_type")
        guard let resourceType, Self.resourceTypes.contains(resourceType) else {
            throw .invalidPayload("resource_type must be one of \(Self.resourceTypes.sorted().joined(separator: ", "))")
        }
        let data = try root.requiredObject("data")
        let trackingNumber = try data.requiredString("tracking_number")
        let entries = try data.requiredObjects("events")
        guard !entries.isEmpty else { throw .invalidPayload("\(data.fieldPath("events")) holds no event") }
        let current = try Codes(data)
        let domestic = Self.isDomestic(carrierCode: try data.text("carrier_code"))
        var events: [TrackingEvent] = []
        for (index, entry) in entries.enumerated() {
            // Only the newest event may take the top-level codes: they describe the shipment's current state,
            // which an older scan with null codes is not.
            events.append(try Self.event(entry, trackingNumber: trackingNumber, fallback: index == 0 ? current : nil, domestic: domestic, context: context))
        }
        return NormalisedCallback(events: events)
    }

    /// The codes ShipEngine sets on an event and, for the current state, on `data` itself.
    struct Codes {
        var status: String?
        var detail: String?
        /// The carrier's own code (`carrier_status_code`, else an event's `event_code`).
        var carrier: String?

        init(status: String?, detail: String?, carrier: String?) {
            self.status = status
            self.detail = detail
            self.carrier = carrier
        }

        init(_ object: JSONObject) throws(GatewayError) {
            status = try object.text("status_code")?.uppercased()
            detail = try object.text("status_detail_code")?.uppercased()
            let carrierStatus = try object.text("carrier_status_code"), eventCode = try object.text("event_code")
            carrier = carrierStatus ?? eventCode
        }

        var hasStatus: Bool { status != nil || detail != nil }
    }

    static func event(_ entry: JSONObject, trackingNumber: String, fallback: Codes?, domestic: Bool, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let own = try Codes(entry)
        let codes = own.hasStatus ? own : fallback.map { Codes(status: $0.status, detail: $0.detail, carrier: own.carrier ?? $0.carrier) } ?? own
        guard let code = AdapterSupport.joinedCode(codes.status, codes.detail) ?? codes.carrier else {
            throw .invalidPayload("\(entry.fieldPath("status_code")) is required")
        }
        // `occurred_at` is UTC; `carrier_occurred_at` is local wall-clock time without an offset, so it names
        // no instant and is never used. A naive `occurred_at` is still UTC, as documented.
        guard let parsed = try entry.dateTime("occurred_at") else { throw .invalidPayload("\(entry.fieldPath("occurred_at")) is required") }
        let described = try entry.text("description"), carrierText = try entry.text("carrier_status_description")
        let detailText = try entry.text("status_detail_description")
        let description = described ?? carrierText ?? detailText
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: status(codes), carrierStatusCode: code, description: description ?? code,
            occurredAt: try context.eventTime(parsed.instant ?? parsed.civil.timestamp(offsetSeconds: 0), field: entry.fieldPath("occurred_at")),
            location: try location(entry, domestic: domestic)
        )
    }

    /// The detail code first (it tells `IT/OUT_FOR_DELIVERY` from transit, `AC/SHIPMENT_CREATED` from a pickup,
    /// `AT/CUSTOMER_CARDED` as a failed attempt), then the status code. The carrier's own code maps to nothing.
    static func status(_ codes: Codes) -> TrackingStatus {
        if let detail = codes.detail, let mapped = details[detail] { return mapped }
        if let status = codes.status, let mapped = statuses[status] { return mapped }
        return .unknown
    }

    /// CARRIERS.md, "ShipEngine": `SP` is delivered to a service point, so delivered too.
    static let statuses: [String: TrackingStatus] = [
        "UN": .unknown, "NY": .pending, "AC": .pickedUp, "IT": .inTransit, "DE": .delivered, "SP": .delivered,
        "EX": .onHold, "AT": .deliveryFailed,
    ]

    static let details: [String: TrackingStatus] = [
        "OUT_FOR_DELIVERY": .outForDelivery,
        "SHIPMENT_CREATED": .pending,
        "CUSTOMER_CARDED": .deliveryFailed,
        "PICKED_UP": .pickedUp,
    ]

    /// USPS leaves `country_code` empty on domestic scans (CARRIERS.md), so its scans with a place are in the US.
    static func isDomestic(carrierCode: String?) -> Bool { carrierCode?.lowercased() == "usps" }

    /// `city_locality, state_province, postal_code, country_code`; blanks are absent, and an event with none
    /// has no location. A facility name in `city_locality` is split by `AdapterSupport.location`.
    static func location(_ entry: JSONObject, domestic: Bool) throws(GatewayError) -> TrackingLocation? {
        let city = try entry.text("city_locality"), region = try entry.text("state_province")
        let postalCode = try entry.text("postal_code"), country = try entry.text("country_code")
        guard city != nil || region != nil || postalCode != nil || country != nil else { return nil }
        return AdapterSupport.location(city: city, region: region, postalCode: postalCode, country: country ?? (domestic ? "US" : nil))
    }
}
