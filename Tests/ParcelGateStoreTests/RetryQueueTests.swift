import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// The retry queue lifecycle of docs/architecture.md ("The retry queue") on a real SQLite file.
@Suite(.timeLimit(.minutes(3))) struct RetryQueueTests {
    let t0 = Timestamp(seconds: 1_800_000_000)
    let lease: Int64 = 60_000
    let policy = try! BackoffPolicy(curve: .exponential(baseSeconds: 10, multiplier: 2, maxSeconds: 1_000, jitter: false), maxAttempts: 3)

    func entry(_ id: String, tenant: String = "acme", due offset: Int64 = 0, created: Int64 = 0) -> RetryEntry {
        RetryEntry(
            id: id, tenant: tenant, carrier: "generic", body: Array(#"{"tracking_number":"T","status":"in_transit"}"#.utf8),
            headers: [StoredHeader(name: "Content-Type", value: "application/json")], reason: .unmatched, receiptKey: nil, matchKey: "T",
            nextAttemptAt: t0.adding(milliseconds: offset), createdAt: t0.adding(milliseconds: created), updatedAt: t0
        )
    }

    @Test(arguments: StoreBackend.available)
    func fullLifecycle(backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.storeRetry(entry("r1", due: 5_000)) == "r1")
        // Not due yet.
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: t0).isEmpty)
        // Due: claimed once, leased.
        let claimed = try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: t0.adding(milliseconds: 5_000))
        #expect(claimed.map(\.id) == ["r1"])
        #expect(claimed.first?.body == entry("r1").body)
        #expect(claimed.first?.headers == entry("r1").headers)
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: t0.adding(milliseconds: 5_001)).isEmpty)
        // Failed: attempts 1, next time from the policy.
        let failedAt = t0.adding(milliseconds: 6_000)
        let token = try #require(claimed.first?.claimToken)
        let failed = try await store.markFailed(id: "r1", claimToken: token, error: "No fulfillment yet", policy: policy, now: failedAt)
        #expect(failed.attempts == 1)
        #expect(failed.nextAttemptAt == failedAt.adding(milliseconds: 20_000))
        #expect(failed.status == .pending)
        #expect(failed.lastError == "No fulfillment yet")
        // Claimed again only when due.
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: failedAt.adding(milliseconds: 19_999)).isEmpty)
        let reclaimed = try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: failedAt.adding(milliseconds: 20_000))
        #expect(reclaimed.map(\.id) == ["r1"])
        // Succeeded: never claimed again.
        try await store.markSucceeded(id: "r1", claimToken: try #require(reclaimed.first?.claimToken), now: failedAt.adding(milliseconds: 20_001))
        let done = try #require(try await store.retryEntry(tenant: "acme", id: "r1"))
        #expect(done.status == .succeeded)
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: t0.adding(milliseconds: 10_000_000)).isEmpty)
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func exhaustionAtMaxAttemptsAndReplay(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.storeRetry(entry("r1"))
        var now = t0
        var last: RetryEntry?
        for attempt in 1...3 {
            let claimed = try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: now)
            #expect(claimed.count == 1, "attempt \(attempt)")
            last = try await store.markFailed(id: "r1", claimToken: try #require(claimed.first?.claimToken), error: "still unmatched \(attempt)", policy: policy, now: now)
            now = now.adding(milliseconds: 2_000_000)
        }
        #expect(last?.status == .exhausted)
        #expect(last?.attempts == 3)
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: now).isEmpty)
        #expect(try await store.retryEntries(tenant: "acme", status: .exhausted, limit: 10).map(\.lastError) == ["still unmatched 3"])
        // Replay: pending, due now, fresh attempts.
        let replayed = try await store.replayRetry(tenant: "acme", id: "r1", now: now)
        #expect(replayed.status == .pending && replayed.attempts == 0 && replayed.nextAttemptAt == now)
        #expect(try await store.claimDue(limit: 10, leaseMilliseconds: lease, now: now).map(\.id) == ["r1"])
        // Another tenant cannot see or replay it.
        #expect(try await store.retryEntry(tenant: "other", id: "r1") == nil)
        await #expect(throws: GatewayError.notFound("Retry entry 'r1' not found")) { try await store.replayRetry(tenant: "other", id: "r1", now: now) }
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func markExhaustedDeadLettersAtOnce(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.storeRetry(entry("r1"))
        let token = try #require(try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: t0).first?.claimToken)
        try await store.markExhausted(id: "r1", claimToken: token, reason: "Cannot transition from DELIVERED to IN_TRANSIT", now: t0)
        let dead = try #require(try await store.retryEntry(tenant: "acme", id: "r1"))
        #expect(dead.status == .exhausted)
        #expect(dead.lastError == "Cannot transition from DELIVERED to IN_TRANSIT")
        await #expect(throws: GatewayError.self) { try await store.markSucceeded(id: "r1", claimToken: token, now: t0) }
        #expect(try await store.retryEntry(tenant: "acme", id: "r1")?.status == .exhausted, "marks apply only to pending entries")
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func aVanishedWorkersEntryReturnsAfterTheLease(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.storeRetry(entry("r1"))
        #expect(try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: t0).count == 1)
        // The worker dies here without marking anything.
        #expect(try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: t0.adding(milliseconds: lease - 1)).isEmpty)
        #expect(try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: t0.adding(milliseconds: lease)).map(\.id) == ["r1"])
        await store.close()
    }

    /// Issue 13 item 13: a claim is owned. Worker A's attempt outlives its one-second lease, worker B claims the
    /// entry again; A's late marks change nothing (status, attempts, error) and report the lost claim, B's land,
    /// and no token can record the same attempt twice.
    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.available)
    func aMarkLandsOnlyWhileItsClaimHolds(backend: StoreBackend) async throws {
        let store = try await backend.open()
        let oneSecond: Int64 = 1_000
        _ = try await store.storeRetry(entry("r1"))
        let a = try #require(try await store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: t0).first)
        let tokenA = try #require(a.claimToken)
        #expect(try await store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: t0.adding(milliseconds: 999)).isEmpty, "leased")
        // A's lease runs out: B claims it, under a new token.
        let b = try #require(try await store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: t0.adding(milliseconds: oneSecond)).first)
        let tokenB = try #require(b.claimToken)
        #expect(tokenA != tokenB)

        // A comes back late: every mark is refused as a lost claim and changes nothing.
        let late = t0.adding(milliseconds: 1_500)
        await #expect(throws: GatewayError.self) { try await store.markFailed(id: "r1", claimToken: tokenA, error: "late A", policy: self.policy, now: late) }
        await #expect(throws: GatewayError.self) { try await store.markSucceeded(id: "r1", claimToken: tokenA, now: late) }
        await #expect(throws: GatewayError.self) { try await store.markExhausted(id: "r1", claimToken: tokenA, reason: "late A", now: late) }
        do {
            try await store.markSucceeded(id: "r1", claimToken: tokenA, now: late)
            Issue.record("a lost claim must be reported")
        } catch {
            #expect(error.code == "conflict")
        }
        let untouched = try #require(try await store.retryEntry(tenant: "acme", id: "r1"))
        #expect(untouched.status == .pending)
        #expect(untouched.attempts == 0)
        #expect(untouched.lastError == nil)

        // B's failure lands once: the same token cannot count the attempt again.
        let failed = try await store.markFailed(id: "r1", claimToken: tokenB, error: "B failed", policy: policy, now: late)
        #expect(failed.attempts == 1 && failed.status == .pending && failed.claimToken == nil)
        await #expect(throws: GatewayError.self) { try await store.markFailed(id: "r1", claimToken: tokenB, error: "B again", policy: self.policy, now: late) }
        await #expect(throws: GatewayError.self) { try await store.markExhausted(id: "r1", claimToken: tokenB, reason: "B again", now: late) }
        let afterB = try #require(try await store.retryEntry(tenant: "acme", id: "r1"))
        #expect(afterB.attempts == 1 && afterB.status == .pending && afterB.lastError == "B failed")

        // The next claim (C) succeeds; neither an older token nor C's again can change the outcome.
        let c = try #require(try await store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: failed.nextAttemptAt).first)
        let tokenC = try #require(c.claimToken)
        #expect(![tokenA, tokenB].contains(tokenC))
        try await store.markSucceeded(id: "r1", claimToken: tokenC, now: failed.nextAttemptAt)
        await #expect(throws: GatewayError.self) { try await store.markSucceeded(id: "r1", claimToken: tokenC, now: failed.nextAttemptAt) }
        await #expect(throws: GatewayError.self) { try await store.markFailed(id: "r1", claimToken: tokenB, error: "late B", policy: self.policy, now: failed.nextAttemptAt) }
        let done = try #require(try await store.retryEntry(tenant: "acme", id: "r1"))
        #expect(done.status == .succeeded && done.attempts == 1 && done.lastError == nil)
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func concurrentClaimersNeverShareAnEntry(backend: StoreBackend) async throws {
        let store = try await backend.open()
        for index in 0..<300 { _ = try await store.storeRetry(entry(String(format: "r%03d", index), created: Int64(index))) }
        let claimedByWorker = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let batch = try await store.claimDue(limit: 7, leaseMilliseconds: self.lease, now: self.t0)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let all = claimedByWorker.flatMap { $0 }
        #expect(all.count == 300)
        #expect(Set(all).count == 300)
        #expect(claimedByWorker.filter { !$0.isEmpty }.count > 1, "several claimers took part")
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func claimsAreRoundRobinAcrossTenants(backend: StoreBackend) async throws {
        let store = try await backend.open()
        for index in 0..<50 { _ = try await store.storeRetry(entry("noisy-\(index)", tenant: "noisy", due: Int64(index), created: Int64(index))) }
        _ = try await store.storeRetry(entry("quiet-1", tenant: "quiet", due: 1_000, created: 1_000))
        let first = try await store.claimDue(limit: 2, leaseMilliseconds: lease, now: t0.adding(milliseconds: 5_000))
        #expect(Set(first.map(\.tenant)) == ["noisy", "quiet"])
        #expect(first.map(\.id).contains("noisy-0"))
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func succeededEntriesArePurgedAfterRetention(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.storeRetry(entry("old"))
        let token = try #require(try await store.claimDue(limit: 1, leaseMilliseconds: lease, now: t0).first?.claimToken)
        _ = try await store.storeRetry(entry("pending"))
        try await store.markSucceeded(id: "old", claimToken: token, now: t0)
        #expect(try await store.purgeSucceeded(before: t0) == 0)
        #expect(try await store.purgeSucceeded(before: t0.adding(milliseconds: 1)) == 1)
        #expect(try await store.retryEntries(tenant: "acme", status: nil, limit: 10).map(\.id) == ["pending"])
        await store.close()
    }

    @Test func busyAndIOErrorsAreTransient() {
        #expect(SQLiteError.map(code: 5, message: "database is locked").isTransient)       // SQLITE_BUSY
        #expect(SQLiteError.map(code: 10 | (3 << 8), message: "disk I/O error").isTransient) // SQLITE_IOERR_WRITE
        #expect(SQLiteError.map(code: 13, message: "database or disk is full").isTransient) // SQLITE_FULL
        #expect(!SQLiteError.map(code: 19, message: "UNIQUE constraint failed").isTransient)
    }
}
