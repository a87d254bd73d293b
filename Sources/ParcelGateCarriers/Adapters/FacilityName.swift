import ParcelGateCore

/// Carriers that name a facility where a city belongs (USPS, and ShipEngine's USPS events):
/// `DENVER CO DISTRIBUTION CENTER`, `PORTLAND OR DISTRIBUTION CENTER`, `SALT LAKE CITY UT NETWORK DISTRIBUTION
/// CENTER`. The city is the words before a US state code, the region is that code, and the facility's name is
/// kept whole in the location's text (issue 16, "Facility names"). Applied to every adapter's location in
/// ``AdapterSupport/location(city:region:postalCode:country:)``, so a carrier that starts doing it is covered.
enum FacilityName {
    /// Words that make the rest of a place a facility, not part of a town's name.
    static let markers = ["DISTRIBUTION CENTER", "PROCESSING CENTER", "PROCESSING AND DISTRIBUTION", "SORTING CENTER", "SORT CENTER",
                          "FACILITY", "ANNEX", "HUB", "P&DC", "NDC", "LOGISTICS CENTER", "DELIVERY UNIT", "POST OFFICE"]

    /// `(city, region)` when `place` is `CITY ST FACILITY...`: at least one word of city, a US state or
    /// territory code, and a rest that names a facility. `nil` for anything else (a plain town is left alone).
    static func split(_ place: String) -> (city: String, region: String)? {
        let words = place.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 3, words.count <= 16 else { return nil }
        for index in 1..<(words.count - 1) {
            let code = words[index].uppercased()
            guard code.utf8.count == 2, LocationTimeZones.usStates[code] != nil else { continue }
            let rest = words[(index + 1)...].joined(separator: " ").uppercased()
            guard markers.contains(where: { rest.contains($0) }) else { continue }
            return (words[..<index].joined(separator: " "), code)
        }
        return nil
    }
}
