import Foundation
import ParcelGateCore

/// Turns a naive local time into an instant, given the IANA zone it is local to (CARRIERS.md "Times").
package enum TimeZoneResolver {
    /// The instant of `civil` in `zone`; UTC when the zone is `nil` or unknown.
    static func instant(_ civil: CivilDateTime, zone: String?) -> Timestamp {
        let utc = civil.timestamp(offsetSeconds: 0)
        guard let zone, let timeZone = TimeZone(identifier: zone) else { return utc }
        // The offset at the UTC reading is right except within hours of a DST change; one correction pass fixes that.
        let guess = Date(timeIntervalSince1970: Double(utc.seconds))
        let firstOffset = timeZone.secondsFromGMT(for: guess)
        let corrected = Date(timeIntervalSince1970: Double(utc.seconds - Int64(firstOffset)))
        return civil.timestamp(offsetSeconds: timeZone.secondsFromGMT(for: corrected))
    }
}

extension TimeZoneResolver {
    /// The zone a location's naive local times are in, when the location alone says: a US state's main
    /// zone, or the zone of a country that keeps one civil time. `nil` when it does not say (the caller
    /// then uses the source's default zone, else UTC).
    /// Whether `identifier` names an IANA zone this system knows.
    package static func zoneExists(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

    static func zone(for location: TrackingLocation?) -> String? {
        guard let country = location?.countryCode?.uppercased() else { return nil }
        if country == "US" {
            guard let region = location?.region?.trimmingWhitespace().uppercased() else { return nil }
            return LocationTimeZones.usStates[region]
        }
        return LocationTimeZones.singleZoneCountries[country]
    }

    /// The instant a carrier's date-time denotes (CARRIERS.md "Times"): its own offset when it carries one
    /// (FedEx and DHL offsets are kept, never dropped); otherwise local to the location's zone, else
    /// `defaultZone` (the source's configured zone), else UTC.
    package static func instant(_ parsed: ParsedDateTime, location: TrackingLocation?, defaultZone: String?) -> Timestamp {
        if let instant = parsed.instant { return instant }
        return instant(parsed.civil, zone: zone(for: location) ?? defaultZone)
    }
}
