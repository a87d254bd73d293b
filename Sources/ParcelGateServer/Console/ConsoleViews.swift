import Foundation
import ParcelGateCore
import ParcelGateStore

// The values the templates render (ConsoleTemplates). Mustache reads stored properties by reflection, so
// every field a template names is a stored property, computed when the view is built; sections take `Bool`,
// optionals and arrays.

struct NavLink: Sendable {
    let label: String
    let href: String
    let current: Bool
}

struct HiddenField: Sendable {
    let name: String
    let value: String
}

struct TenantOption: Sendable {
    let value: String
    let selected: Bool
}

/// The operator's tenant filter: a GET form (it changes nothing, so it carries no CSRF token).
struct TenantFilterView: Sendable {
    let action: String
    let hidden: [HiddenField]
    let options: [TenantOption]
}

struct LayoutView: Sendable {
    let title: String
    let signedIn: Bool
    let viewer: String
    let csrfToken: String
    let nav: [NavLink]
    let tenantFilter: TenantFilterView?
    let refresh: Bool
    let notice: String?
    let error: String?
}

struct LoginView: Sendable {
    let layout: LayoutView
    let csrfToken: String
}

struct ErrorView: Sendable {
    let layout: LayoutView
    let message: String
    let back: String
    let backLabel: String
}

struct Figure: Sendable {
    let label: String
    let value: String
    let href: String?
}

struct LegendEntry: Sendable {
    let label: String
    let cssClass: String
    let total: Int
}

struct CallbacksChartView: Sendable {
    let svg: String
    let legend: [LegendEntry]
}

struct OverviewView: Sendable {
    let layout: LayoutView
    let scope: String
    let now: String
    let callbacks: CallbacksChartView?
    let callbacksNote: String
    let fulfillmentsSVG: String
    let fulfillmentsTotal: Int
    let fulfillmentsHref: String
    let hasExceptions: Bool
    let exceptionsSVG: String
    let queue: [Figure]
    let deliveries: [Figure]
    let endpoints: [Figure]
}

struct FulfillmentRow: Sendable {
    let id, href, tenant, orderId, status, statusClass, carrier, trackingNumber, updatedAt: String
}

struct FulfillmentsView: Sendable {
    let layout: LayoutView
    let tenantValue: String?
    let query: String
    let searched: Bool
    let count: Int
    let showTenant: Bool
    let hasRows: Bool
    let rows: [FulfillmentRow]
    let nextHref: String?
}

struct TimelineRow: Sendable {
    let occurredAt, status, place, code, description, outcome, outcomeClass, fulfillmentStatus: String
}

struct DeliveryRow: Sendable {
    let id, href, eventType, endpointId, endpointHref, fulfillmentId, status, statusClass, attempts, lastAnswer, createdAt: String
}

struct FulfillmentView: Sendable {
    let layout: LayoutView
    let tenant, orderId, status, statusClass, carrier, trackingNumber, serviceLevel, actualDelivery: String
    let hasEvents: Bool
    let events: [TimelineRow]
    let hasNotifications: Bool
    let notifications: [DeliveryRow]
}

struct RetryRow: Sendable {
    let id, tenant, selectValue, href, carrier, reason, status, statusClass, attempts, lastError, nextAttemptAt: String
}

struct QueueView: Sendable {
    let layout: LayoutView
    let tabs: [NavLink]
    let status: String
    let csrfToken: String
    let showTenant: Bool
    let hasRows: Bool
    let rows: [RetryRow]
}

struct RetryAttemptRow: Sendable {
    let attempt, at, outcome, error: String
}

struct RetryView: Sendable {
    let layout: LayoutView
    let tenant, carrier, reason, status, statusClass, attempts, nextAttemptAt, createdAt, updatedAt: String
    let lastError: String?
    let replayable: Bool
    let csrfToken: String
    let selectValue: String
    let hasAttemptLog: Bool
    let attemptLog: [RetryAttemptRow]
    let attemptLogNote: String
    let backHref: String
}

