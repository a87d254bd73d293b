import Foundation
import ParcelGateClient

/// What `parcelgate replay --setup` ends with: each fulfillment it shipped, the status and number of tracking
/// events the gateway now holds for it (GET /v1/fulfillments/{id}), and what the gateway answered the
/// callbacks that named its tracking number.
///
/// A callback is counted for every shipment its events name (a FedEx body may carry two), because the
/// answer is one per callback, not one per event.
struct ReplayTally {
    enum Answer: CaseIterable {
        case applied, duplicate, refused, queued, other
    }

    private struct Row {
        let id: String
        let shipment: ReplaySetup.Shipment
        var answers: [Answer: Int] = [:]
    }

    private var rows: [Row] = []
    private var rowByShipment: [ReplaySetup.Shipment: Int] = [:]
    private let shipmentsByFile: [String: [ReplaySetup.Shipment]]

    init(shipmentsByFile: [String: [ReplaySetup.Shipment]]) {
        self.shipmentsByFile = shipmentsByFile
    }

    mutating func add(fulfillment id: String, for shipment: ReplaySetup.Shipment) {
        rowByShipment[shipment] = rows.count
        rows.append(Row(id: id, shipment: shipment))
    }

    /// The gateway's answer to `file`: 200 applied or duplicate, 409 refused by the state machine, 202 queued.
    mutating func record(_ file: URL, status: Int, outcome: String) {
        let answer: Answer = switch (status, outcome) {
        case (200, "applied"): .applied
        case (200, "duplicate"): .duplicate
        case (409, _): .refused
        case (202, _): .queued
        default: .other
        }
        for shipment in shipmentsByFile[file.path] ?? [] {
            guard let row = rowByShipment[shipment] else { continue }
            rows[row].answers[answer, default: 0] += 1
        }
    }

    /// The final table, each fulfillment read back from the gateway.
    func report(api: APIClient) async throws -> String {
        struct Shown: Decodable {
            struct Event: Decodable {}
            let status: String
            let trackingEvents: [Event]
        }
        var lines: [[String]] = []
        for row in rows {
            let shown = try await api.call("GET", "/v1/fulfillments/\(APIClient.segment(row.id))").decode(Shown.self)
            lines.append([
                row.id, row.shipment.carrier, row.shipment.trackingNumber, shown.status, String(shown.trackingEvents.count),
            ] + Answer.allCases.map { String(row.answers[$0] ?? 0) })
        }
        let table = Table(header: ["FULFILLMENT", "CARRIER", "TRACKING", "STATUS", "EVENTS", "APPLIED", "DUPLICATE", "REFUSED", "QUEUED", "OTHER"],
                          rows: lines).rendered
        let statuses = Dictionary(grouping: lines.map { $0[3] }, by: { $0 }).sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }
        return table + "\n\(rows.count) fulfillment\(rows.count == 1 ? "" : "s"): \(statuses.joined(separator: ", "))"
    }
}
