import ArgumentParser
import Foundation
import ParcelGateCarriers
import ParcelGateClient
import ParcelGateCore
import Synchronization

/// `parcelgate bench`: a load generator against a running gateway. It registers and ships fulfillments
/// through the platform API, then sends distinct signed `generic` callbacks (a chosen share of them
/// duplicates) on a fixed number of connections for a fixed time, and prints throughput, latency
/// percentiles, counts by response and the server's CPU time per request.
///
/// Server CPU is read from `/proc` over the measured window only (``ProcessCPU``): the processes listening on
/// the target ports when they are on this machine, or those named by `--server-pid` / `--server-tree` (a
/// PostgreSQL postmaster and its backends). With `--baseline-url` the same load then runs against a baseline
/// server (`parcelgate baseline`), and the two are printed side by side with their ratio: CPU per request is
/// the figure to compare across runs, since this machine's speed drifts and requests/s drift with it.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Load-test a running gateway with signed callbacks.")

    @Option(help: "Gateway base URL; repeat it for several replicas sharing one database (connections are spread across them).")
    var url: [String] = []
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
    @Option(help: "A server process whose CPU is measured (repeatable; default: whatever listens on each --url port here).")
    var serverPid: [Int32] = []
    @Option(help: "A process whose CPU is measured with all its children, such as PostgreSQL's postmaster (repeatable).")
    var serverTree: [Int32] = []
    @Option(help: "A baseline server to run the same load against afterwards, for a side-by-side ratio (e.g. `parcelgate baseline`).")
    var baselineUrl: String?

    func run() async throws {
        guard (1...10_000).contains(connections), (0.001...86_400).contains(duration), (0...3600).contains(warmup),
            (0...1).contains(duplicates), (1...1_000_000).contains(fulfillments), url.count <= 16
        else {
            throw ValidationError("connections 1-10000, duration 0.001-86400 s, warmup 0-3600 s, fulfillments 1-1000000, duplicates 0-1, at most 16 --url")
        }
        let urls = url.isEmpty ? ["http://127.0.0.1:8080"] : url
        let targets = try urls.map { try HTTPConnection.parse(url: $0) }
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let hookPath = path ?? "/v1/hooks/\(tenant)/generic"
        if !noSetup {
            let start = ContinuousClock.now
            // One database behind every replica: set up through the first.
            try await BenchSetup.shipFulfillments(count: fulfillments, run: run, target: targets[0], key: key, concurrency: min(connections, 16))
            print("set up \(fulfillments) shipped fulfillments in \(Self.seconds(ContinuousClock.now - start)) s")
        }
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: secret)
        let generator = CallbackGenerator(run: run, fulfillments: fulfillments, duplicateShare: duplicates, signer: signer)
        let cpu = Self.cpu(explicitPids: serverPid, trees: serverTree, targets: targets)

        print("warming up for \(warmup) s on \(connections) connections ...")
        _ = try await LoadRun.run(targets: targets, path: hookPath, connections: connections, seconds: warmup, generator: generator)
        print("measuring for \(duration) s ...")
        let result = try await LoadRun.measured(cpu: cpu) {
            try await LoadRun.run(targets: targets, path: hookPath, connections: connections, seconds: duration, generator: generator)
        }
        print(result.report(callers: connections))

        guard let baselineUrl else { return }
        let baselineTarget = try HTTPConnection.parse(url: baselineUrl)
        let baselineCPU = Self.cpu(explicitPids: [], trees: [], targets: [baselineTarget])
        print("")
        print("baseline \(baselineUrl): warming up for \(warmup) s, measuring for \(duration) s ...")
        _ = try await LoadRun.run(targets: [baselineTarget], path: hookPath, connections: connections, seconds: warmup, generator: generator)
        let baseline = try await LoadRun.measured(cpu: baselineCPU) {
            try await LoadRun.run(targets: [baselineTarget], path: hookPath, connections: connections, seconds: duration, generator: generator)
        }
        print(baseline.report(callers: connections))
        print("")
        print(LoadRun.comparison(result, baseline))
    }

    /// What to measure: the processes named, else those listening on the targets' ports on this machine.
    static func cpu(explicitPids: [Int32], trees: [Int32], targets: [(host: String, port: Int, path: String)]) -> ProcessCPU? {
        var chosen = explicitPids.map { ProcessCPU.Target(pid: $0, tree: false) } + trees.map { ProcessCPU.Target(pid: $0, tree: true) }
        if explicitPids.isEmpty {
            for target in targets where ["127.0.0.1", "localhost", "::1"].contains(target.host) {
                if let pid = ProcessCPU.listener(port: target.port) { chosen.append(ProcessCPU.Target(pid: pid, tree: false)) }
            }
        }
        return chosen.isEmpty ? nil : ProcessCPU(targets: Array(Set(chosen)).sorted { $0.pid < $1.pid })
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
    /// Server CPU ticks spent over the measured window, per process measured (its description and ticks);
    /// `nil` when nothing could be measured.
    var serverTicksByProcess: [(String, Int64)]?
    var serverTicks: Int64? { serverTicksByProcess?.reduce(0) { $0 + $1.1 } }
    var serverProcesses: String? { serverTicksByProcess?.map(\.0).joined(separator: ", ") }

    /// `load`, with the CPU of `cpu`'s processes read just before and just after it.
    static func measured(cpu: ProcessCPU?, _ load: () async throws -> LoadRun) async throws -> LoadRun {
        let before = cpu?.ticks()
        var result = try await load()
        if let cpu, let before, let after = cpu.ticks(), after.count == before.count, zip(after, before).allSatisfy({ $0 >= $1 }) {
            result.serverTicksByProcess = zip(cpu.targets, zip(after, before)).map { ($0.description, $1.0 - $1.1) }
        }
        return result
    }

    /// CPU per request in µs for `ticks` over this run's requests.
    func microsecondsPerRequest(_ ticks: Int64) -> Double? {
        guard !latenciesMicroseconds.isEmpty else { return nil }
        return Double(ticks) / ProcessCPU.ticksPerSecond * 1e6 / Double(latenciesMicroseconds.count)
    }

    var seconds: Double { Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18 }

    /// Server CPU per request in µs, when measured.
    var cpuMicrosecondsPerRequest: Double? { serverTicks.flatMap(microsecondsPerRequest) }

    var p99Microseconds: Int64? {
        let sorted = latenciesMicroseconds.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
    }

    /// The side-by-side table of a run and its baseline, with the ratios.
    static func comparison(_ run: LoadRun, _ baseline: LoadRun) -> String {
        func ratio(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b, b > 0 else { return "-" }
            return String(format: "%.2fx", a / b)
        }
        let rate = { (r: LoadRun) in r.seconds > 0 ? Double(r.latenciesMicroseconds.count) / r.seconds : 0 }
        let cpu = { (r: LoadRun) in r.cpuMicrosecondsPerRequest.map { String(format: "%.1f", $0) } ?? "-" }
        let p99 = { (r: LoadRun) in r.p99Microseconds.map { String(format: "%.2f ms", Double($0) / 1000) } ?? "-" }
        return Table(header: ["", "REQUESTS/S", "P99", "SERVER CPU µs/REQUEST"], rows: [
            ["gateway", String(format: "%.0f", rate(run)), p99(run), cpu(run)],
            ["baseline", String(format: "%.0f", rate(baseline)), p99(baseline), cpu(baseline)],
            ["gateway / baseline", ratio(rate(run), rate(baseline)), ratio(run.p99Microseconds.map(Double.init), baseline.p99Microseconds.map(Double.init)),
             ratio(run.cpuMicrosecondsPerRequest, baseline.cpuMicrosecondsPerRequest)],
        ]).rendered
    }

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
    static func run(targets: [(host: String, port: Int, path: String)], path: String, connections: Int, seconds: Double,
                    generator: CallbackGenerator) async throws -> LoadRun {
        let next = Mutex(0)
        return try await measure(callers: connections, seconds: seconds) {
            // Connections spread over the targets in turn (replicas behind one database).
            let index = next.withLock { value in
                defer { value += 1 }
                return value
            }
            let target = targets[index % targets.count]
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
        if let cpu = cpuMicrosecondsPerRequest, let serverTicks, let serverProcesses {
            rows.append(["server CPU µs/request", String(format: "%.1f", cpu)])
            rows.append(["server CPU cores busy", String(format: "%.2f", Double(serverTicks) / ProcessCPU.ticksPerSecond / max(seconds, 0.001))])
            rows.append(["server processes", serverProcesses])
            if let each = serverTicksByProcess, each.count > 1 {
                for (process, ticks) in each {
                    rows.append(["  CPU µs/request of \(process)", microsecondsPerRequest(ticks).map { String(format: "%.1f", $0) } ?? "-"])
                }
            }
        } else {
            rows.append(["server CPU µs/request", "- (no server process found on this machine; see --server-pid)"])
        }
        rows += counts.sorted { $0.key < $1.key }.map { ["responses \($0.key)", String($0.value)] }
        return Table(header: ["METRIC", "VALUE"], rows: rows).rendered
    }
}
