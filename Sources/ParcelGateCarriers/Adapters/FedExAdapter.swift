import Foundation
import ParcelGateCore

/// FedEx Advanced Integrated Visibility: a Track API result pushed to us, signed with a base64
/// HMAC-SHA256 of the raw body in `fdx-signature`.
///
/// Every scan event of every result becomes an event, in the order FedEx lists them (newest first).
/// `carrierStatusCode` is the scan's `eventType` (`DE`), followed by `/exceptionCode` when the scan
/// carries one (`DE/08`): the exception code is the reason, and FedEx gives no event id to keep it apart.
struct FedExAdapter: CarrierAdapter {
    init() {}

    var slug: String { "fedex" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .hmacSHA256Base64, header: "fdx-signature")
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let output = try root.requiredObject("output")
        var events: [TrackingEvent] = []
        for complete in try output.requiredObjects("completeTrackResults") {
            let outerNumber = try complete.text("trackingNumber")
            for result in try complete.objects("trackResults") ?? [] {
                // The documented `completeTrackResults[].trackingNumber`, else the result's own.
                var trackingNumber = outerNumber
                if trackingNumber == nil { trackingNumber = try result.object("trackingNumberInfo")?.text("trackingNumber") }
                guard let trackingNumber else { throw .invalidPayload("\(complete.fieldPath("trackingNumber")) is required") }
                for scan in try result.objects("scanEvents") ?? [] {
                    events.append(try Self.event(scan, trackingNumber: trackingNumber, context: context))
                }
            }
        }
        // FedEx gives no event id: each scan is deduplicated by its fingerprint.
        return NormalisedCallback(events: events)
    }

    static func event(_ scan: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        let eventType = try scan.text("eventType")
        let derived = try scan.text("derivedStatusCode")
        guard let code = eventType ?? derived else { throw .invalidPayload("\(scan.fieldPath("eventType")) is required") }
        let exceptionCode = try scan.text("exceptionCode")
        guard let parsed = try scan.dateTime("date") else { throw .invalidPayload("\(scan.fieldPath("date")) is required") }
        let location = try Self.location(scan)
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: status(eventType: eventType, derivedStatusCode: derived),
            carrierStatusCode: AdapterSupport.joinedCode(code, exceptionCode) ?? code,
            description: try description(scan, fallback: code),
            // The offset FedEx writes is the scan's local one: it is kept, so the instant is right.
            occurredAt: try context.eventTime(TimeZoneResolver.instant(parsed, location: location, defaultZone: context.defaultTimeZone),
                                              field: scan.fieldPath("date")),
            location: location
        )
    }

    /// The scan's own event type first, then FedEx's derived status code; unmapped is `unknown`.
    static func status(eventType: String?, derivedStatusCode: String?) -> TrackingStatus {
        if let eventType, let status = eventTypes[eventType.uppercased()] { return status }
        if let derivedStatusCode, let status = derivedCodes[derivedStatusCode.uppercased()] { return status }
        return .unknown
    }

    /// `eventDescription`, and the exception's own words after it when there are some
    /// (`Delivery exception: Customer not available or business closed`).
    static func description(_ scan: JSONObject, fallback: String) throws(GatewayError) -> String {
        var description = try scan.text("eventDescription")
        if description == nil { description = try scan.text("derivedStatus") }
        let exception = try scan.text("exceptionDescription")
        switch (description, exception) {
        case let (description?, exception?) where description.caseInsensitiveCompare(exception) != .orderedSame:
            return description + ": " + exception
        case let (description?, _): return description
        case let (nil, exception?): return exception
        case (nil, nil): return fallback
        }
    }

    /// `scanLocation.{city,stateOrProvinceCode,postalCode,countryCode}`.
    static func location(_ scan: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let place = try scan.object("scanLocation") else { return nil }
        return AdapterSupport.location(
            city: try place.text("city"), region: try place.text("stateOrProvinceCode"),
            postalCode: try place.text("postalCode"), country: try place.text("countryCode")
        )
    }

    /// CARRIERS.md's FedEx event-type table.
    static let eventTypes: [String: TrackingStatus] = {
        var table: [String: TrackingStatus] = [:]
        func add(_ status: TrackingStatus, _ keys: [String]) { for key in keys { table[key] = status } }
        add(.delivered, ["DL"])
        add(.outForDelivery, ["OD", "AD", "ED"])
        add(.deliveryFailed, ["DE"])
        add(.pickedUp, ["PU", "PX", "OF", "AP"])
        add(.pending, ["OC", "OX", "EP", "MD"])
        add(.inTransit, ["IT", "IX", "AA", "AC", "AF", "AR", "AX", "DP", "EA", "EO", "FD", "LO", "OW", "PF", "PL", "PM", "SF", "TR"])
        add(.onHold, ["CD", "SE", "HA"])
        add(.deliveryDelayed, ["DY", "DD", "PY"])
        add(.readyForPickup, ["HL", "HP"])
        add(.returnToSender, ["RS", "RT"])
        add(.cancelled, ["CA", "RD"])
        return table
    }()

    /// Derived status codes use the event-type vocabulary, plus `IN` (initiated: label created).
    static let derivedCodes: [String: TrackingStatus] = eventTypes.merging(["IN": .pending]) { current, _ in current }
}
