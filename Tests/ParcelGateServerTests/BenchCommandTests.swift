import Foundation
import Testing

/// The benchmark commands run end to end: short and small, for behaviour, not speed (no time is asserted).
@Suite(.timeLimit(.minutes(3))) struct BenchCommandTests {
    /// `parcelgate bench` against a real gateway: every callback is accepted, applied or a duplicate.
    @Test func benchSendsAcceptedSignedCallbacks() async throws {
        let root = CarrierEndToEndTests.repositoryRoot
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = try await GatewayProcess.start(config: root.appendingPathComponent("config/demo.yaml").path, database: dir.appendingPathComponent("bench.sqlite").path)
        defer { server.terminate() }

        let run = try await GatewayProcess.runCLI([
            "bench", "--url", "http://127.0.0.1:\(server.port)", "--connections", "4", "--duration", "1", "--warmup", "0.2", "--fulfillments", "10",
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(Self.count("responses 200", in: run.output) > 0, "\(run.output)")
        #expect(Self.count("responses 200 duplicate", in: run.output) > 0, "\(run.output)")
        // Nothing but 200s: no rejection, no queued callback, no connection error.
        let other = run.output.split(separator: "\n").filter { $0.hasPrefix("responses") && !$0.hasPrefix("responses 200") }
        #expect(other.isEmpty, "\(run.output)")
        // The server's CPU over the measured window, found by its listening port: a positive figure, and whose.
        let cpu = Self.row("server CPU µs/request", in: run.output).flatMap { Double($0) }
        #expect((cpu ?? 0) > 0, "\(run.output)")
        #expect(Self.row("server processes", in: run.output) == String(server.process.processIdentifier), "\(run.output)")
    }

    /// `--baseline-url`: the same load against a second server, then both side by side with their ratios; two
    /// `--url`s spread the connections over two servers, and both count toward the server CPU.
    @Test func benchComparesWithABaselineAndSpreadsOverReplicas() async throws {
        let root = CarrierEndToEndTests.repositoryRoot
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = root.appendingPathComponent("config/demo.yaml").path
        let server = try await GatewayProcess.start(config: config, database: dir.appendingPathComponent("a.sqlite").path)
        defer { server.terminate() }
        let other = try await GatewayProcess.start(config: config, database: dir.appendingPathComponent("b.sqlite").path)
        defer { other.terminate() }

        let compared = try await GatewayProcess.runCLI([
            "bench", "--url", "http://127.0.0.1:\(server.port)", "--connections", "2", "--duration", "0.5", "--warmup", "0.1", "--fulfillments", "5",
            "--baseline-url", "http://127.0.0.1:\(other.port)",
        ])
        #expect(compared.status == 0, "\(compared.output)")
        let ratios = compared.output.split(separator: "\n").first { $0.hasPrefix("gateway / baseline") }.map(String.init) ?? ""
        #expect(ratios.split(separator: " ").filter { $0.hasSuffix("x") && Double($0.dropLast()) != nil }.count == 3, "\(compared.output)")

        // Two servers with their own databases stand in for replicas here: set-up goes to the first only, so the
        // second queues what it gets; both processes are measured.
        let spread = try await GatewayProcess.runCLI([
            "bench", "--url", "http://127.0.0.1:\(server.port)", "--url", "http://127.0.0.1:\(other.port)",
            "--connections", "4", "--duration", "0.5", "--warmup", "0.1", "--fulfillments", "5",
        ])
        #expect(spread.status == 0, "\(spread.output)")
        #expect(Self.count("responses 202", in: spread.output) > 0, "the second server got callbacks: \(spread.output)")
        let measured = Self.row("server processes", in: spread.output) ?? ""
        #expect(measured.contains(String(server.process.processIdentifier)) && measured.contains(String(other.process.processIdentifier)), "\(spread.output)")
    }

    /// `parcelgate bench-store`: the store alone applies every callback, and its own CPU per callback is printed.
    @Test func benchStoreAppliesEveryCallback() async throws {
        let run = try await GatewayProcess.runCLI(["bench-store", "--concurrency", "4", "--duration", "0.5", "--fulfillments", "5"])
        #expect(run.status == 0, "\(run.output)")
        let applied = Self.count("responses applied", in: run.output)
        #expect(applied > 0, "\(run.output)")
        #expect(Self.count("requests", in: run.output) == applied, "\(run.output)")
        let cpu = Self.row("server CPU µs/request", in: run.output).flatMap(Double.init)
        #expect(cpu.map { $0 >= 0 } == true, "measured, not \"- (no server process...)\": \(run.output)")
    }

    /// The value column of the table row named `name` (the text after the name and its padding).
    static func row(_ name: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .map { $0.dropFirst(name.count).trimmingCharacters(in: .whitespaces) }
    }

    /// The number at the end of the table row named `name`, or 0.
    static func count(_ name: String, in output: String) -> Int {
        output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}
