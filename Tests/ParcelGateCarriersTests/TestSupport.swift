import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore

/// Where the tests find the repository's fixtures and the shared carrier samples.
enum TestPaths {
    /// `<repo>/Tests/ParcelGateCarriersTests/TestSupport.swift` → `<repo>`.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repoRoot.appendingPathComponent("fixtures", isDirectory: true)
    /// `../shared` beside the repository (CI clones with it there; `/work/shared` in the sandbox).
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared", isDirectory: true)
    static let carrierSamples = shared.appendingPathComponent("carrier-samples", isDirectory: true)
}

/// The carrier slugs that have adapters and fixtures of their own.
let carrierSlugs = ["ups", "fedex", "dhl", "usps", "easypost", "shippo", "aftership", "seventeentrack", "shipengine"]

/// The carriers whose default scheme `SignatureSigner` can sign: every one but ShipEngine, whose private key
/// only ShipEngine holds (its samples carry their original headers instead).
let signableCarrierSlugs = carrierSlugs.filter { $0 != "shipengine" }

/// One fixture body and the expected result beside it.
struct Fixture: Sendable, CustomStringConvertible {
    let carrier: String
    /// File name without `.json`.
    let name: String

    var bodyURL: URL { TestPaths.fixtures.appendingPathComponent(carrier).appendingPathComponent(name + ".json") }
    var expectedURL: URL { TestPaths.fixtures.appendingPathComponent(carrier).appendingPathComponent(name + ".expected.json") }
    var description: String { "\(carrier)/\(name).json" }

    func body() throws -> Data { try Data(contentsOf: bodyURL) }

    /// Every fixture body under `fixtures/<carrier>/`, sorted, for parameterised tests.
    static let all: [Fixture] = carrierFolders().flatMap { carrier in bodies(in: carrier).map { Fixture(carrier: carrier, name: $0) } }

    static func carrierFolders() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.fixtures.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: TestPaths.fixtures.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    static func files(in carrier: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: TestPaths.fixtures.appendingPathComponent(carrier).path)) ?? []).sorted()
    }

    /// Body file names (without `.json`): every `.json` that is not an `.expected.json`.
    static func bodies(in carrier: String) -> [String] {
        files(in: carrier).filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }.map { String($0.dropLast(5)) }
    }
}

/// The context every fixture is normalised in: no default zone (so naive times the location cannot place
/// read as UTC), and a receipt time far from every fixture's event times, so using it would show.
func fixtureContext(carrier: String, defaultTimeZone: String? = nil) -> NormalisationContext {
    NormalisationContext(
        tenant: "acme", carrier: carrier, receivedAt: Timestamp(seconds: 1_900_000_000), defaultTimeZone: defaultTimeZone
    )
}

/// The adapter for a slug, from the registry the gateway itself uses.
func registeredAdapter(_ slug: String) -> (any CarrierAdapter)? { CarrierRegistry.standard.adapter(for: slug) }

/// Runs `work` and returns the error it threw, `nil` when it succeeded.
func thrownError<T>(_ work: () throws(GatewayError) -> T) -> GatewayError? {
    do {
        _ = try work()
        return nil
    } catch {
        return error
    }
}

/// Reads a JSON file as a dictionary.
func jsonObject(at url: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: url)
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TestDataError("\(url.lastPathComponent) is not a JSON object")
    }
    return object
}

struct TestDataError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
