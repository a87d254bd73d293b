import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// Malformed bodies are `invalid_payload` naming the field, and no input crashes an adapter.
@Suite("Adapter input handling")
struct AdapterInputTests {
    static let garbage: [String] = ["", "not json", "{", "[]", "{}", "null", "42", "\"text\"", "true", "[{}]", "{\"a\":", "\u{FEFF}{}"]

    @Test("Garbage bodies are invalid_payload for every carrier", arguments: carrierSlugs)
    func garbageIsInvalidPayload(_ carrier: String) throws {
        let adapter = try #require(registeredAdapter(carrier))
        for text in Self.garbage {
            let error = thrownError { () throws(GatewayError) in try adapter.normalise(Data(text.utf8), context: fixtureContext(carrier: carrier)) }
            #expect(error?.code == "invalid_payload", "\(carrier) body \(text.debugDescription): got \(error.map { $0.code } ?? "success")")
            #expect(error?.httpStatus == 400)
        }
    }

    struct Malformed: Sendable, CustomStringConvertible {
        let carrier: String
        let body: String
        /// Text the error detail must contain (the field it names).
        let names: String
        var description: String { "\(carrier): \(names)" }
    }

    static let malformed: [Malformed] = [
        // UPS
        Malformed(carrier: "ups", body: #"{"activityStatus":{"type":"I","code":"DP"},"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "trackingNumber is required"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":true,"activityStatus":{"type":"I"},"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "trackingNumber must be a string"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"   ","activityStatus":{"type":"I"},"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "trackingNumber is required"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":"I","gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "activityStatus must be an object"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"description":"x"},"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "activityStatus.type"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"gmtActivityDate":"2025-11-19","gmtActivityTime":"031500"}"#, names: "gmtActivityDate"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"gmtActivityDate":"20251119","gmtActivityTime":"256100"}"#, names: "gmtActivityTime"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"gmtActivityDate":"20251119"}"#, names: "gmtActivityTime is required"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"}}"#, names: "gmtActivityDate is required"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"localActivityDate":"20251119","localActivityTime":"101500","gmtOffset":"EST"}"#, names: "gmtOffset"),
        Malformed(carrier: "ups", body: #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"activityLocation":[],"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#, names: "activityLocation must be an object"),
        // FedEx
        Malformed(carrier: "fedex", body: #"{"transactionId":"x"}"#, names: "output is required"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":{}}}"#, names: "output.completeTrackResults must be an array"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":[{"trackResults":[{"scanEvents":[]}]}]}}"#, names: "trackingNumber is required"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":[{"trackingNumber":"7946","trackResults":[{"scanEvents":[1]}]}]}}"#, names: "scanEvents[0] must be a JSON object"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":[{"trackingNumber":"7946","trackResults":[{"scanEvents":[{"eventType":"AR","date":"yesterday"}]}]}]}}"#, names: "output.completeTrackResults[0].trackResults[0].scanEvents[0].date"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":[{"trackingNumber":"7946","trackResults":[{"scanEvents":[{"eventType":"AR"}]}]}]}}"#, names: "scanEvents[0].date is required"),
        Malformed(carrier: "fedex", body: #"{"output":{"completeTrackResults":[{"trackingNumber":"7946","trackResults":[{"scanEvents":[{"date":"2025-11-19T08:15:00-06:00"}]}]}]}}"#, names: "scanEvents[0].eventType is required"),
        // DHL
        Malformed(carrier: "dhl", body: #"{"shipments":{}}"#, names: "shipments must be an array"),
        Malformed(carrier: "dhl", body: #"{"shipments":[{"events":[]}]}"#, names: "shipments[0].id is required"),
        Malformed(carrier: "dhl", body: #"{"shipments":[{"id":"48","events":[{"statusCode":"transit","timestamp":"20.11.2025 10:00"}]}]}"#, names: "shipments[0].events[0].timestamp"),
        Malformed(carrier: "dhl", body: #"{"shipments":[{"id":"48","events":[{"timestamp":"2025-11-20T10:00:00Z"}]}]}"#, names: "shipments[0].events[0].statusCode is required"),
        Malformed(carrier: "dhl", body: #"{"shipments":[{"id":"48","events":[{"statusCode":"transit","timestamp":"2025-11-20T10:00:00Z","location":"Leipzig"}]}]}"#, names: "location must be an object"),
        // USPS
        Malformed(carrier: "usps", body: #"{"trackingEvents":[]}"#, names: "trackingNumber is required"),
        Malformed(carrier: "usps", body: #"{"trackingNumber":"9400","trackingEvents":"x"}"#, names: "trackingEvents must be an array"),
        Malformed(carrier: "usps", body: #"{"trackingNumber":"9400","trackingEvents":[{"eventCode":"01"}]}"#, names: "trackingEvents[0].GMTTimestamp or trackingEvents[0].eventTimestamp is required"),
        Malformed(carrier: "usps", body: #"{"trackingNumber":"9400","trackingEvents":[{"eventCode":"01","GMTTimestamp":"Nov 21"}]}"#, names: "trackingEvents[0].GMTTimestamp must be"),
        Malformed(carrier: "usps", body: #"{"trackingNumber":"9400","trackingEvents":[{"eventCode":"01","eventTimestamp":"2025-11-21T11:32:00","GMTOffset":"MST"}]}"#, names: "trackingEvents[0].GMTOffset"),
        Malformed(carrier: "usps", body: #"{"trackingNumber":"9400","trackingEvents":[{"GMTTimestamp":"2025-11-21T18:32:19Z"}]}"#, names: "trackingEvents[0].eventCode is required"),
        // EasyPost
        Malformed(carrier: "easypost", body: #"{"id":"evt_1","object":"Event"}"#, names: "result is required"),
        Malformed(carrier: "easypost", body: #"{"id":"evt_1","result":{"tracking_details":[]}}"#, names: "result.tracking_code is required"),
        Malformed(carrier: "easypost", body: #"{"id":"evt_1","result":{"tracking_code":"1Z","tracking_details":[{"status":"in_transit","datetime":"soon"}]}}"#, names: "result.tracking_details[0].datetime"),
        Malformed(carrier: "easypost", body: #"{"id":"evt_1","result":{"tracking_code":"1Z","tracking_details":[{"status":"in_transit"}]}}"#, names: "result.tracking_details[0].datetime is required"),
        Malformed(carrier: "easypost", body: #"{"id":"evt_1","result":{"tracking_code":"1Z","tracking_details":[{"datetime":"2025-11-19T03:15:00Z"}]}}"#, names: "result.tracking_details[0].status is required"),
        Malformed(carrier: "easypost", body: #"{"id":{"x":1},"result":{"tracking_code":"1Z"}}"#, names: "id must be a string"),
        // Shippo
        Malformed(carrier: "shippo", body: #"{"event":"track_updated"}"#, names: "data is required"),
        Malformed(carrier: "shippo", body: #"{"data":{"tracking_number":[]}}"#, names: "data.tracking_number must be a string"),
        Malformed(carrier: "shippo", body: #"{"data":{"tracking_number":"92","tracking_history":[{"status":"TRANSIT","status_date":"2025/11/19"}]}}"#, names: "data.tracking_history[0].status_date"),
        Malformed(carrier: "shippo", body: #"{"data":{"tracking_number":"92","tracking_history":[{"status_date":"2025-11-19T05:47:12Z"}]}}"#, names: "data.tracking_history[0].status is required"),
        Malformed(carrier: "shippo", body: #"{"data":{"tracking_number":"92","tracking_status":{"status":"TRANSIT"}}}"#, names: "data.tracking_status.status_date is required"),
        // AfterShip
        Malformed(carrier: "aftership", body: #"{"event_id":"e1"}"#, names: "msg is required"),
        Malformed(carrier: "aftership", body: #"{"msg":{"tracking_number":"  "}}"#, names: "msg.tracking_number is required"),
        Malformed(carrier: "aftership", body: #"{"msg":{"tracking_number":"79","checkpoints":[{"tag":"InTransit","checkpoint_time":"2025-11-19T25:00:00"}]}}"#, names: "msg.checkpoints[0].checkpoint_time"),
        Malformed(carrier: "aftership", body: #"{"msg":{"tracking_number":"79","checkpoints":[{"checkpoint_time":"2025-11-19T10:00:00Z"}]}}"#, names: "msg.checkpoints[0].tag is required"),
        Malformed(carrier: "aftership", body: #"{"msg":{"tracking_number":"79","checkpoints":[{"tag":"InTransit","checkpoint_time":"2025-11-19T10:00:00Z","city":5.5,"state":false}]}}"#, names: "msg.checkpoints[0].state must be a string"),
    ]

    @Test("Malformed fields are invalid_payload naming the field", arguments: malformed)
    func malformedNamesTheField(_ sample: Malformed) throws {
        let adapter = try #require(registeredAdapter(sample.carrier))
        let error = thrownError { () throws(GatewayError) in
            try adapter.normalise(Data(sample.body.utf8), context: fixtureContext(carrier: sample.carrier))
        }
        #expect(error?.code == "invalid_payload", "\(sample): got \(error.map { $0.code } ?? "success")")
        #expect(error?.detail.contains(sample.names) == true, "\(sample): detail was '\(error?.detail ?? "")'")
    }

    // MARK: No input crashes

    /// Replacement values for the mutation test: every JSON type, and strings that look like times.
    static func replacements() -> [Any] {
        [NSNull(), true, 7, -1.5, "x", "", "2025-13-45T99:99:99", "99999999", [Any](), [String: Any](), [1, "a"] as [Any]]
    }

    /// Replaces, one at a time, every value in each sample fixture by every replacement: the adapter must
    /// return events or throw `invalid_payload`, never crash (no force unwraps or unchecked indexing).
    @Test("Structural mutations of the samples never crash", arguments: carrierSlugs)
    func mutationsNeverCrash(_ carrier: String) throws {
        let adapter = try #require(registeredAdapter(carrier))
        let context = fixtureContext(carrier: carrier)
        var runs = 0
        for name in Fixture.bodies(in: carrier) where name.hasPrefix(carrier + "_0") {
            let original = try JSONSerialization.jsonObject(with: try Fixture(carrier: carrier, name: name).body())
            for path in Self.paths(in: original) {
                for replacement in Self.replacements() {
                    let mutated = Self.replacing(path, in: original, with: replacement)
                    guard let body = try? JSONSerialization.data(withJSONObject: mutated, options: [.fragmentsAllowed]) else { continue }
                    runs += 1
                    if let error = thrownError({ () throws(GatewayError) in try adapter.normalise(body, context: context) }) {
                        #expect(error.code == "invalid_payload", "\(name) with \(path) = \(replacement): \(error.code) \(error.detail)")
                    }
                }
            }
        }
        #expect(runs > 100)
    }

    enum Step: CustomStringConvertible {
        case key(String)
        case index(Int)
        var description: String {
            switch self {
            case .key(let key): return "." + key
            case .index(let index): return "[\(index)]"
            }
        }
    }

    static func paths(in value: Any, prefix: [Step] = []) -> [[Step]] {
        var out: [[Step]] = prefix.isEmpty ? [] : [prefix]
        if let object = value as? [String: Any] {
            for (key, child) in object { out += paths(in: child, prefix: prefix + [.key(key)]) }
        } else if let array = value as? [Any] {
            for (index, child) in array.enumerated() { out += paths(in: child, prefix: prefix + [.index(index)]) }
        }
        return out
    }

    static func replacing(_ path: [Step], in value: Any, with replacement: Any) -> Any {
        guard let first = path.first else { return replacement }
        let rest = Array(path.dropFirst())
        switch first {
        case .key(let key):
            guard var object = value as? [String: Any], let child = object[key] else { return value }
            object[key] = replacing(rest, in: child, with: replacement)
            return object
        case .index(let index):
            guard var array = value as? [Any], array.indices.contains(index) else { return value }
            array[index] = replacing(rest, in: array[index], with: replacement)
            return array
        }
    }

    // MARK: Behaviour the fixtures do not show

    @Test("Tracking numbers are trimmed")
    func trackingNumberTrimmed() throws {
        let body = #"{"trackingNumber":"  1ZTEST0A0312345675 \n","activityStatus":{"type":"I","code":"DP"},"gmtActivityDate":"20251119","gmtActivityTime":"031500"}"#
        let result = try UPSAdapter().normalise(Data(body.utf8), context: fixtureContext(carrier: "ups"))
        #expect(result.events.map(\.trackingNumber) == ["1ZTEST0A0312345675"])
    }

    @Test("A naive time the location cannot place uses the source's default zone, else UTC")
    func naiveTimeFallsBackToDefaultZone() throws {
        // DHL, US locality without a state: the location does not say which US zone.
        let body = #"{"shipments":[{"id":"48","events":[{"statusCode":"transit","timestamp":"2025-11-20T15:40:00","location":{"address":{"countryCode":"US","addressLocality":"CHICAGO - USA"}}}]}]}"#
        let utc = try DHLAdapter().normalise(Data(body.utf8), context: fixtureContext(carrier: "dhl"))
        #expect(utc.events.first?.occurredAt.rfc3339 == "2025-11-20T15:40:00Z")
        let chicago = try DHLAdapter().normalise(Data(body.utf8), context: fixtureContext(carrier: "dhl", defaultTimeZone: "America/Chicago"))
        #expect(chicago.events.first?.occurredAt.rfc3339 == "2025-11-20T21:40:00Z")
        // The location's own zone wins over the default.
        let ohio = #"{"trackingNumber":"1Z","activityStatus":{"type":"I"},"activityLocation":{"stateProvince":"OH","country":"US"},"localActivityDate":"20250701","localActivityTime":"120000"}"#
        let summer = try UPSAdapter().normalise(Data(ohio.utf8), context: fixtureContext(carrier: "ups", defaultTimeZone: "Asia/Tokyo"))
        #expect(summer.events.first?.occurredAt.rfc3339 == "2025-07-01T16:00:00Z")
    }

    @Test("Zones from locations")
    func zonesFromLocations() {
        #expect(TimeZoneResolver.zone(for: TrackingLocation(region: "oh", countryCode: "US")) == "America/New_York")
        #expect(TimeZoneResolver.zone(for: TrackingLocation(region: "AZ", countryCode: "US")) == "America/Phoenix")
        #expect(TimeZoneResolver.zone(for: TrackingLocation(city: "DENVER", countryCode: "US")) == nil)
        #expect(TimeZoneResolver.zone(for: TrackingLocation(countryCode: "DE")) == "Europe/Berlin")
        #expect(TimeZoneResolver.zone(for: TrackingLocation(countryCode: "JP")) == "Asia/Tokyo")
        #expect(TimeZoneResolver.zone(for: TrackingLocation(region: "ON", countryCode: "CA")) == nil)
        #expect(TimeZoneResolver.zone(for: TrackingLocation(city: "Somewhere")) == nil)
        #expect(TimeZoneResolver.zone(for: nil) == nil)
        for zone in Array(LocationTimeZones.usStates.values) + Array(LocationTimeZones.singleZoneCountries.values) {
            #expect(TimeZone(identifier: zone) != nil, "Unknown IANA zone \(zone)")
        }
    }

    @Test("Country codes: alpha-3 to alpha-2, names and junk dropped")
    func countryCodes() {
        #expect(CountryCodes.alpha2("USA") == "US")
        #expect(CountryCodes.alpha2(" deu ") == "DE")
        #expect(CountryCodes.alpha2("gb") == "GB")
        #expect(CountryCodes.alpha2("GBR") == "GB")
        #expect(CountryCodes.alpha2("Germany") == nil)
        #expect(CountryCodes.alpha2("ZZZ") == nil)
        #expect(CountryCodes.alpha2("") == nil)
        #expect(CountryCodes.alpha2("U1") == nil)
        #expect(CountryCodes.alpha2(nil) == nil)
        #expect(CountryCodes.alpha3ToAlpha2.count == 249)
    }

    @Test("UPS compact times and offsets")
    func upsCompactTimes() {
        #expect(CompactTime.civil(date: "20251119", time: "031500") == CivilDateTime(year: 2025, month: 11, day: 19, hour: 3, minute: 15))
        #expect(CompactTime.civil(date: "20251119", time: "0315") == CivilDateTime(year: 2025, month: 11, day: 19, hour: 3, minute: 15))
        #expect(CompactTime.civil(date: "20250230", time: "000000") == nil)
        #expect(CompactTime.civil(date: "2025111", time: "000000") == nil)
        #expect(CompactTime.civil(date: "20251119", time: "03150") == nil)
        #expect(CompactTime.civil(date: "2025111a", time: "000000") == nil)
        #expect(CompactTime.offsetSeconds("-05.00") == -18_000)
        #expect(CompactTime.offsetSeconds("+05:30") == 19_800)
        #expect(CompactTime.offsetSeconds("-5.00") == -18_000)
        #expect(CompactTime.offsetSeconds("+01") == 3600)
        #expect(CompactTime.offsetSeconds("05.00") == nil)
        #expect(CompactTime.offsetSeconds("-05.75") == nil)
        #expect(CompactTime.offsetSeconds("-") == nil)
        #expect(CompactTime.offsetSeconds("") == nil)
        #expect(CompactTime.offsetSeconds("+1.2.3") == nil)
    }

    @Test("UPS: code before type; failed-attempt reasons only under X")
    func upsMapping() {
        #expect(UPSAdapter.status(type: "I", code: "OT") == .outForDelivery)
        #expect(UPSAdapter.status(type: "X", code: "55") == .deliveryFailed)
        #expect(UPSAdapter.status(type: "x", code: "48") == .deliveryFailed)
        #expect(UPSAdapter.status(type: "X", code: "99") == .onHold)
        #expect(UPSAdapter.status(type: "I", code: "48") == .inTransit)
        #expect(UPSAdapter.status(type: "M", code: "MV") == .cancelled)
        #expect(UPSAdapter.status(type: "MV", code: nil) == .cancelled)
        #expect(UPSAdapter.status(type: "U", code: nil) == .unknown)
        #expect(UPSAdapter.status(type: nil, code: "KB") == .delivered)
    }

    @Test("AfterShip: one-line location when nothing structured; tag read from the subtag when missing")
    func afterShipFallbacks() throws {
        let body = #"{"event_id":"e1","msg":{"tracking_number":"79","checkpoints":[{"subtag":"Exception_011","checkpoint_time":"2025-11-19T10:00:00Z","location":"MEMPHIS, TN 38118 US"}]}}"#
        let result = try AfterShipAdapter().normalise(Data(body.utf8), context: fixtureContext(carrier: "aftership"))
        #expect(result.providerEventId == "e1")
        #expect(result.events.first?.location == TrackingLocation(text: "MEMPHIS, TN 38118 US"))
        #expect(result.events.first?.status == .returnToSender)
        #expect(result.events.first?.providerEventId == nil)
    }

    @Test("A payload without events normalises to none (the pipeline rejects it)")
    func emptyHistory() throws {
        let body = #"{"id":"evt_1","result":{"tracking_code":"1Z","tracking_details":[]}}"#
        let result = try EasyPostAdapter().normalise(Data(body.utf8), context: fixtureContext(carrier: "easypost"))
        #expect(result.events.isEmpty)
        #expect(result.providerEventId == "evt_1")
    }
}
