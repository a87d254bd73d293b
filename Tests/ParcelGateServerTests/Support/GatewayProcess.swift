import Foundation
@testable import ParcelGateClient
import Testing

/// A real `parcelgate serve` process, for tests that kill it.
final class GatewayProcess: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    /// The separate metrics listener's port, when `start` was asked to wait for it.
    var metricsPort: Int?
    private let output: Pipe

    /// A fresh folder with `config` written to `config.json`, and where its database goes.
    static func workspace(_ name: String, config: String) throws -> (dir: URL, config: String, database: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configPath = dir.appendingPathComponent("config.json").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        return (dir, configPath, dir.appendingPathComponent("gateway.sqlite").path)
    }

    /// The `parcelgate` executable that `swift test` built beside the tests.
    static func executable() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = ["debug", "x86_64-unknown-linux-gnu/debug", "aarch64-unknown-linux-gnu/debug", "release"]
            .map { root.appendingPathComponent(".build/\($0)/parcelgate") }
        // The binary next to the running test bundle is the one built with it.
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for url in [bundleDir.appendingPathComponent("parcelgate")] + candidates where FileManager.default.isExecutableFile(atPath: url.path) {
            return url
        }
        throw HTTPClientError.invalidURL("parcelgate executable not found; run `swift build` first")
    }

    /// Starts `parcelgate serve` on a free port and waits until it listens.
    /// `logFile` receives the process's log lines (standard error) at `info`; by default they are dropped.
    static func start(config: String, database: String, extraEnvironment: [String: String] = [:], logFile: String? = nil,
                      expectMetricsListener: Bool = false, arguments: [String] = []) async throws -> GatewayProcess {
        let process = ChildProcess()
        process.executableURL = try executable()
        process.arguments = ["serve", "--config", config, "--database", database, "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PARCELGATE_LOG_LEVEL"] = logFile == nil ? "warning" : "info"
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        if let logFile {
            FileManager.default.createFile(atPath: logFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logFile)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let ports = try await Task.detached { () throws -> (Int, Int?) in
            var buffer = ""
            let handle = output.fileHandleForReading
            func port(after prefix: String) -> Int? {
                buffer.split(separator: "\n").first { $0.hasPrefix(prefix) }
                    .flatMap { $0.dropFirst(prefix.count).split(separator: " ").first?.split(separator: ":").last }.flatMap { Int($0) }
            }
            while true {
                let data = handle.availableData
                if data.isEmpty { throw HTTPClientError.connectionClosed }
                buffer += String(decoding: data, as: UTF8.self)
                if let main = port(after: "parcelgate listening on http://") {
                    guard expectMetricsListener else { return (main, nil) }
                    if let metrics = port(after: "parcelgate metrics on http://") { return (main, metrics) }
                }
            }
        }.value
        let started = GatewayProcess(process: process, port: ports.0, output: output)
        started.metricsPort = ports.1
        return started
    }

    private init(process: ChildProcess, port: Int, output: Pipe) {
        self.process = process
        self.port = port
        self.output = output
    }

    /// Runs a `parcelgate` subcommand to completion; returns its exit status and standard output.
    static func runCLI(_ arguments: [String], environment extra: [String: String] = [:], unset: [String] = []) async throws -> (status: Int32, output: String) {
        let process = ChildProcess()
        process.executableURL = try executable()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        for name in unset { environment[name] = nil }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = try await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// SIGKILL: no shutdown handler runs, nothing is flushed.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil, port: Int? = nil) async throws -> HTTPClientResponse {
        let connection = try await HTTPConnection.connect(host: "127.0.0.1", port: port ?? self.port)
        defer { Task { await connection.close() } }
        return try await connection.send(method: method, path: path, headers: headers, body: body)
    }
}
