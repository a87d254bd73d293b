import Foundation
import ParcelGateCore

/// Turns a naive local time into an instant, given the IANA zone it is local to (CARRIERS.md "Times").
public enum TimeZoneResolver {
    /// The instant of `civil` in `zone`; UTC when the zone is `nil` or unknown.
    public static func instant(_ civil: CivilDateTime, zone: String?) -> Timestamp {
        let utc = civil.timestamp(offsetSeconds: 0)
        guard let zone, let timeZone = TimeZone(identifier: zone) else { return utc }
        // The offset at the UTC reading is right except within hours of a DST change; one correction pass fixes that.
        let guess = Date(timeIntervalSince1970: Double(utc.seconds))
        let firstOffset = timeZone.secondsFromGMT(for: guess)
        let corrected = Date(timeIntervalSince1970: Double(utc.seconds - Int64(firstOffset)))
        return civil.timestamp(offsetSeconds: timeZone.secondsFromGMT(for: corrected))
    }
}
