import Foundation
import ParcelGateCore

/// DHL Shipment Tracking - Unified push: `shipments[]`, each with its `events[]` newest first,
/// authenticated by a static token in a header chosen at subscription (`X-DHL-Push-Token` by default).
///
/// `carrierStatusCode` is DHL's `statusCode` verbatim (`transit`). DHL has five codes only, so
/// out for delivery is read from the description (CARRIERS.md).
struct DHLAdapter: CarrierAdapter {
    init() {}

    var slug: String { "dhl" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(scheme: .staticToken, header: "X-DHL-Push-Token")
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        var events: [TrackingEvent] = []
        for shipment in try root.requiredObjects("shipments") {
            let trackingNumber = try shipment.requiredString("id")
            var scans = try shipment.objects("events") ?? []
            // A push may carry only the current `status`: it is then the one event.
            if scans.isEmpty, let status = try shipment.object("status") { scans = [status] }
            for scan in scans {
                events.append(try Self.event(scan, trackingNumber: trackingNumber, context: context))
            }
        }
        // DHL gives no event id: each scan is deduplicated by its fingerprint.
        return NormalisedCallback(events: events)
    }

    static func event(_ scan: JSONObject, trackingNumber: String, context: NormalisationContext) throws(GatewayError) -> TrackingEvent {
        var code = try scan.text("statusCode")
        if code == nil { code = try scan.text("status") }
        guard let code else { throw .invalidPayload("\(scan.fieldPath("statusCode")) is required") }
        guard let parsed = try scan.dateTime("timestamp") else { throw .invalidPayload("\(scan.fieldPath("timestamp")) is required") }
        let description = try scan.text("description") ?? code
        let location = try Self.location(scan)
        return TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: status(code: code, description: description), carrierStatusCode: code, description: description,
            // DHL writes some timestamps with an offset and some without: naive ones are local to the scan.
            occurredAt: try context.eventTime(TimeZoneResolver.instant(parsed, location: location, defaultZone: context.defaultTimeZone),
                                              field: scan.fieldPath("timestamp")),
            location: location
        )
    }

    /// `pre-transit` pending (not in transit), `transit` in transit unless the description says the
    /// courier has it, `failure` a failed attempt, `unknown` (and anything new) unknown.
    static func status(code: String, description: String) -> TrackingStatus {
        switch code.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "pre-transit": return .pending
        case "transit":
            let text = description.lowercased()
            return text.contains("out for delivery") || text.contains("with courier") ? .outForDelivery : .inTransit
        case "delivered": return .delivered
        case "failure": return .deliveryFailed
        default: return .unknown
        }
    }

    /// `location.address.{addressLocality,postalCode,countryCode}`, the locality split as DHL writes it.
    static func location(_ scan: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let address = try scan.object("location")?.object("address") else { return nil }
        let (city, region) = locality(try address.text("addressLocality"))
        return AdapterSupport.location(
            city: city, region: region, postalCode: try address.text("postalCode"), country: try address.text("countryCode")
        )
    }

    /// DHL writes the locality as `CITY - COUNTRY NAME` or `CITY, ST - COUNTRY NAME`: the country name
    /// duplicates `countryCode` and is dropped, and a two- or three-letter state after the comma becomes
    /// the region, so a naive US time can be read in the state's zone. Anything else stays the city.
    static func locality(_ text: String?) -> (city: String?, region: String?) {
        guard var city = text else { return (nil, nil) }
        if let dash = city.range(of: " - ", options: .backwards) { city = String(city[..<dash.lowerBound]) }
        var region: String?
        if let comma = city.range(of: ", ", options: .backwards) {
            let candidate = city[comma.upperBound...].trimmingWhitespace()
            if (2...3).contains(candidate.utf8.count), candidate.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) {
                region = candidate
                city = String(city[..<comma.lowerBound])
            }
        }
        let trimmed = city.trimmingWhitespace()
        return (trimmed.isEmpty ? nil : trimmed, region)
    }
}
