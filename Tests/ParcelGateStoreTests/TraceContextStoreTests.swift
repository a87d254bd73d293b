import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Synchronization
import Testing
import Tracing

/// Migration 11 (issue 18): the W3C trace context travels with a queued callback, with the domain events a
/// callback or a platform command records, and from them to the deliveries, on every backend.
@Suite(.timeLimit(.minutes(3))) struct TraceContextStoreTests {
    let t0 = Timestamp(seconds: 1_763_500_000)
    let original = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    let command = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    func endpoint() -> EndpointRecord {
        EndpointRecord(id: "ep_trace", tenant: "acme", url: "https://platform.example/hooks", description: nil, eventTypes: [],
                       secret: SecretRecord(id: "current", bytes: Array("whsec".utf8), encrypted: false, createdAt: t0), createdAt: t0, updatedAt: t0)
    }

    @Test(arguments: StoreBackend.available)
    func aRetryEntryKeepsTheTraceparentOfTheRequestThatQueuedIt(backend: StoreBackend) async throws {
        let store = try await backend.open()
        var entry = RetryEntry(id: "rt_trace", tenant: "acme", carrier: "generic", body: Array("{}".utf8), headers: [], reason: .unmatched,
                               receiptKey: nil, matchKey: "T-9", nextAttemptAt: t0, createdAt: t0, updatedAt: t0)
        entry.traceParent = original
        _ = try await store.storeRetry(entry)
        #expect(try await store.retryEntry(tenant: "acme", id: "rt_trace")?.traceParent == original)
        let claimed = try await store.claimDue(limit: 10, leaseMilliseconds: 60_000, now: t0)
        #expect(claimed.map(\.traceParent) == [original])
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func domainEventsAndTheirDeliveriesKeepTheCausingRequestsTraceparent(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.createEndpoint(endpoint())
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f1", orderId: "o", createdAt: t0))
        // A platform command's events take the request's context from the task local.
        try await StoreTraceContext.$traceParent.withValue(command) {
            _ = try await store.apply(.pick, tenant: "acme", fulfillmentId: "f1", at: t0)
        }
        for next in [FulfillmentCommand.pack, .ready, .ship(carrier: "generic", trackingNumber: "T1", serviceLevel: nil)] {
            _ = try await store.apply(next, tenant: "acme", fulfillmentId: "f1", at: t0)
        }
        var callback = IngestCallback(tenant: "acme", carrier: "generic", receiptKey: "r1",
                                  events: [TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T1", status: .inTransit,
                                                         carrierStatusCode: "IT", description: "moving", occurredAt: t0)], receivedAt: t0)
        callback.traceParent = original
        _ = try await store.ingest(callback)

        let seen = Mutex<[String?]>([])
        _ = try await store.dispatchNotifications(limit: 100, now: t0, notifications: { event in
            seen.withLock { $0.append(event.traceParent) }
            var notification = NewNotification(sourceKey: "de:\(event.id)", eventId: "evt_\(event.id)", eventType: "fulfillment.status_changed",
                                               fulfillmentId: event.fulfillmentId, sequence: event.sequence, position: 0, payload: Array("{}".utf8))
            notification.traceParent = event.traceParent
            return [notification]
        }, accepts: { _, _ in true })
        // pick (the command's), pack, ready, ship (untraced), the callback's.
        #expect(seen.withLock { $0 } == [command, nil, nil, nil, original])
        var delivered: [String?] = []
        for _ in 0..<5 {
            let claimed = try await store.claimDeliveries(limit: 10, perEndpoint: 10, leaseMilliseconds: 60_000, now: t0) { _, _ in EndpointAdmission(slots: 10) }
            for delivery in claimed {
                delivered.append(delivery.delivery.traceParent)
                try await store.finishDelivery(id: delivery.delivery.id, claimToken: delivery.delivery.claimToken ?? "",
                                               attempt: AttemptRecord(attempt: 1, trigger: "scheduled", startedAt: t0, durationMilliseconds: 1,
                                                                         statusCode: 200, responseExcerpt: nil, error: nil),
                                               succeeded: true, finish: .delivered, now: t0) { _ in nil }
            }
        }
        #expect(delivered == [command, nil, nil, nil, original])
        await store.close()
    }

    @Test func aTracedSQLiteWriteLearnsItsCommitGroup() async throws {
        let store = try await StoreBackend.sqlite.open()
        let probe = CommitGroupProbe(tracer: NoOpTracer(), context: .topLevel)
        try await CommitGroupProbe.$current.withValue(probe) {
            _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "g1", orderId: "o", createdAt: t0))
        }
        let report = try #require(probe.report)
        #expect(report.size >= 1)
        #expect(report.milliseconds >= 0)
        #expect(report.system == "sqlite")
        await store.close()
    }

    /// On PostgreSQL a traced callback learns the commit group it rode in (issue 19).
    @Test func aTracedPostgreSQLCallbackLearnsItsCommitGroup() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        let store = try await StoreBackend.postgres.open()
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "g1", orderId: "o", createdAt: t0))
        for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "T1", serviceLevel: nil)] {
            _ = try await store.apply(command, tenant: "acme", fulfillmentId: "g1", at: t0)
        }
        let probe = CommitGroupProbe(tracer: NoOpTracer(), context: .topLevel)
        let event = TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T1", status: .inTransit, carrierStatusCode: "IT",
                                  description: "d", occurredAt: t0, providerEventId: "e1")
        let outcome = try await CommitGroupProbe.$current.withValue(probe) {
            try await store.ingest(IngestCallback(tenant: "acme", carrier: "generic", receiptKey: "r1", events: [event], receivedAt: t0) {
                RetryEntry(id: "x", tenant: "acme", carrier: "generic", body: [], headers: [], reason: .unmatched, receiptKey: "r1", matchKey: nil,
                           nextAttemptAt: self.t0, createdAt: self.t0, updatedAt: self.t0)
            })
        }
        #expect(outcome == .applied(fulfillmentId: "g1", status: .inTransit, recorded: 1))
        let report = try #require(probe.report)
        #expect(report.system == "postgresql" && report.size == 1)
        await store.close()
    }
}
