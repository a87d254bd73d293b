import Foundation
import ParcelGateCore

/// Writes a notification's body: `{"type","id","timestamp","data":{...}}` (issue 15, "The request").
///
/// Keys come in a fixed, documented order rather than an encoder's: the body is signed and may be compared
/// byte for byte by a receiver or a test, and a retry must resend exactly the bytes first sent (the store
/// keeps them). Strings go through ``JSONText/quoted(_:)``, the gateway's one JSON string writer.
///
/// `data` holds `fulfillment_id, order_id, status, previous_status, sequence, carrier, tracking_number,
/// service_level` for the fulfillment types (`null` where unknown), then:
/// `tracking.event_received` → `tracking_event`; `delivery.exception` → `reason, location, tracking_event`;
/// `delivery.confirmed` → `location, tracking_event`. `retry.exhausted` holds `retry_id, carrier,
/// tracking_number, reason, last_error, attempts`; `ping` an empty object.
package enum WebhookPayload {
    /// The body's bytes; an input missing what its type needs, or with a malformed event id, is an error.
    package static func body(for input: NotificationInput) throws(GatewayError) -> Data {
        try validate(input)
        var json = JSONObjectText()
        json.string("type", input.type.rawValue)
        json.string("id", input.eventId)
        json.string("timestamp", input.occurredAt.rfc3339)
        json.raw("data", data(for: input))
        return Data(json.text.utf8)
    }

    /// An `evt_` id of letters, digits, `_` and `-`: ours, but it is echoed to every receiver.
    static let maxEventIdLength = 128

    private static func validate(_ input: NotificationInput) throws(GatewayError) {
        let suffix = input.eventId.utf8.dropFirst(4)
        guard input.eventId.hasPrefix("evt_"), !suffix.isEmpty, input.eventId.utf8.count <= maxEventIdLength,
            suffix.allSatisfy({ b in (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") })
        else { throw .internalError("A notification's id must be 'evt_' and up to \(maxEventIdLength - 4) letters, digits, '_' or '-'") }
        switch input.type {
        case .fulfillmentStatusChanged, .deliveryException, .deliveryConfirmed:
            guard input.fulfillment != nil else { throw .internalError("A \(input.type.rawValue) notification needs its fulfillment") }
        case .trackingEventReceived:
            guard input.fulfillment != nil, input.trackingEvent != nil else {
                throw .internalError("A \(input.type.rawValue) notification needs its fulfillment and tracking event")
            }
        case .retryExhausted:
            guard input.deadLetter != nil else { throw .internalError("A \(input.type.rawValue) notification needs its dead letter") }
        case .ping:
            break
        }
    }

    private static func data(for input: NotificationInput) -> String {
        var data = JSONObjectText()
        if let f = input.fulfillment {
            data.string("fulfillment_id", f.id)
            data.string("order_id", f.orderId)
            data.string("status", f.status.rawValue)
            data.string("previous_status", f.previousStatus?.rawValue)
            data.raw("sequence", String(f.sequence))
            data.string("carrier", f.carrier)
            data.string("tracking_number", f.trackingNumber)
            data.string("service_level", f.serviceLevel)
        }
        switch input.type {
        case .trackingEventReceived:
            data.raw("tracking_event", trackingEvent(input.trackingEvent))
        case .deliveryException:
            data.string("reason", input.reason)
            data.raw("location", location(input.location))
            data.raw("tracking_event", trackingEvent(input.trackingEvent))
        case .deliveryConfirmed:
            data.raw("location", location(input.location))
            data.raw("tracking_event", trackingEvent(input.trackingEvent))
        case .retryExhausted:
            if let d = input.deadLetter {
                data.string("retry_id", d.retryId)
                data.string("carrier", d.carrier)
                data.string("tracking_number", d.trackingNumber)
                data.string("reason", d.reason)
                data.string("last_error", d.lastError)
                data.raw("attempts", String(d.attempts))
            }
        case .fulfillmentStatusChanged, .ping:
            break
        }
        return data.text
    }

    private static func trackingEvent(_ event: TrackingFacts?) -> String {
        guard let event else { return "null" }
        var json = JSONObjectText()
        json.string("status", event.status.rawValue)
        json.string("carrier_status_code", event.carrierStatusCode)
        json.string("description", event.description)
        json.raw("location", location(event.location))
        json.string("occurred_at", event.occurredAt.rfc3339)
        return json.text
    }

    /// The platform API's location form: only the parts known, in this order.
    private static func location(_ location: TrackingLocation?) -> String {
        guard let location, !location.isEmpty else { return "null" }
        var json = JSONObjectText()
        if let city = location.city { json.string("city", city) }
        if let region = location.region { json.string("region", region) }
        if let postalCode = location.postalCode { json.string("postal_code", postalCode) }
        if let countryCode = location.countryCode { json.string("country_code", countryCode) }
        if let text = location.text { json.string("text", text) }
        return json.text
    }
}

/// A JSON object written member by member in call order.
private struct JSONObjectText {
    private var members: [String] = []

    mutating func string(_ key: String, _ value: String?) {
        raw(key, value.map(JSONText.quoted) ?? "null")
    }

    /// `value` is already JSON text.
    mutating func raw(_ key: String, _ value: String) {
        members.append(JSONText.quoted(key) + ":" + value)
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
