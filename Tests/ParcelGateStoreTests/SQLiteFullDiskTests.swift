import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Issue 13 item 12: the SQLite writer survives its own failures. A full disk (simulated with
/// `PRAGMA max_page_count` on the writer's connection) fails the writes that meet it with `store_unavailable`,
/// loses nothing already committed, and the same store writes again once space returns.
@Suite(.timeLimit(.minutes(1))) struct SQLiteFullDiskTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    /// A retry entry whose body needs fresh overflow pages: it cannot fit in a full file.
    func bulky(_ id: String, kilobytes: Int = 64) -> RetryEntry {
        RetryEntry(id: id, tenant: "acme", carrier: "generic", body: Array(repeating: UInt8(ascii: "x"), count: kilobytes * 1024), headers: [],
                   reason: .storeUnavailable, receiptKey: "receipt-\(id)", matchKey: nil, nextAttemptAt: t0, createdAt: t0, updatedAt: t0)
    }

    /// Several writes at once, as concurrent callbacks would arrive: each one's result.
    func concurrently(_ store: SQLiteStore, _ ids: [String]) async -> [String: Result<String, GatewayError>] {
        await withTaskGroup(of: (String, Result<String, GatewayError>).self) { group in
            for id in ids {
                group.addTask {
                    do throws(GatewayError) {
                        return (id, .success(try await store.storeRetry(self.bulky(id))))
                    } catch {
                        return (id, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    @Test func aFullDiskFailsItsWritesWith503AndTheWriterRecoversWhenSpaceReturns() async throws {
        let path = temporaryDatabase()
        // Writes arriving within 100 ms of each other form one group: the disk fills in the middle of a group.
        let store = try SQLiteStore(path: path, batching: WriteBatching(maxWaitMicroseconds: 100_000))
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f-before", orderId: "o", createdAt: t0))
        for index in 0..<3 { _ = try await store.storeRetry(bulky("kept-\(index)")) }

        // The disk is full: the file may not grow by a single page.
        let pages = try await store.writerPragmaForTesting("page_count")
        #expect(try await store.capPagesForTesting(pages) == pages)
        let ids = (0..<8).map { "full-\($0)" }
        let results = await concurrently(store, ids)
        for id in ids {
            switch results[id] {
            case .success?: Issue.record("\(id) was acknowledged although the disk is full")
            case .failure(let error)?: #expect(error.code == "store_unavailable", "\(id): \(error)")
            case nil: Issue.record("\(id) was never answered")
            }
        }
        // Still full a moment later: refused again, and the store keeps answering (no wedged writer).
        await #expect(throws: GatewayError.self) { try await store.storeRetry(self.bulky("full-again")) }

        // Space returns: the same store, not reopened, writes again.
        #expect(try await store.capPagesForTesting(1_000_000) == 1_000_000)
        let after = await concurrently(store, ["after-0", "after-1", "after-2"])
        #expect(after.values.allSatisfy { if case .success = $0 { true } else { false } }, "\(after)")
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f-after", orderId: "o", createdAt: t0))

        // Everything committed before is intact; nothing refused was half-written.
        let expected: Set<String> = ["kept-0", "kept-1", "kept-2", "after-0", "after-1", "after-2"]
        #expect(Set(try await store.retryEntries(tenant: "acme", status: nil, limit: 100).map(\.id)) == expected)
        #expect(try await store.fulfillment(tenant: "acme", id: "f-before") != nil)
        await store.close()

        // And durably so: a fresh store on the same file sees the same rows.
        let reopened = try SQLiteStore(path: path)
        #expect(Set(try await reopened.retryEntries(tenant: "acme", status: nil, limit: 100).map(\.id)) == expected)
        #expect(try await reopened.fulfillment(tenant: "acme", id: "f-after") != nil)
        await reopened.close()
    }

    /// A writer connection in doubt (as after an I/O error) is replaced before the next group, with the
    /// writer's settings, and the next writes succeed on it.
    @Test func aWriterConnectionInDoubtIsReplacedBeforeTheNextGroup() async throws {
        let store = try SQLiteStore(path: temporaryDatabase())
        _ = try await store.storeRetry(bulky("before"))
        let pages = try await store.writerPragmaForTesting("page_count")
        _ = try await store.capPagesForTesting(pages)
        await #expect(throws: GatewayError.self) { try await store.storeRetry(self.bulky("refused")) }

        try await store.damageWriterConnectionForTesting()
        // A fresh connection: the test's page cap (a per-connection setting) is gone, the writer's settings are back.
        _ = try await store.storeRetry(bulky("after"))
        #expect(try await store.writerPragmaForTesting("max_page_count") > pages)
        #expect(try await store.writerPragmaForTesting("foreign_keys") == 1)
        #expect(try await store.writerPragmaForTesting("busy_timeout") == 5000)
        #expect(Set(try await store.retryEntries(tenant: "acme", status: nil, limit: 10).map(\.id)) == ["before", "after"])
        await store.close()
    }
}
