import ParcelGateCarriers
import ParcelGateCore

/// The text `parcelgate inspect` prints for one file: a heading, then one row per canonical event in the
/// order the payload lists them, the newest of each tracking number marked `*`. PLACE is the location's free
/// text as the carrier wrote it (a facility name, or the one line a carrier sends), shown beside the city
/// parsed from it, so neither hides the other.
///
/// Newest by instant, not by position: carriers list scans newest first, oldest first or mixed, and the
/// ledger decides a fulfillment's status by event time, so the marked row is the scan that will count.
enum InspectReport {
    static func text(_ inspected: CallbackInspector.Inspected) -> String {
        let events = inspected.callback.events
        let newest = newestIndices(events)
        let heading = "\(inspected.file.relativePath): \(inspected.carrier), \(events.count) event\(events.count == 1 ? "" : "s")"
            + (inspected.callback.providerEventId.map { ", callback id \($0)" } ?? "")
        let rows = events.enumerated().map { index, event in
            [
                newest.contains(index) ? "*" : "", event.trackingNumber ?? event.fulfillmentId ?? "-", event.status.rawValue,
                event.occurredAt.rfc3339, place(event.location?.city), place(event.location?.region),
                place(event.location?.countryCode), place(event.location?.text), event.carrierStatusCode, event.description, event.providerEventId ?? "-",
            ]
        }
        let table = Table(header: ["", "TRACKING", "STATUS", "OCCURRED (UTC)", "CITY", "REGION", "COUNTRY", "PLACE", "CODE", "DESCRIPTION", "EVENT ID"],
                          rows: rows)
        return Printable.line(heading, limit: 300) + "\n" + table.rendered
    }

    /// The position of the newest event of each tracking number (the later position on a tie).
    static func newestIndices(_ events: [TrackingEvent]) -> Set<Int> {
        var newest: [String: Int] = [:]
        for (index, event) in events.enumerated() {
            let key = event.trackingNumber ?? event.fulfillmentId ?? ""
            if let current = newest[key], events[current].occurredAt > event.occurredAt { continue }
            newest[key] = index
        }
        return Set(newest.values)
    }

    private static func place(_ value: String?) -> String { value ?? "-" }
}
