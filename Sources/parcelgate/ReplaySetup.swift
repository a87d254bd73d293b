import Foundation
import ParcelGateCore

/// `parcelgate replay --setup`, before anything is replayed: one fulfillment per (carrier, tracking number)
/// the files carry, created and walked to SHIPPED through the platform API as a platform would, so the
/// callbacks find a shipment to apply to instead of being queued.
///
/// The tracking numbers come from normalising the files as `parcelgate inspect` does (``CallbackInspector``),
/// so setup ships exactly what the gateway will look for. A file the gateway would refuse ships nothing; it
/// is still replayed and answered as usual.
struct ReplaySetup {
    /// What one fulfillment is shipped with, the key callbacks are matched by.
    struct Shipment: Hashable {
        let carrier: String
        let trackingNumber: String
    }

    let api: APIClient
    let inspector: CallbackInspector

    /// The shipments each file's events name (the file's events in order, each shipment once), by file path.
    func shipments(in files: [URL]) -> [String: [Shipment]] {
        var byFile: [String: [Shipment]] = [:]
        for file in files {
            guard let inspected = try? inspector.inspect(file) else { continue }
            var seen: [Shipment] = []
            for event in inspected.callback.events {
                guard let number = event.trackingNumber else { continue }
                let shipment = Shipment(carrier: inspected.carrier, trackingNumber: number)
                if !seen.contains(shipment) { seen.append(shipment) }
            }
            byFile[file.path] = seen
        }
        return byFile
    }

    /// Creates one fulfillment for `shipment` and walks it to SHIPPED: pick, pack, ready, ship. Returns its id.
    ///
    /// The id is the gateway's own, so a second run against the same database makes new fulfillments rather
    /// than failing on the first run's; the order id (`qa-<carrier>-<tracking number>`) says where it came from.
    func ship(_ shipment: Shipment) async throws -> String {
        struct Created: Decodable { let id: String }
        let created = try await api.call("POST", "/v1/fulfillments", json: ["order_id": "qa-\(shipment.carrier)-\(shipment.trackingNumber)"])
            .decode(Created.self)
        let path = "/v1/fulfillments/\(APIClient.segment(created.id))"
        for step in ["pick", "pack", "ready"] { _ = try await api.call("PUT", "\(path)/\(step)") }
        _ = try await api.call("PUT", "\(path)/ship", json: ["carrier": shipment.carrier, "tracking_number": shipment.trackingNumber])
        return created.id
    }
}
