import Foundation
import ParcelGateCore

/// USPS tracking push in the Tracking v3 shape: one package, its `trackingEvents[]` newest first.
/// USPS publishes no signature scheme, so the default (hex HMAC in `X-USPS-Signature`) is a guess a
/// source is expected to configure.
///
/// `carrierStatusCode` is the scan's `eventCode` verbatim (`A1`), or its `eventType` text when a scan has no code.
struct USPSAdapter: CarrierAdapter {
    init() {}

    var slug: String { "usps" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Hex, header: "X-USPS-Signature")
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let trackingNumber = try root.requiredString("trackingNumber")
        var events: [TrackingEvent] = []
        var newest: (index: Int, at: Timestamp)?
        for scan in try root.objects("trackingEvents") ?? [] {
            let event = try Self.event(scan, trackingNumber: trackingNumber, context: context)
            if newest.map({ event.occurredAt > $0.at }) ?? true { newest = (events.count, event.occurredAt) }
            events.append(event)
        }
        // The package-level `statusCategory` describes the newest scan only: it names that scan's status
        // when its code is one we do not know, and no other's.
        if let newest, events.indices.contains(newest.index), events[newest.index].status == .unknown,
            let category = try root.text("statusCategory"), let status = Self.categories[Self.key(category)]
        {
            events[newest.index].status = status
        }
        // USPS gives no event id: each scan is deduplicated by its fingerprint.
        return NormalisedCallback(events: events)
    }

    static func event(_ scan: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let eventCode = try scan.text("eventCode")
        let eventType = try scan.text("eventType")
        guard let code = eventCode ?? eventType else { throw .invalidPayload("\(scan.fieldPath("eventCode")) is required") }
        let location = try Self.location(scan)
        var status = eventCode.flatMap { codes[$0.uppercased()] }
        if status == nil, let category = try scan.text("statusCategory") { status = categories[key(category)] }
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: status ?? .unknown, carrierStatusCode: code, description: eventType ?? code,
            occurredAt: try context.eventTime(try occurredAt(scan, location: location, context: context), field: scan.fieldPath("eventTimestamp")),
            location: location
        )
    }

    /// `GMTTimestamp` is UTC and wins. `eventTimestamp` is naive local time truncated to the minute:
    /// with `GMTOffset` it is read at that offset, without it in the location's zone.
    static func occurredAt(_ scan: JSONObject, location: TrackingLocation?, context: NormalisationContext) throws(GatewayError) -> Timestamp {
        if let gmt = try scan.dateTime("GMTTimestamp") {
            return gmt.instant ?? gmt.civil.timestamp(offsetSeconds: 0)
        }
        guard let local = try scan.dateTime("eventTimestamp") else {
            throw .invalidPayload("\(scan.fieldPath("GMTTimestamp")) or \(scan.fieldPath("eventTimestamp")) is required")
        }
        if let instant = local.instant { return instant }
        if let offsetText = try scan.text("GMTOffset") {
            guard let offset = CompactTime.offsetSeconds(offsetText) else {
                throw .invalidPayload("\(scan.fieldPath("GMTOffset")) must be an offset such as -07:00")
            }
            return local.civil.timestamp(offsetSeconds: offset)
        }
        return TimeZoneResolver.instant(local, location: location, defaultZone: context.defaultTimeZone)
    }

    /// `eventCity, eventState, eventZIP, eventCountry`; USPS leaves the country null for domestic scans,
    /// so a scan with a place but no country is in the US. A scan with no place at all has no location.
    static func location(_ scan: JSONObject) throws(GatewayError) -> TrackingLocation? {
        let city = try scan.text("eventCity"), state = try scan.text("eventState"), zip = try scan.text("eventZIP")
        let country = try scan.text("eventCountry")
        guard city != nil || state != nil || zip != nil || country != nil else { return nil }
        return AdapterSupport.location(city: city, region: state, postalCode: zip, country: country ?? "US")
    }

    /// CARRIERS.md's USPS event-code table.
    static let codes: [String: TrackingStatus] = {
        var table: [String: TrackingStatus] = [:]
        func add(_ status: TrackingStatus, _ keys: [String]) { for key in keys { table[key] = status } }
        add(.delivered, ["01"])
        add(.outForDelivery, ["OF"])
        add(.deliveryFailed, ["02"] + (52...56).map(String.init))
        add(.pickedUp, ["03"])
        add(.pending, ["GX", "MA"])
        add(.inTransit, ["10", "A1", "T1", "TL", "SF", "07", "PC"])
        add(.returnToSender, ["04", "05", "09"] + (21...31).map(String.init))
        return table
    }()

    /// USPS status categories, keyed lowercased with blanks and dashes removed.
    static let categories: [String: TrackingStatus] = [
        "preshipment": .pending, "accepted": .pickedUp, "intransit": .inTransit, "outfordelivery": .outForDelivery,
        "delivered": .delivered, "availableforpickup": .readyForPickup, "deliveryattempt": .deliveryFailed,
        "returntosender": .returnToSender, "returned": .returnToSender, "alert": .onHold,
    ]

    static func key(_ category: String) -> String {
        String(category.lowercased().unicodeScalars.filter { $0 != " " && $0 != "-" && $0 != "_" })
    }
}
