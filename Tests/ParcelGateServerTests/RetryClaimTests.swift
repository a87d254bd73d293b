import Foundation
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import Testing

/// Issue 13 item 13 through the retry worker of a real gateway: an attempt that outlives its lease records
/// nothing and counts nothing; the worker that holds the claim now records the outcome once.
@Suite(.timeLimit(.minutes(1))) struct RetryClaimTests {
    @Test func anAttemptThatOutlivedItsLeaseIsNeitherRecordedNorCounted() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-LATE")
            // Due far in the gateway clock's future, so the gateway's own worker leaves it alone; claimed by hand.
            let due = gateway.clock.now().adding(milliseconds: 3_600_000)
            let body = Array(#"{"tracking_number":"T-LATE","status":"in_transit","event_id":"late-1"}"#.utf8)
            _ = try await gateway.store.storeRetry(RetryEntry(
                id: "rt_late", tenant: "shopstream", carrier: "generic", body: body, headers: [], reason: .storeUnavailable,
                receiptKey: "event:late-1", matchKey: nil, nextAttemptAt: due, createdAt: due, updatedAt: due))
            let oneSecond: Int64 = 1_000
            let first = try #require(try await gateway.store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: due).first)
            // The first attempt is slow: its lease runs out and a second worker claims the entry.
            let second = try #require(try await gateway.store.claimDue(limit: 1, leaseMilliseconds: oneSecond, now: due.adding(milliseconds: oneSecond)).first)

            // The late first attempt applies the callback, but cannot record or count that.
            await gateway.worker.process(first)
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.count == 1)
            var entry = try #require(try await gateway.store.retryEntry(tenant: "shopstream", id: "rt_late"))
            #expect(entry.status == .pending && entry.attempts == 0)
            #expect(try await attempts(gateway).isEmpty, "a lost claim is not counted")

            // The holder's attempt finds the callback applied (a duplicate, not a second apply) and records success once.
            await gateway.worker.process(second)
            #expect(try await gateway.fulfillment("f")["tracking_events"].array.count == 1)
            entry = try #require(try await gateway.store.retryEntry(tenant: "shopstream", id: "rt_late"))
            #expect(entry.status == .succeeded)
            // Either attempt running once more changes nothing and counts nothing.
            await gateway.worker.process(first)
            await gateway.worker.process(second)
            #expect(try await attempts(gateway) == [#"parcelgate_retry_attempts_total{result="succeeded",tenant="shopstream"}"#: 1])
        }
    }

    /// The retry-attempt samples of `/metrics`.
    func attempts(_ gateway: TestGateway) async throws -> [String: Double] {
        OperationsTests.samples(try await gateway.request("GET", "/metrics").text).filter { $0.key.hasPrefix("parcelgate_retry_attempts_total") }
    }
}
