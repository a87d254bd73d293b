import Foundation
import ParcelGateCore

/// UPS Track Alert: one activity per callback, authenticated by the subscription's credential echoed
/// back in a header (v1 `credential`, v2 `Authorization: Bearer`), never an HMAC.
///
/// `carrierStatusCode` is `type/code` (`I/DP`, `X/48`): neither field alone identifies a UPS activity,
/// and the pair is what the mapping reads. A payload with only one of them keeps that one.
struct UPSAdapter: CarrierAdapter {
    init() {}

    var slug: String { "ups" }

    var defaultSignature: SignatureSettings {
        SignatureSettings(
            scheme: .staticToken, header: "credential",
            alternatives: [SignatureSettings.HeaderLocation(header: "Authorization", prefix: "Bearer ")]
        )
    }

    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback {
        let root = try JSONPayload(parsing: body).object()
        let trackingNumber = try root.requiredString("trackingNumber")
        let activity = try root.requiredObject("activityStatus")
        let type = try activity.text("type")
        let code = try activity.text("code")
        guard let statusCode = AdapterSupport.joinedCode(type, code) else {
            throw .invalidPayload("\(activity.fieldPath("type")) or \(activity.fieldPath("code")) is required")
        }
        let location = try Self.location(root)
        let event = TrackingEvent(
            tenant: context.tenant, carrier: context.carrier, trackingNumber: trackingNumber,
            status: Self.status(type: type, code: code), carrierStatusCode: statusCode,
            description: try activity.text("description") ?? statusCode,
            occurredAt: try context.eventTime(try Self.occurredAt(root, location: location, context: context), field: root.fieldPath("localActivityDate")),
            location: location
        )
        // UPS gives no event id: the per-scan fingerprint (tracking number, time, type/code) dedupes.
        return NormalisedCallback(events: [event])
    }

    // MARK: Status

    /// Code first, then type (CARRIERS.md: UPS sends out-for-delivery as `I` with code `OT`).
    /// Under type `X`, a failed-attempt reason is `delivery_failed`, not the generic exception `on_hold`.
    static func status(type: String?, code: String?) -> TrackingStatus {
        let type = type?.uppercased(), code = code?.uppercased()
        if type == "X", let code, failedAttemptCodes.contains(code) { return .deliveryFailed }
        if let code, let status = codes[code] { return status }
        if let type, let status = codes[type] { return status }
        return .unknown
    }

    /// Exception reasons that mean a delivery was attempted and failed: 48 receiver not available,
    /// 51 business closed, 55 no access to the delivery location.
    static let failedAttemptCodes: Set<String> = ["48", "51", "55"]

    /// CARRIERS.md's UPS table. Types (`D`, `I`, `M`, `MV`, `X`) share it with codes, as the table does;
    /// `P` (the pickup activity type) is added as picked up.
    static let codes: [String: TrackingStatus] = {
        var table: [String: TrackingStatus] = [:]
        func add(_ status: TrackingStatus, _ keys: [String]) { for key in keys { table[key] = status } }
        add(.outForDelivery, ["OT", "OD", "OF", "DL"])
        add(.delivered, ["D", "FS", "KB", "F4"])
        add(.inTransit, ["I", "DP", "AA", "AR", "AF", "AL", "DS", "IH", "AP"])
        add(.pending, ["M", "MP", "XD", "OA", "DD"])
        add(.pickedUp, ["P", "OR", "PU", "OC", "OG"])
        add(.deliveryFailed, ["RF", "UR", "UF", "CC"])
        add(.deliveryDelayed, ["DY", "DE", "SD"])
        add(.returnToSender, ["RS", "RT", "RH", "RU"])
        add(.readyForPickup, ["RP", "UU", "AC", "WC"])
        add(.cancelled, ["MV", "VD", "CA", "CN", "CV"])
        add(.onHold, ["X", "EX", "HX", "HD", "HI", "HS", "HU", "NH"])
        return table
    }()

    // MARK: Time and place

