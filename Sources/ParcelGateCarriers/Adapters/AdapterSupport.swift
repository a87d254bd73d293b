import Foundation
import ParcelGateCore

/// Small pieces the carrier adapters share, so each maps locations and codes the same way.
enum AdapterSupport {
    /// A location from a carrier's separate fields (already trimmed, blanks as `nil`), the country turned
    /// into alpha-2; `nil` when no field is left, so "no location" is one value whatever the carrier sent.
    static func location(city: String?, region: String?, postalCode: String?, country: String?) -> TrackingLocation? {
        var location = TrackingLocation(city: city, region: region, postalCode: postalCode, countryCode: CountryCodes.alpha2(country))
        // A facility named where the city belongs: the town and state out of it, the facility kept as text.
        if region == nil, let place = city, let (town, state) = FacilityName.split(place) {
            location.city = town
            location.region = state
            location.text = place
        }
        return location.isEmpty ? nil : location
    }

    /// Codes joined as `primary/secondary` (UPS `I/OT`, Shippo `TRANSIT/out_for_delivery`): the form the
    /// adapters keep in `carrierStatusCode` when a status is named by two fields. A missing part is left out.
    static func joinedCode(_ primary: String?, _ secondary: String?) -> String? {
        switch (primary, secondary) {
        case let (primary?, secondary?): return primary + "/" + secondary
        case let (primary?, nil): return primary
        case let (nil, secondary?): return secondary
        case (nil, nil): return nil
        }
    }
}
