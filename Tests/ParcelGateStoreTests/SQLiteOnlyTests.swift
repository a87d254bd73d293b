import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Behaviour of the SQLite backend that the shared store contract does not cover.
@Suite(.timeLimit(.minutes(2))) struct SQLiteOnlyTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    /// SQLite's own automatic checkpoint is replaced by the store's checkpoint thread: the WAL must still be
    /// copied back into the database file while the store is open and busy, not only when it closes.
    @Test func walIsCopiedBackWhileTheStoreIsOpen() async throws {
        let path = temporaryDatabase()
        let store = try SQLiteStore(path: path)
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f1", orderId: "o", createdAt: t0))
        for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "T1", serviceLevel: nil)] {
            _ = try await store.apply(command, tenant: "acme", fulfillmentId: "f1", at: t0)
        }
        let sizeBefore = try Self.size(path)

        // One commit each, several pages each: well past the WAL size at which the copy starts.
        for index in 0..<1_000 {
            let event = TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T1", status: .inTransit, carrierStatusCode: "in_transit",
                                      description: "scan \(index)", occurredAt: t0.adding(milliseconds: Int64(index)), providerEventId: "e\(index)")
            let outcome = try await store.ingest(IngestCallback(tenant: "acme", carrier: "generic", receiptKey: "r\(index)", events: [event], receivedAt: t0))
            #expect(outcome == .applied(fulfillmentId: "f1", status: .inTransit, recorded: 1))
        }

        // The database file itself grows as frames are copied into it, with the store still open.
        let deadline = ContinuousClock.now + .seconds(20)
        while try Self.size(path) <= sizeBefore, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try Self.size(path) > sizeBefore)
        let fulfillment = try #require(try await store.fulfillment(tenant: "acme", id: "f1"))
        #expect(fulfillment.trackingEvents.count == 1_000)
        await store.close()
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// `close()` finishes the writes already queued and returns only once the writer thread has ended: each
    /// write in flight is either committed (and still there after reopening) or answered `store_unavailable`;
    /// none is left hanging.
    @Test func closeFinishesQueuedWritesAndJoinsTheWriter() async throws {
        let path = temporaryDatabase()
        let store = try SQLiteStore(path: path)
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<300 {
                group.addTask {
                    (try? await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f\(index)", orderId: "o", createdAt: self.t0))) != nil
                }
            }
            group.addTask {
                await store.close()
                return false
            }
            var committed = 0
            for await ok in group where ok { committed += 1 }
            return committed
        }
        #expect(store.database.writerFinished)
        let reopened = try SQLiteStore(path: path)
        var found = 0
        for index in 0..<300 where try await reopened.fulfillment(tenant: "acme", id: "f\(index)") != nil { found += 1 }
        #expect(found == results, "\(results) writes answered as committed, \(found) found after reopening")
        await reopened.close()
    }
}