    /// `gmtActivityDate` + `gmtActivityTime` are UTC and win. Without them, the local pair with
    /// `gmtOffset` (`-05.00`), and without an offset the local pair in the location's zone.
    static func occurredAt(_ root: JSONObject, location: TrackingLocation?, context: NormalisationContext) throws(GatewayError) -> Timestamp {
        if let date = try root.text("gmtActivityDate") {
            return try civil(root, date: date, dateKey: "gmtActivityDate", timeKey: "gmtActivityTime").timestamp(offsetSeconds: 0)
        }
        guard let date = try root.text("localActivityDate") else {
            throw .invalidPayload("\(root.fieldPath("gmtActivityDate")) is required")
        }
        let local = try civil(root, date: date, dateKey: "localActivityDate", timeKey: "localActivityTime")
        if let offsetText = try root.text("gmtOffset") {
            guard let offset = CompactTime.offsetSeconds(offsetText) else {
                throw .invalidPayload("\(root.fieldPath("gmtOffset")) must be an offset such as -05.00")
            }
            return local.timestamp(offsetSeconds: offset)
        }
        return TimeZoneResolver.instant(local, zone: TimeZoneResolver.zone(for: location) ?? context.defaultTimeZone)
    }

    private static func civil(_ root: JSONObject, date: String, dateKey: String, timeKey: String) throws(GatewayError) -> CivilDateTime {
        guard let time = try root.text(timeKey) else { throw .invalidPayload("\(root.fieldPath(timeKey)) is required") }
        guard let civil = CompactTime.civil(date: date, time: time) else {
            throw .invalidPayload("\(root.fieldPath(dateKey)) and \(root.fieldPath(timeKey)) must be YYYYMMDD and HHMMSS")
        }
        return civil
    }

    /// `activityLocation.{city,stateProvince,postalCode,country}`; Track Alert v2 may nest them in `address`.
    static func location(_ root: JSONObject) throws(GatewayError) -> TrackingLocation? {
        guard let outer = try root.object("activityLocation") else { return nil }
        let fields = try outer.object("address") ?? outer
        var country = try fields.text("country")
        if country == nil { country = try fields.text("countryCode") }
        return AdapterSupport.location(
            city: try fields.text("city"), region: try fields.text("stateProvince"),
            postalCode: try fields.text("postalCode"), country: country
        )
    }
}

/// UPS's compact date-time forms: `YYYYMMDD`, `HHMMSS` (or `HHMM`) and offsets like `-05.00`.
/// Digits are read byte by byte: no formatter, and no input can index out of range.
enum CompactTime {
    static func civil(date: String, time: String) -> CivilDateTime? {
        let d = Array(date.utf8), t = Array(time.utf8)
        guard d.count == 8, t.count == 6 || t.count == 4,
            let year = number(d, 0, 4), let month = number(d, 4, 2), let day = number(d, 6, 2),
            let hour = number(t, 0, 2), let minute = number(t, 2, 2)
        else { return nil }
        let second = t.count == 6 ? number(t, 4, 2) : 0
        guard let second else { return nil }
        let civil = CivilDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return civil.isValid ? civil : nil
    }

    /// `-05.00`, `+05:30`, `-5.00` to seconds east of UTC; hours then minutes, not decimal hours.
    static func offsetSeconds(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let parts = bytes.dropFirst().split(omittingEmptySubsequences: false) { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
        guard parts.count <= 2, let hoursPart = parts.first, (1...2).contains(hoursPart.count),
            let hours = number(Array(hoursPart), 0, hoursPart.count)
        else { return nil }
        var minutes = 0
        if parts.count == 2 {
            let minutesPart = Array(parts[1])
            guard minutesPart.count == 2, let value = number(minutesPart, 0, 2) else { return nil }
            minutes = value
        }
        guard hours <= 14, minutes < 60 else { return nil }
        return (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ width: Int) -> Int? {
        guard start >= 0, width > 0, start + width <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + width)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
