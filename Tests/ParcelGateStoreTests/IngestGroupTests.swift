import Foundation
import Logging
import Synchronization
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Issue 19: PostgreSQL's group commit. ``IngestGroupWorkflow`` decides a group of callbacks in one transaction
/// with set-based statements; these tests hold it to the lone ``IngestWorkflow`` on random traffic (on both
/// backends: the workflow is backend-neutral), and hold the committer to "answered only once committed, and one
/// bad callback fails no other" against a real PostgreSQL.
@Suite(.timeLimit(.minutes(3))) struct IngestGroupTests {
    let t0 = Timestamp(seconds: 1_763_500_000)
    static let fulfillments = 10

    func shipAll(_ store: any GatewayStore) async throws {
        for index in 0..<Self.fulfillments {
            _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f\(index)", orderId: "o\(index)", createdAt: t0))
            for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "T\(index)", serviceLevel: "ground")] {
                _ = try await store.apply(command, tenant: "acme", fulfillmentId: "f\(index)", at: t0)
            }
        }
    }

    /// Random callbacks: one to three events each, on one or two fulfillments (by tracking number, sometimes by
    /// id, sometimes a number nothing has yet), random statuses and times (so some are stale or refused and
    /// reconsidered later), receipts that sometimes repeat an earlier one, scans that sometimes repeat.
    func traffic(seed: UInt64, count: Int) -> [IngestCallback] {
        var rng = SplitMix64(seed: seed)
        let statuses: [TrackingStatus] = [.inTransit, .outForDelivery, .deliveryFailed, .onHold, .delivered, .pending]
        var callbacks: [IngestCallback] = []
        for index in 0..<count {
            let receipt = index > 3 && Int.random(in: 0..<10, using: &rng) == 0 ? "r\(Int.random(in: 0..<index, using: &rng))" : "r\(index)"
            var events: [TrackingEvent] = []
            let first = Int.random(in: 0..<Self.fulfillments + 1, using: &rng)
            let targets = Bool.random(using: &rng) ? [first] : [first, Int.random(in: 0..<Self.fulfillments, using: &rng)]
            for target in targets {
                for _ in 0..<Int.random(in: 1...2, using: &rng) {
                    let status = statuses.randomElement(using: &rng) ?? .inTransit
                    let scan = Int.random(in: 0..<40, using: &rng)
                    var event = TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T\(target)", status: status,
                                              carrierStatusCode: status.rawValue, description: "scan \(scan)",
                                              occurredAt: t0.adding(milliseconds: Int64(scan) * 60_000), providerEventId: "s\(scan)-\(status.rawValue)")
                    if Int.random(in: 0..<5, using: &rng) == 0, target < Self.fulfillments {
                        event.trackingNumber = nil
                        event.fulfillmentId = "f\(target)"
                    }
                    events.append(event)
                }
            }
            events.sort { $0.occurredAt < $1.occurredAt }
            let at = t0.adding(milliseconds: Int64(index) * 1000)
            callbacks.append(IngestCallback(tenant: "acme", carrier: "generic", receiptKey: receipt, events: events, receivedAt: at) {
                RetryEntry(id: "retry-\(index)", tenant: "acme", carrier: "generic", body: Array("body \(index)".utf8), headers: [], reason: .unmatched,
                           receiptKey: receipt, matchKey: "T\(Self.fulfillments)", nextAttemptAt: at, createdAt: at, updatedAt: at)
            })
        }
        return callbacks
    }

    /// Everything a reader sees of the traffic's effect.
    func snapshot(_ store: any GatewayStore) async throws -> [String] {
        var lines: [String] = []
        for index in 0..<Self.fulfillments {
            let f = try #require(try await store.fulfillment(tenant: "acme", id: "f\(index)"))
            lines.append("f\(index) \(f.status) latest=\(String(describing: f.latestEventAt)) delivered=\(String(describing: f.actualDelivery)) seq=\(f.eventSequence)")
            for event in f.trackingEvents.sorted(by: { ($0.occurredAt, $0.status.rawValue, $0.description) < ($1.occurredAt, $1.status.rawValue, $1.description) }) {
                lines.append("  \(event.occurredAt) \(event.status) \(event.description) applied=\(event.applied)")
            }
            lines += try await StoreBackend.domainEvents(store, tenant: "acme", fulfillmentId: "f\(index)").map { "  domain \($0)" }
        }
        let stats = try await store.stats(tenant: "acme", fromDay: 0, toDay: 100_000, fromMinute: Int64.max)
        lines.append("by status \(stats.fulfillmentsByStatus.sorted { $0.key.rawValue < $1.key.rawValue })")
        lines += stats.carriers.map { "carrier \($0.carrier) \($0.serviceLevel) exceptions=\($0.exceptions) deliveries=\($0.deliveries) transit=\($0.transitBuckets.sorted { $0.key < $1.key })" }
        lines.append("daily \(stats.daily)")
        lines += try await store.retryEntries(tenant: "acme", status: nil, limit: 1_000).map { "retry \($0.id) \($0.receiptKey ?? "-")" }.sorted()
        return lines
    }

    /// The same random traffic, decided in groups of random sizes on one store and one callback at a time on
    /// another, leaves the same fulfillments, histories, domain events, projections and retry queue, and every
    /// callback gets the same answer. Members a group leaves out run alone after it, as the committer runs them.
    @Test(arguments: StoreBackend.available, [1, 2, 3])
    func aGroupDecidesEveryCallbackAsItWouldBeDecidedAlone(backend: StoreBackend, seed: UInt64) async throws {
        let grouped = try #require(try await backend.open() as? any WorkflowRunner)
        let alone = try #require(try await backend.open() as? any WorkflowRunner)
        try await shipAll(grouped)
        try await shipAll(alone)
        let callbacks = traffic(seed: seed, count: 120)
        var rng = SplitMix64(seed: seed &+ 99)
        var groupedAnswers: [IngestOutcome] = []
        var leftOut = 0
        var start = 0
        while start < callbacks.count {
            let group = Array(callbacks[start..<min(callbacks.count, start + Int.random(in: 1...16, using: &rng))])
            let members = try await grouped.perform(IngestGroupWorkflow.make(group, dialect: grouped.dialect))
            #expect(members.count == group.count)
            var answers: [IngestOutcome?] = members.map { if case .settled(let outcome) = $0 { outcome } else { nil } }
            for (offset, member) in members.enumerated() where member == .alone {
                leftOut += 1
                answers[offset] = try await grouped.perform(IngestWorkflow.make(group[offset], dialect: grouped.dialect))
            }
            groupedAnswers += answers.compactMap { $0 }
            start += group.count
        }
        var aloneAnswers: [IngestOutcome] = []
        for callback in callbacks { aloneAnswers.append(try await alone.perform(IngestWorkflow.make(callback, dialect: alone.dialect))) }

        #expect(groupedAnswers == aloneAnswers)
        let (left, right) = (try await snapshot(grouped), try await snapshot(alone))
        #expect(left == right, Comment(rawValue: Self.describe(left.difference(from: right))))
        // The traffic exercised what it is meant to: duplicates, queued callbacks, refusals, members left out.
        #expect(aloneAnswers.contains(.duplicate))
        #expect(aloneAnswers.contains { if case .queued = $0 { true } else { false } })
        #expect(aloneAnswers.contains { if case .invalidTransition = $0 { true } else { false } })
        #expect(leftOut > 0)
        await grouped.close()
        await alone.close()
    }

    static func describe(_ difference: CollectionDifference<String>) -> String {
        difference.prefix(12).map { change in
            switch change {
            case .insert(let offset, let line, _): return "grouped @\(offset): \(line)"
            case .remove(let offset, let line, _): return "alone @\(offset): \(line)"
            }
        }.joined(separator: "\n")
    }

    /// The committer against a real PostgreSQL: 64 callbacks at once form groups (the commit hook sees groups of
    /// more than one), each caller is answered with its own outcome, and one callback PostgreSQL refuses (a NUL
    /// in its text) fails alone: its group falls back to running each member by itself, and the others apply.
    @Test func concurrentCallbacksRideGroupsAndOneBadCallbackFailsNoOther() async throws {
        guard let url = StoreBackend.postgresURL else { return }
        let location = try await StoreBackend.createDatabase(adminURL: url)
        let sizes = Mutex<[Int]>([])
        var logger = Logger(label: "group-test")
        logger.logLevel = .warning
        let store = try await PostgresStore(settings: PostgresSettings(url: location, poolSize: 8), logger: logger,
                                            grouping: PostgresGrouping(maxGroup: 16, concurrentGroups: 2) { size in sizes.withLock { $0.append(size) } })
        try await shipAll(store)
        let callbacks = (0..<64).map { index in
            let description = index == 37 ? "bad \u{0} text" : "scan \(index)"
            let event = TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T\(index % Self.fulfillments)", status: .inTransit,
                                      carrierStatusCode: "IT", description: description, occurredAt: t0.adding(milliseconds: Int64(index) * 1000),
                                      providerEventId: "e\(index)")
            return IngestCallback(tenant: "acme", carrier: "generic", receiptKey: "r\(index)", events: [event], receivedAt: t0) {
                RetryEntry(id: "retry-\(index)", tenant: "acme", carrier: "generic", body: [], headers: [], reason: .unmatched,
                           receiptKey: "r\(index)", matchKey: nil, nextAttemptAt: self.t0, createdAt: self.t0, updatedAt: self.t0)
            }
        }
        let results = await withTaskGroup(of: (Int, Result<IngestOutcome, GatewayError>).self) { group in
            for (index, callback) in callbacks.enumerated() {
                group.addTask {
                    do throws(GatewayError) { return (index, .success(try await store.ingest(callback))) } catch { return (index, .failure(error)) }
                }
            }
            var results: [Int: Result<IngestOutcome, GatewayError>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        for index in 0..<64 {
            switch results[index] {
            case .failure(let error)?: #expect(index == 37 && error.code == "bad_request", "\(index): \(error)")
            case .success(let outcome)?: #expect(index != 37 && { if case .applied = outcome { true } else { false } }(), "\(index): \(outcome)")
            case nil: Issue.record("no answer for \(index)")
            }
        }
        var recorded = 0
        for index in 0..<Self.fulfillments {
            let f = try #require(try await store.fulfillment(tenant: "acme", id: "f\(index)"))
            recorded += f.trackingEvents.count
            #expect(Set(f.trackingEvents.map(\.description)).count == f.trackingEvents.count, "each scan once")
        }
        #expect(recorded == 63)
        #expect(sizes.withLock { $0.contains { $0 > 1 } }, "groups formed: \(sizes.withLock { $0 })")
        await store.close()
        // A callback after close is not queued for a leader that will never come: it runs alone and fails at once.
        await #expect(throws: GatewayError.self) { _ = try await store.ingest(callbacks[0]) }
    }
}
