/// Where a scan happened, as structured as the carrier allows.
package struct TrackingLocation: Sendable, Hashable, Codable {
    package var city: String?
    package var region: String?
    package var postalCode: String?
    /// ISO 3166-1 alpha-2 where the carrier lets us derive it.
    package var countryCode: String?
    /// Free text for carriers (and the generic format) that send a single line.
    package var text: String?

    package init(city: String? = nil, region: String? = nil, postalCode: String? = nil, countryCode: String? = nil, text: String? = nil) {
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.countryCode = countryCode
        self.text = text
    }

    package var isEmpty: Bool {
        city == nil && region == nil && postalCode == nil && countryCode == nil && text == nil
    }

    /// One human-readable line, used as the description of exception history entries.
    package var summary: String {
        if let text { return text }
        return [city, region, postalCode, countryCode].compactMap { $0 }.joined(separator: ", ")
    }

    enum CodingKeys: String, CodingKey {
        case city, region, text
        case postalCode = "postal_code"
        case countryCode = "country_code"
    }
}

/// One carrier scan in canonical form (README, "HTTP contract"). Adapters produce these; the ledger applies them.
package struct TrackingEvent: Sendable, Hashable {
    package var tenant: String
    package var carrier: String
    package var trackingNumber: String?
    package var fulfillmentId: String?
    package var status: TrackingStatus
    /// The carrier's own code or description, verbatim.
    package var carrierStatusCode: String
    package var description: String
    package var occurredAt: Timestamp
    package var location: TrackingLocation?
    /// The provider's id for this scan; `package` so `parcelgate inspect` can show it.
    package var providerEventId: String?

    package init(
        tenant: String, carrier: String, trackingNumber: String?, fulfillmentId: String? = nil,
        status: TrackingStatus, carrierStatusCode: String, description: String, occurredAt: Timestamp,
        location: TrackingLocation? = nil, providerEventId: String? = nil
    ) {
        self.tenant = tenant
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.fulfillmentId = fulfillmentId
        self.status = status
        self.carrierStatusCode = carrierStatusCode
        self.description = description
        self.occurredAt = occurredAt
        self.location = location
        self.providerEventId = providerEventId
    }

    /// Identity of the scan, so the same scan sent twice (even in a different body) is stored once.
    ///
    /// The provider's event id when it gives one; otherwise a fingerprint of what makes a scan a scan.
    package var scanKey: String {
        if let providerEventId { return "id:" + providerEventId }
        var key = "fp:"
        key += carrierStatusCode
        key += "|"
        key += String(occurredAt.milliseconds)
        key += "|"
        key += status.rawValue
        key += "|"
        key += location?.summary ?? ""
        return key
    }
}
