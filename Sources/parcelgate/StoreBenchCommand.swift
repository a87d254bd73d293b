import ArgumentParser
import Foundation
import Synchronization
import ParcelGateCore
import ParcelGateStore

/// `parcelgate bench-store`: the apply path without HTTP. Concurrent tasks call `GatewayStore.ingest` on a
/// fresh SQLite file, so the figure is the store's own ceiling (verify and normalise excluded), to compare
/// with `parcelgate bench` against a whole gateway.
struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-store", abstract: "Load-test the SQLite store directly, without HTTP.")

    @Option(help: "Concurrent callers.") var concurrency: Int = 64
    @Option(help: "Seconds of measured load.") var duration: Double = 5
    @Option(help: "Shipped fulfillments the callbacks spread over.") var fulfillments: Int = 500
    @Option(help: "SQLite durability: normal or full.") var durability: DurabilityMode = .normal

    func run() async throws {
        guard (1...10_000).contains(concurrency), (0.001...86_400).contains(duration), (1...1_000_000).contains(fulfillments) else {
            throw ValidationError("concurrency 1-10000, duration 0.001-86400 s, fulfillments 1-1000000")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-bench-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("bench.sqlite").path, durability: durability)
        let start = Timestamp(seconds: 1_800_000_000)
        for index in 0..<fulfillments {
            let id = "bench-\(index)"
            _ = try await store.createFulfillment(NewFulfillment(tenant: "bench", id: id, orderId: id, createdAt: start))
            for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "BENCH-\(index)", serviceLevel: nil)] {
                _ = try await store.apply(command, tenant: "bench", fulfillmentId: id, at: start)
            }
        }
        print("set up \(fulfillments) shipped fulfillments; measuring for \(duration) s on \(concurrency) callers ...")
        let sequence = Mutex(0)
        // This process's own CPU: the store's writer and checkpointer, plus the callers (a small share).
        let total = try await LoadRun.measured(cpu: ProcessCPU(targets: [.init(pid: getpid(), tree: false)])) {
            try await LoadRun.measure(callers: concurrency, seconds: duration) {
                LoadCaller(call: {
                    let number = sequence.withLock { value -> Int in
                        value += 1
                        return value
                    }
                    let event = TrackingEvent(
                        tenant: "bench", carrier: "generic", trackingNumber: "BENCH-\(number % fulfillments)", status: .inTransit,
                        carrierStatusCode: "in_transit", description: "in_transit", occurredAt: start.adding(milliseconds: Int64(number)),
                        providerEventId: "event-\(number)"
                    )
                    let outcome = try await store.ingest(IngestCallback(tenant: "bench", carrier: "generic", receiptKey: "event:event-\(number)", events: [event], receivedAt: start))
                    return Self.name(outcome)
                })
            }
        }
        await store.close()
        print(total.report(callers: concurrency, unit: "callers", acceptedLabel: "accepted/s") { $0 != "invalidTransition" })
    }

    static func name(_ outcome: IngestOutcome) -> String {
        switch outcome {
        case .applied: return "applied"
        case .duplicate: return "duplicate"
        case .queued: return "queued"
        case .invalidTransition: return "invalidTransition"
        }
    }
}
