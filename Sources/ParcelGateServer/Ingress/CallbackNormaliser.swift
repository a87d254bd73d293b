import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// Step 4 of the path of one callback (docs/architecture.md): a body through its carrier's adapter, in the
/// context the gateway gives it, then the gateway's own limits on what one callback may carry.
///
/// One place for it because three callers must agree exactly: the ingress pipeline, the retry worker (both
/// through ``IngressPipeline/normalise(_:source:receivedAt:limits:)``) and `parcelgate inspect`, which
/// promises QA the events and the `invalid_payload` answer the gateway would give, without a gateway.
package struct CallbackNormaliser: Sendable {
    package let adapter: any CarrierAdapter
    package let tenant: String
    package let carrier: String
    /// The source's default zone for naive local times the location cannot place; UTC when `nil`.
    package let timezone: String?
    package let limits: IngressConfig

    package init(adapter: any CarrierAdapter, tenant: String, carrier: String, timezone: String?, limits: IngressConfig = IngressConfig()) {
        self.adapter = adapter
        self.tenant = tenant
        self.carrier = carrier
        self.timezone = timezone
        self.limits = limits
    }

    /// The adapter's events, or `invalid_payload`. `receivedAt` is when the callback first arrived: the
    /// event time of last resort and the origin of the allowed future skew. A body without events is
    /// invalid unless the adapter calls it a notice (17TRACK's `TRACKING_STOPPED`), which the pipeline
    /// acknowledges without changing anything.
    package func normalise(_ body: Data, receivedAt: Timestamp) throws(GatewayError) -> NormalisedCallback {
        let context = NormalisationContext(tenant: tenant, carrier: carrier, receivedAt: receivedAt, defaultTimeZone: timezone,
                                           maxFutureSkewSeconds: limits.maxFutureSkewSeconds)
        let normalised = try adapter.normalise(body, context: context)
        guard !normalised.events.isEmpty || normalised.isNotice else { throw .invalidPayload("The payload carries no tracking events") }
        guard normalised.events.count <= limits.maxEventsPerCallback else {
            throw .invalidPayload("The payload carries \(normalised.events.count) tracking events; at most \(limits.maxEventsPerCallback) are accepted in one callback")
        }
        return normalised
    }
}
