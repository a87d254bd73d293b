import ArgumentParser
import Foundation
import ParcelGateCarriers
import ParcelGateClient
import ParcelGateCore
import Synchronization

/// `parcelgate bench`: a load generator against a running gateway. It registers and ships fulfillments
/// through the platform API, then sends distinct signed `generic` callbacks (a chosen share of them
/// duplicates) on a fixed number of connections for a fixed time, and prints throughput, latency
/// percentiles and counts by response.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Load-test a running gateway with signed callbacks.")

    @Option(help: "Gateway base URL.") var url: String = "http://127.0.0.1:8080"
    @Option(help: "Tenant slug.") var tenant: String = "demo"
    @Option(help: "The tenant's API key (to create fulfillments).") var key: String = "demo-api-key-change-me-0001"
    @Option(help: "The tenant's generic-carrier secret.") var secret: String = "demo-generic-secret"
    @Option(help: "Concurrent connections.") var connections: Int = 64
    @Option(help: "Seconds of measured load.") var duration: Double = 10
    @Option(help: "Seconds of unmeasured load first.") var warmup: Double = 2
    @Option(help: "Shipped fulfillments the callbacks spread over.") var fulfillments: Int = 500
    @Option(help: "Share of callbacks that repeat an earlier one (0-1).") var duplicates: Double = 0.1
    @Option(help: "Path to post to (a baseline server takes the same callbacks).") var path: String?
    @Flag(help: "Skip creating fulfillments (for a baseline server with no API).") var noSetup = false

    func run() async throws {
        guard (1...10_000).contains(connections), (0.001...86_400).contains(duration), (0...3600).contains(warmup),
            (0...1).contains(duplicates), (1...1_000_000).contains(fulfillments)
        else {
            throw ValidationError("connections 1-10000, duration 0.001-86400 s, warmup 0-3600 s, fulfillments 1-1000000, duplicates 0-1")
        }
        let target = try HTTPConnection.parse(url: url)
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let hookPath = path ?? "/v1/hooks/\(tenant)/generic"
        if !noSetup {
            let start = ContinuousClock.now
            try await BenchSetup.shipFulfillments(count: fulfillments, run: run, target: target, key: key, concurrency: min(connections, 16))
            print("set up \(fulfillments) shipped fulfillments in \(Self.seconds(ContinuousClock.now - start)) s")
        }
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: secret)
        let generator = CallbackGenerator(run: run, fulfillments: fulfillments, duplicateShare: duplicates, signer: signer)

        print("warming up for \(warmup) s on \(connections) connections ...")
        _ = try await LoadRun.run(target: target, path: hookPath, connections: connections, seconds: warmup, generator: generator)
        print("measuring for \(duration) s ...")
        let result = try await LoadRun.run(target: target, path: hookPath, connections: connections, seconds: duration, generator: generator)
        print(result.report(callers: connections))
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// Registers and ships the fulfillments the callbacks name.
enum BenchSetup {
    static func shipFulfillments(count: Int, run: String, target: (host: String, port: Int, path: String), key: String, concurrency: Int) async throws {
        let auth = [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let connection = try await HTTPConnection.connect(host: target.host, port: target.port)
                    defer { Task { await connection.close() } }
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let id = "bench-\(run)-\(index)"
                        let created = try await connection.send(method: "POST", path: "/v1/fulfillments", headers: auth, body: Array(#"{"order_id":"\#(id)","id":"\#(id)"}"#.utf8))
                        guard created.status == 201 else { throw CommandFailure("creating \(id): HTTP \(created.status) \(created.text)") }
                        for command in ["pick", "pack", "ready"] {
                            _ = try await connection.send(method: "PUT", path: "/v1/fulfillments/\(id)/\(command)", headers: auth)
                        }
                        let shipped = try await connection.send(method: "PUT", path: "/v1/fulfillments/\(id)/ship", headers: auth,
                                                                body: Array(#"{"carrier":"generic","tracking_number":"\#(CallbackGenerator.trackingNumber(run: run, index: index))"}"#.utf8))
                        guard shipped.status == 200 else { throw CommandFailure("shipping \(id): HTTP \(shipped.status) \(shipped.text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// Distinct callbacks, each a new scan (event id and time), with a share of exact repeats.
final class CallbackGenerator: Sendable {
    let run: String
    let fulfillments: Int
    let duplicateShare: Double
    let signer: SignatureSigner
    private let counter = Mutex<Int>(0)
    /// Event times start a day before the run, so none is past the gateway's allowed future skew.
    private let base = SystemClock().now().adding(milliseconds: -86_400_000)

    init(run: String, fulfillments: Int, duplicateShare: Double, signer: SignatureSigner) {
        self.run = run
        self.fulfillments = fulfillments
        self.duplicateShare = duplicateShare
        self.signer = signer
    }

    static func trackingNumber(run: String, index: Int) -> String { "BENCH-\(run)-\(index)" }

    /// The next body and its headers. A duplicate repeats the body sent `connections`-ish callbacks earlier.
    func next(previous: [UInt8]?) throws(GatewayError) -> (body: [UInt8], headers: [(String, String)]) {
        if let previous, Double.random(in: 0..<1) < duplicateShare {
            return (previous, try signer.headers(for: Data(previous), now: base) + [("Content-Type", "application/json")])
        }
        let sequence = counter.withLock { value -> Int in
            value += 1
            return value
        }
        let body = Array(#"{"tracking_number":"\#(Self.trackingNumber(run: run, index: sequence % fulfillments))","status":"in_transit","event_id":"\#(run)-\#(sequence)","occurred_at":"\#(base.adding(milliseconds: Int64(sequence)).rfc3339)"}"#.utf8)
        return (body, try signer.headers(for: Data(body), now: base) + [("Content-Type", "application/json")])
    }
}

/// One loop of a timed load, owned by a single task: `call` makes one request and names its result;
/// `finish` releases what the loop holds.
struct LoadCaller {
    var call: () async throws -> String
    var finish: () async -> Void = {}
}

/// One timed load: concurrent callers sending as fast as they are answered.
struct LoadRun {
    var latenciesMicroseconds: [Int64] = []
    var counts: [String: Int] = [:]
    var elapsed: Duration = .zero

    /// The timing both benchmarks share: `callers` concurrent loops, each made by `makeCaller` in its own task
    /// and calling until `seconds` have passed; every call is timed and counted under the name it returns.
    static func measure(callers: Int, seconds: Double, makeCaller: @escaping @Sendable () async throws -> LoadCaller) async throws -> LoadRun {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: .milliseconds(Int(seconds * 1000)))
        var total = LoadRun()
        try await withThrowingTaskGroup(of: LoadRun.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    let caller = try await makeCaller()
                    var mine = LoadRun()
                    mine.latenciesMicroseconds.reserveCapacity(Int(seconds * 2000))
                    while clock.now < deadline {
                        let sent = clock.now
                        let result = try await caller.call()
                        let latency = clock.now - sent
                        mine.latenciesMicroseconds.append(latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000)
                        mine.counts[result, default: 0] += 1
                    }
                    await caller.finish()
                    return mine
                }
            }
            for try await part in group {
                total.latenciesMicroseconds += part.latenciesMicroseconds
                total.counts.merge(part.counts, uniquingKeysWith: +)
            }
        }
        total.elapsed = clock.now - start
        return total
    }

    /// Signed callbacks on `connections` keep-alive connections; a connection error is counted and the
    /// connection opened again.
    static func run(target: (host: String, port: Int, path: String), path: String, connections: Int, seconds: Double,
                    generator: CallbackGenerator) async throws -> LoadRun {
        try await measure(callers: connections, seconds: seconds) {
            var connection = try await HTTPConnection.connect(host: target.host, port: target.port)
            var previous: [UInt8]?
            return LoadCaller(
                call: {
                    let request = try generator.next(previous: previous)
                    previous = request.body
                    do {
                        let response = try await connection.send(method: "POST", path: path, headers: request.headers, body: request.body)
                        let duplicate = response.status == 200 && response.body.count < 40 && response.text.contains("duplicate")
                        return "\(response.status)\(duplicate ? " duplicate" : "")"
                    } catch {
                        await connection.close()
                        connection = try await HTTPConnection.connect(host: target.host, port: target.port)
                        return "connection error"
                    }
                },
                finish: { await connection.close() }
            )
        }
    }

    /// The table: `callers` concurrent loops, named by `unit`; `accepted` picks the counts that are
    /// acceptances, and `acceptedLabel` names them.
    func report(callers: Int, unit: String = "connections", acceptedLabel: String = "accepted (2xx)/s",
                accepted isAccepted: (String) -> Bool = { $0.hasPrefix("2") }) -> String {
        let sorted = latenciesMicroseconds.sorted()
        func percentile(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let value = sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
            return String(format: "%.2f ms", Double(value) / 1000)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let requests = sorted.count
        let accepted = counts.filter { isAccepted($0.key) }.values.reduce(0, +)
        var rows: [[String]] = [
            [unit, String(callers)],
            ["duration", String(format: "%.2f s", seconds)],
            ["requests", String(requests)],
            ["requests/s", String(format: "%.0f", Double(requests) / seconds)],
            [acceptedLabel, String(format: "%.0f", Double(accepted) / seconds)],
            ["p50", percentile(0.50)], ["p90", percentile(0.90)], ["p99", percentile(0.99)],
            ["max", sorted.last.map { String(format: "%.2f ms", Double($0) / 1000) } ?? "-"],
        ]
        rows += counts.sorted { $0.key < $1.key }.map { ["responses \($0.key)", String($0.value)] }
        return Table(header: ["METRIC", "VALUE"], rows: rows).rendered
    }
}
