import ArgumentParser
import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// `parcelgate inspect FILE... [--carrier C] [--timezone TZ] [--json]`: what the gateway reads in a payload,
/// offline, so QA can check a captured or hand-written callback without a server or a database.
///
/// Each file goes through ``CallbackInspector`` (the adapter and limits the gateway uses). A payload the
/// gateway would refuse prints the code and detail it would answer; any file that fails makes the exit
/// status 1. `--json` prints a golden fixture's expected file, to start a new one from.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the canonical events the gateway reads in carrier payload files, offline.",
        discussion: """
            The carrier comes from --carrier, else from each file's folder (fixtures/ups/x.json is ups). Naive local \
            times the location cannot place are read in --timezone, as a source configured with that zone reads them \
            (UTC without it). Folders are searched for *.json, skipping *.expected.json.
            """
    )

    @Argument(help: "Payload files or folders, inspected in the order given.")
    var paths: [String]

    @Option(help: "Carrier slug for every file (default: each file's folder name).")
    var carrier: String?

    @Option(help: "IANA time zone for naive local times, as a source's `timezone` (default: UTC).")
    var timezone: String?

    @Flag(help: "Print each file's events as a golden fixture's NAME.expected.json.")
    var json = false

    func validate() throws {
        if let timezone, !TimeZoneResolver.zoneExists(timezone) { throw ValidationError("unknown time zone '\(timezone)'") }
        if let carrier, CarrierRegistry.standard.adapter(for: carrier) == nil {
            throw ValidationError("unknown carrier '\(carrier)'; known: \(CarrierRegistry.standard.slugs.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let inspector = CallbackInspector(registry: .standard, carrierOverride: carrier, timezone: timezone, clock: SystemClock())
        let files = try paths.flatMap { path in
            // A missing path is reported with the other files' results below, not as a usage error.
            Self.isDirectory(path) ? try ReplayCommand.fixtureFiles([path]) : [URL(fileURLWithPath: path)]
        }
        guard !files.isEmpty else { throw ValidationError("No *.json payloads found under \(paths.joined(separator: " "))") }
        var inspected = 0
        var events = 0
        var failed = 0
        for (index, file) in files.enumerated() {
            do {
                let result = try inspector.inspect(file)
                inspected += 1
                events += result.callback.events.count
                if json {
                    print(ExpectedFileJSON.render(result.callback), terminator: "")
                } else {
                    if index > 0 { print("") }
                    print(InspectReport.text(result))
                }
            } catch {
                failed += 1
                Self.report("\(file.relativePath): \(error)")
            }
        }
        if files.count > 1 {
            let summary = "\(files.count) files: \(inspected) read (\(events) event\(events == 1 ? "" : "s")), \(failed) failed"
            // With --json, standard output holds only JSON.
            if json { Self.report(summary) } else { print("\n" + summary) }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// To standard error, one line, nothing from the file able to drive the terminal.
    private static func report(_ line: String) {
        FileHandle.standardError.write(Data((Printable.line(line, limit: 2000) + "\n").utf8))
    }
}
