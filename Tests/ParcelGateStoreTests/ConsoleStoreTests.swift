@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Console sessions and reads (issue 17) on every backend.
@Suite(.timeLimit(.minutes(2))) struct ConsoleStoreTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    @Test(arguments: StoreBackend.available)
    func sessionsExpireAndSignOut(backend: StoreBackend) async throws {
        let store = try await backend.open()
        defer { Task { await store.close() } }
        let tenant = ConsoleSessionRecord(digest: String(repeating: "a", count: 64), tenant: "acme", createdAt: t0, expiresAt: t0.adding(milliseconds: 60_000))
        let operatorSession = ConsoleSessionRecord(digest: String(repeating: "b", count: 64), tenant: nil, createdAt: t0, expiresAt: t0.adding(milliseconds: 120_000))
        try await store.createConsoleSession(tenant, purgeExpiredBefore: t0)
        try await store.createConsoleSession(operatorSession, purgeExpiredBefore: t0)
        #expect(try await store.consoleSession(digest: tenant.digest, now: t0) == tenant)
        #expect(try await store.consoleSession(digest: operatorSession.digest, now: t0)?.tenant == nil)
        // Expired at its instant, whatever is still stored.
        #expect(try await store.consoleSession(digest: tenant.digest, now: t0.adding(milliseconds: 60_000)) == nil)
        #expect(try await store.consoleSession(digest: operatorSession.digest, now: t0.adding(milliseconds: 60_000)) != nil)
        // A new sign-in purges the expired ones.
        let later = ConsoleSessionRecord(digest: String(repeating: "c", count: 64), tenant: "acme", createdAt: t0.adding(milliseconds: 90_000),
                                         expiresAt: t0.adding(milliseconds: 990_000))
        try await store.createConsoleSession(later, purgeExpiredBefore: later.createdAt)
        #expect(try await store.consoleSession(digest: tenant.digest, now: t0) == nil)
        try await store.deleteConsoleSession(digest: operatorSession.digest)
        #expect(try await store.consoleSession(digest: operatorSession.digest, now: t0) == nil)
        try await store.deleteConsoleSession(digest: operatorSession.digest)
    }

    @Test(arguments: StoreBackend.available)
    func fulfillmentPagesStayWithinTheTenant(backend: StoreBackend) async throws {
        let store = try await backend.open()
        defer { Task { await store.close() } }
        for index in 0..<7 {
            _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f\(index)", orderId: "o\(index)", createdAt: t0))
        }
        _ = try await store.createFulfillment(NewFulfillment(tenant: "other", id: "f9", orderId: "o9", createdAt: t0))
        _ = try await store.apply(.pick, tenant: "acme", fulfillmentId: "f1", at: t0)
        let first = try await store.fulfillmentPage(tenant: "acme", after: nil, limit: 4)
        #expect(first.map(\.id) == ["f0", "f1", "f2", "f3"])
        let second = try await store.fulfillmentPage(tenant: "acme", after: "f3", limit: 4)
        #expect(second.map(\.id) == ["f4", "f5", "f6"])
        #expect(try await store.fulfillmentPage(tenant: "other", after: nil, limit: 10).map(\.id) == ["f9"])
    }
}
