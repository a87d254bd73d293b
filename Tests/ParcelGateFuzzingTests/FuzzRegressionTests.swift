import Foundation
import ParcelGateFuzzing
import ParcelGateFuzzingConfig
import Testing

/// Every input a fuzzer ever crashed on, replayed on each `swift test` through the same function the
/// libFuzzer binary calls (``FuzzTargets/all``, and `config`), so a fixed crash stays fixed. A crash
/// that comes back traps the test process, as it trapped the fuzzer; the trap's stack names the target.
@Suite struct FuzzRegressionTests {
    /// `<repo>/Tests/ParcelGateFuzzingTests/FuzzRegressionTests.swift` → `<repo>/Fuzz`.
    static let fuzz = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz", isDirectory: true)

    /// Every target: the table in ParcelGateFuzzing, and `config`, whose body lives apart (it needs the server).
    static let targets: [(name: String, body: FuzzTargets.Body)] = FuzzTargets.all + [("config", { @Sendable bytes in FuzzConfig.run(bytes) })]

    static func names(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test(arguments: targets.map(\.name))
    func replaysEveryRegressionInput(target: String) throws {
        guard let body = Self.targets.first(where: { $0.name == target })?.body else { return }
        let folder = Self.fuzz.appendingPathComponent("regressions").appendingPathComponent(target)
        // A missing or empty folder fails rather than passing with nothing replayed.
        let files = try Self.names(in: folder)
        #expect(!files.isEmpty, "Fuzz/regressions/\(target)/ holds no input")
        for file in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            data.withUnsafeBytes { body($0) }
        }
    }

    /// The table, the folders, the entry files and the script's list name the same targets, so no target
    /// is fuzzed without being replayed, or replayed without being fuzzed.
    @Test func everyTargetIsWiredEverywhere() throws {
        let names = Self.targets.map(\.name).sorted()
        #expect(try Self.names(in: Self.fuzz.appendingPathComponent("regressions")) == names)
        #expect(try Self.names(in: Self.fuzz.appendingPathComponent("corpus")) == names)
        #expect(try Self.names(in: Self.fuzz.appendingPathComponent("Entry")) == names.map { $0 + ".swift" })
        let script = try String(contentsOf: Self.fuzz.deletingLastPathComponent().appendingPathComponent("scripts/fuzz.sh"), encoding: .utf8)
        let listed = script.split(separator: "\n").first { $0.hasPrefix("targets=(") }
        #expect(listed.map { String($0) } == "targets=(\(Self.targets.map(\.name).joined(separator: " ")))")
    }

    /// A verifier that failed to build would silently drop its scheme from the signatures target.
    @Test func signaturesTargetCoversEveryAdapterAndScheme() {
        #expect(FuzzSignatures.setupNames.count == FuzzSignatures.expectedSetupCount)
        #expect(FuzzAdapters.adapterCount >= 8)
    }
}
