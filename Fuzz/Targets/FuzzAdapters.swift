import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// Target `adapters`: every adapter of ``CarrierRegistry/standard`` normalising the bytes as a callback
/// body, then what the gateway does next with each event (its fingerprint, its time as RFC 3339, its
/// location's summary), so an event no later step can handle is found here rather than in a server.
package enum FuzzAdapters {
    static let adapters: [any CarrierAdapter] = CarrierRegistry.standard.slugs.compactMap { CarrierRegistry.standard.adapter(for: $0) }

    /// Far from every fixture's event times, like the tests' receipt time.
    static let receivedAt = Timestamp(milliseconds: 1_900_000_000_000)

    package static var adapterCount: Int { adapters.count }

    package static func run(_ raw: UnsafeRawBufferPointer) {
        let body = Data(raw)
        // Half the inputs (by length) also resolve naive times in a source's default zone, a DST-keeping one.
        let zone: String? = raw.count % 2 == 0 ? nil : "America/New_York"
        for adapter in adapters {
            let context = NormalisationContext(tenant: "fuzz", carrier: adapter.slug, receivedAt: receivedAt, defaultTimeZone: zone)
            guard let callback = try? adapter.normalise(body, context: context) else { continue }
            for event in callback.events {
                _ = event.scanKey
                _ = event.occurredAt.rfc3339
                _ = event.location?.summary
            }
        }
    }
}
