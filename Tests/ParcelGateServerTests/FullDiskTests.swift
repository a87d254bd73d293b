import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Issue 13 item 12 over HTTP: a full disk answers `503 store_unavailable` (the ingest fails, and so does
/// queuing the callback), acknowledges nothing it did not store, and the gateway recovers by itself once
/// space returns.
@Suite(.timeLimit(.minutes(1))) struct FullDiskTests {
    /// A callback whose description needs fresh pages wherever it is stored (event row or queued body).
    func scan(_ eventId: String) -> String {
        let padding = String(repeating: "x", count: 48 * 1024)
        return #"{"tracking_number":"T-FULL","status":"in_transit","event_id":"\#(eventId)","description":"scan \#(padding)"}"#
    }

    @Test func aFullDiskAnswers503AndTheGatewayRecoversByItself() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-FULL")
            try await gateway.callback(scan("e1")).expect(200)

            let sqlite = try #require(gateway.sqlite)
            let pages = try await sqlite.writerPragmaForTesting("page_count")
            _ = try await sqlite.capPagesForTesting(pages)
            for event in ["e2", "e3"] {
                try await gateway.callback(scan(event)).expectError(503, "store_unavailable")
            }
            // Reads still answer while the disk is full.
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.count == 1)

            // Space returns; the carrier's retries now apply.
            _ = try await sqlite.capPagesForTesting(1_000_000)
            for event in ["e2", "e3"] {
                try await gateway.callback(scan(event)).expect(200)
            }
            let events = try await gateway.fulfillment("f")["tracking_events"].array
            #expect(events.count == 3)
            #expect(try await gateway.store.retryCounts().values.reduce(0, +) == 0, "nothing was queued: the queue was full too")
        }
    }
}
