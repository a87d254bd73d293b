import ParcelGateCore

/// The event types a platform can receive (issue 15, "Event types"), named as they appear in `type` and in an
/// endpoint's `event_types`.
package enum WebhookEventType: String, Sendable, Hashable, CaseIterable {
    /// Every status change of a fulfillment, platform commands included.
    case fulfillmentStatusChanged = "fulfillment.status_changed"
    /// A carrier scan recorded against a fulfillment.
    case trackingEventReceived = "tracking.event_received"
    /// The fulfillment entered EXCEPTION.
    case deliveryException = "delivery.exception"
    /// The fulfillment was delivered.
    case deliveryConfirmed = "delivery.confirmed"
    /// An inbound callback became a dead letter: the platform learns of tracking numbers it never registered.
    case retryExhausted = "retry.exhausted"
    /// Sent on request to test an endpoint.
    case ping

    /// The notification a stored domain event becomes: one each.
    package init(_ domainEvent: DomainEventType) {
        switch domainEvent {
        case .fulfillmentStatusChanged: self = .fulfillmentStatusChanged
        case .trackingEventReceived: self = .trackingEventReceived
        case .deliveryException: self = .deliveryException
        case .deliveryConfirmed: self = .deliveryConfirmed
        }
    }
}

/// Which event types an endpoint receives: the `event_types` rule.
///
/// Missing or empty means every type, including types added later. `ping` is always delivered: it is only
/// ever sent on request, to that one endpoint. Unknown names are refused with the list of known ones, so a
/// typo is a `400`, not an endpoint that silently never receives anything.
package struct EventTypeFilter: Sendable, Hashable {
    /// `nil` for every type.
    let types: Set<WebhookEventType>?

    package static let all = EventTypeFilter(types: nil)

    private init(types: Set<WebhookEventType>?) { self.types = types }

    package init(_ names: [String]?) throws(GatewayError) {
        guard let names, !names.isEmpty else {
            self.init(types: nil)
            return
        }
        var types = Set<WebhookEventType>()
        for name in names {
            guard let type = WebhookEventType(rawValue: name) else {
                let known = WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ")
                throw .badRequest("event_types: unknown type '\(name.prefix(64))'; known: \(known)")
            }
            types.insert(type)
        }
        self.init(types: types)
    }

    package func matches(_ type: WebhookEventType) -> Bool {
        type == .ping || types?.contains(type) ?? true
    }

    /// The names to store and show, in the order of ``WebhookEventType/allCases``; empty for every type.
    package var names: [String] {
        guard let types else { return [] }
        return WebhookEventType.allCases.filter(types.contains).map(\.rawValue)
    }
}