struct EndpointRow: Sendable {
    let id, href, tenant, url, state, stateClass, successRate, latency, attempts, waiting: String
}

struct EndpointsView: Sendable {
    let layout: LayoutView
    let showTenant: Bool
    let hasRows: Bool
    let rows: [EndpointRow]
}

struct EndpointView: Sendable {
    let layout: LayoutView
    let id, tenant, url, eventTypes, state, stateClass, failures, hourSuccess, daySuccess, latency: String
    let enabled: Bool
    let csrfToken: String
    let hasDeliveries: Bool
    let deliveries: [DeliveryRow]
}

struct AttemptRow: Sendable {
    let attempt, trigger, startedAt, statusCode, statusClass, duration, excerpt, error: String
}

struct DeliveryView: Sendable {
    let layout: LayoutView
    let id, tenant, eventType, eventId, endpointId, endpointHref, fulfillmentId, status, statusClass, nextAttemptAt: String
    let retryable: Bool
    let csrfToken: String
    let hasAttempts: Bool
    let attempts: [AttemptRow]
}

struct SourceRow: Sendable {
    let carrier, scheme, header, tolerance, secretIds: String
}

struct KeyRow: Sendable {
    let id, label, createdAt: String
}

struct TenantView: Sendable {
    let slug, rateLimit, retryPolicy: String
    let hasSources: Bool
    let sources: [SourceRow]
    let hasKeys: Bool
    let keys: [KeyRow]
}

struct TenantsView: Sendable {
    let layout: LayoutView
    let tenants: [TenantView]
}

/// Display helpers shared by the pages.
enum ConsoleFormat {
    /// A time as the console shows it: RFC 3339 UTC, to the second.
    static func time(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "–" }
        let text = timestamp.rfc3339
        // `2026-11-28T08:20:00.123Z` → `2026-11-28 08:20:00Z`
        guard let dot = text.firstIndex(of: ".") else { return text.replacingOccurrences(of: "T", with: " ") }
        return String(text[..<dot]).replacingOccurrences(of: "T", with: " ") + "Z"
    }

    static func optional(_ text: String?) -> String { text.map { $0.isEmpty ? "–" : $0 } ?? "–" }

    static func percent(_ rate: Double?) -> String {
        guard let rate, rate.isFinite else { return "–" }
        let tenths = (rate * 1000).rounded()
        guard abs(tenths) < 1e9 else { return "–" }
        return String(Double(Int64(tenths)) / 10) + " %"
    }

    static func decimal(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e12 else { return "–" }
        return String(Double(Int64(tenths)) / 10)
    }

    /// How long ago `start` was at `end`: seconds, minutes, hours or days.
    static func age(from start: Timestamp, to end: Timestamp) -> String {
        let seconds = max(0, end.milliseconds.subtractingReportingOverflow(start.milliseconds).partialValue / 1000)
        switch seconds {
        case ..<120: return "\(seconds) s"
        case ..<7200: return "\(seconds / 60) min"
        case ..<172_800: return "\(seconds / 3600) h"
        default: return "\(seconds / 86_400) days"
        }
    }

    static func milliseconds(_ value: Int64?) -> String { value.map { "\($0) ms" } ?? "–" }

    static func place(_ location: TrackingLocation?) -> String {
        guard let location else { return "–" }
        let parts = [location.city, location.region, location.postalCode, location.countryCode].compactMap { $0 }.filter { !$0.isEmpty }
        if !parts.isEmpty { return parts.joined(separator: ", ") }
        return optional(location.text)
    }

    /// A badge class for a status name: good, waiting, bad or neutral.
    static func statusClass(_ status: String) -> String {
        switch status.lowercased() {
        case "delivered", "succeeded", "applied", "closed", "in_transit", "shipped": return "ok"
        case "exception", "exhausted", "failed", "open", "refused", "disabled", "cancelled": return "bad"
        case "pending", "held", "half_open", "picking", "packing", "ready_to_ship": return "warn"
        default: return "neutral"
        }
    }
}
