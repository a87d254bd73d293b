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
    }

    /// `parcelgate bench-store`: the store alone applies every callback.
    @Test func benchStoreAppliesEveryCallback() async throws {
        let run = try await GatewayProcess.runCLI(["bench-store", "--concurrency", "4", "--duration", "0.5", "--fulfillments", "5"])
        #expect(run.status == 0, "\(run.output)")
        let applied = Self.count("responses applied", in: run.output)
        #expect(applied > 0, "\(run.output)")
        #expect(Self.count("requests", in: run.output) == applied, "\(run.output)")
    }

    /// The number at the end of the table row named `name`, or 0.
    static func count(_ name: String, in output: String) -> Int {
        output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}
