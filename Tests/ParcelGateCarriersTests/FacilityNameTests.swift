@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// Issue 16, "Facility names": a facility named where a city belongs gives its town and state; anything else
/// is left as the carrier wrote it.
@Suite struct FacilityNameTests {
    @Test(arguments: [
        ("DENVER CO DISTRIBUTION CENTER", "DENVER", "CO"),
        ("PORTLAND OR DISTRIBUTION CENTER", "PORTLAND", "OR"),
        ("SALT LAKE CITY UT NETWORK DISTRIBUTION CENTER", "SALT LAKE CITY", "UT"),
        ("ST LOUIS MO NETWORK DISTRIBUTION CENTER", "ST LOUIS", "MO"),
        ("Des Moines IA Processing and Distribution Center", "Des Moines", "IA"),
    ])
    func facilitiesGiveTheirTownAndState(place: String, city: String, region: String) throws {
        let split = try #require(FacilityName.split(place))
        #expect(split.city == city && split.region == region)
        let location = try #require(AdapterSupport.location(city: place, region: nil, postalCode: nil, country: "US"))
        #expect(location.city == city && location.region == region && location.text == place && location.countryCode == "US")
    }

    @Test(arguments: ["DENVER", "NEW YORK", "SAN JOSE CA", "LAKE OSWEGO OR", "CO DISTRIBUTION CENTER", "DENVER XX DISTRIBUTION CENTER", "PARIS FR HUB"])
    func anythingElseIsLeftAlone(place: String) {
        #expect(FacilityName.split(place) == nil)
        #expect(AdapterSupport.location(city: place, region: nil, postalCode: nil, country: "US")?.city == place)
    }

    /// A carrier that names the region itself is trusted as it is.
    @Test func aGivenRegionIsKept() {
        let location = AdapterSupport.location(city: "DENVER CO DISTRIBUTION CENTER", region: "CO", postalCode: nil, country: "US")
        #expect(location?.city == "DENVER CO DISTRIBUTION CENTER" && location?.text == nil)
    }
}
