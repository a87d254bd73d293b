import Foundation
import ParcelGateCore

/// What an adapter needs besides the body to produce canonical events.
package struct NormalisationContext: Sendable {
    var tenant: String
    var carrier: String
    /// When the gateway received the callback: the event time of last resort.
    var receivedAt: Timestamp
    /// Zone for naive local times whose location does not tell (IANA name); UTC when `nil`.
    var defaultTimeZone: String?
    /// How far after `receivedAt` an event may be dated (`ingress.max_future_skew_s`).
    var maxFutureSkewSeconds: Int

    static let defaultMaxFutureSkewSeconds = 86_400

    package init(tenant: String, carrier: String, receivedAt: Timestamp, defaultTimeZone: String? = nil,
                maxFutureSkewSeconds: Int = NormalisationContext.defaultMaxFutureSkewSeconds) {
        self.tenant = tenant
        self.carrier = carrier
        self.receivedAt = receivedAt
        self.defaultTimeZone = defaultTimeZone
        self.maxFutureSkewSeconds = maxFutureSkewSeconds
    }

    /// `instant` when it is no further after the receipt than the skew allows, else `invalid_payload` naming
    /// `field`. Every adapter passes each event time through here: one signed scan dated 9999 would otherwise
    /// make every later real scan stale and freeze the fulfillment's status.
    func eventTime(_ instant: Timestamp, field: String) throws(GatewayError) -> Timestamp {
        let latest = receivedAt.adding(milliseconds: Int64(maxFutureSkewSeconds).multipliedSaturating(by: 1000))
        guard instant <= latest else {
            throw .invalidPayload("\(field) is \(instant.rfc3339), more than \(maxFutureSkewSeconds) s after the callback was received")
        }
        return instant
    }
}

/// A callback body turned into canonical form.
package struct NormalisedCallback: Sendable, Hashable {
    /// Every scan the body carries, in the order the carrier wrote them.
    package var events: [TrackingEvent]
    /// The provider's id for the whole callback, when it gives one: the dedupe receipt key.
    package var providerEventId: String?
    /// Whether the body is a valid notice that carries nothing to apply (17TRACK's `TRACKING_STOPPED`).
    /// The gateway answers it `200 acknowledged` and changes nothing; any other body without events is
    /// refused, so a payload the adapter half-understood is never silently accepted.
    package var isNotice: Bool

    package init(events: [TrackingEvent], providerEventId: String? = nil) {
        self.events = events
        self.providerEventId = providerEventId
        self.isNotice = false
    }

    /// A notice: valid, signed, and with nothing to apply.
    package static func notice(providerEventId: String? = nil) -> NormalisedCallback {
        var callback = NormalisedCallback(events: [], providerEventId: providerEventId)
        callback.isNotice = true
        return callback
    }

    /// The event with the latest instant, the first listed among equals: what "the newest scan" means
    /// when one body lists several carriers' histories, each in its own order and local time.
    package var newestEvent: TrackingEvent? { Self.newestIndex(of: events).map { events[$0] } }

    /// The index of the event with the latest instant (the first among equals); `nil` when there is none.
    static func newestIndex(of events: [TrackingEvent]) -> Int? {
        events.indices.reduce(nil as Int?) { best, index in
            best.map { events[index].occurredAt > events[$0].occurredAt ? index : $0 } ?? index
        }
    }
}

/// One carrier's payload format and authentication defaults. One file per carrier under `Adapters/`.
///
/// `normalise` is pure: the same body and context always give the same events, which is what lets the
/// retry worker re-run it on a stored body.
package protocol CarrierAdapter: Sendable {
    /// The carrier slug in `/v1/hooks/{tenant}/{carrier}` and in config.
    var slug: String { get }
    /// How this carrier signs by default; a source's config may override any part.
    var defaultSignature: SignatureSettings { get }
    /// Parses and maps the body; `GatewayError.invalidPayload` when it is not this carrier's format.
    func normalise(_ body: Data, context: NormalisationContext) throws(GatewayError) -> NormalisedCallback
}

/// The adapters the gateway knows, by slug.
package struct CarrierRegistry: Sendable {
    private let adapters: [String: any CarrierAdapter]

    package init(_ adapters: [any CarrierAdapter]) {
        self.adapters = Dictionary(adapters.map { ($0.slug, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Every carrier ParcelGate ships with.
    package static let standard = CarrierRegistry([
        GenericAdapter(), UPSAdapter(), FedExAdapter(), DHLAdapter(), USPSAdapter(), EasyPostAdapter(), ShippoAdapter(), AfterShipAdapter(),
        SeventeenTrackAdapter(), ShipEngineAdapter(),
    ])

    package func adapter(for slug: String) -> (any CarrierAdapter)? { adapters[slug.lowercased()] }

    package var slugs: [String] { adapters.keys.sorted() }
}
