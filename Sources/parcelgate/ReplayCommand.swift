import ArgumentParser
import Foundation
import ParcelGateCarriers
import ParcelGateClient
import ParcelGateCore
import ParcelGateServer

/// `parcelgate replay PATH... --url URL --tenant T [--carrier C] [--secret S] [--private-key PEM]`: signs fixture
/// files as their carrier would and posts them to a running gateway, for QA. ShipEngine signs with RSA, so its
/// files need a test private key whose public half the tenant's source holds (`--private-key`).
///
/// The carrier comes from `--carrier` or each file's folder name (`fixtures/ups/...` is `ups`). How to sign
/// (scheme, header, prefix, secret) comes from the tenant's source in the config file, so a replay against
/// `parcelgate serve` with the demo config needs no secrets on the command line; `--secret` overrides it.
///
/// With `--setup --key API_KEY` it first ships one fulfillment per tracking number in the files
/// (``ReplaySetup``), replays the files in the order given, and ends with where each fulfillment ended
/// (``ReplayTally``): a journey played end to end against `parcelgate serve`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Sign fixture payloads as their carrier would and post them to a running gateway."
    )

    @Argument(help: "Fixture files or folders (searched recursively for *.json, skipping *.expected.json).")
    var paths: [String]

    @Option(help: "Gateway base URL.")
    var url: String = "http://127.0.0.1:8080"

    @Option(help: "Tenant slug.")
    var tenant: String

    @Option(help: "Carrier slug for every file (default: each file's folder name).")
    var carrier: String?

    @Option(help: "Secret to sign with (default: the tenant's first secret for that carrier in the config).")
    var secret: String?

    @Option(help: "PEM RSA private key to sign ShipEngine (rsa-sha256-jwks) files with, whose public half the tenant's source holds (demo: config/qa/shipengine-test-private-key.pem).")
    var privateKey: String?

    @Option(help: "Key id sent with --private-key (default: the key's RFC 7638 thumbprint).")
    var keyId: String?

    @Option(help: "Config file with the tenant's sources. Env PARCELGATE_CONFIG; default config/demo.yaml.")
    var config: String?

    @Option(help: "Comma-separated status codes counted as expected (default 200,202; with --setup also 409).")
    var expect: String?

    @Flag(help: "First create and ship one fulfillment per tracking number in the files, replay in the order given, end with each fulfillment's status.")
    var setup = false

    @Option(help: "Tenant API key for --setup. Env PARCELGATE_API_KEY.")
    var key: String?

    func validate() throws {
        if keyId != nil, privateKey == nil { throw ValidationError("--key-id names the key of --private-key; pass both") }
        if setup, (key ?? ProcessInfo.processInfo.environment["PARCELGATE_API_KEY"] ?? "").isEmpty {
            throw ValidationError("--setup needs the tenant's API key: --key or PARCELGATE_API_KEY")
        }
    }

    /// A refused transition is an answer a journey can lead to (the event is kept in history), so with
    /// --setup it is expected unless --expect says otherwise.
    private var expectedStatuses: String { expect ?? (setup ? "200,202,409" : "200,202") }

    func run() async throws {
        let registry = CarrierRegistry.standard
        // A journey is told in the order its files are given; without --setup, path order as always.
        let files = setup ? try paths.flatMap { try Self.fixtureFiles([$0]) } : try Self.fixtureFiles(paths)
        guard !files.isEmpty else { throw ValidationError("No *.json fixtures found under \(paths.joined(separator: " "))") }
        let configPath = config ?? ProcessInfo.processInfo.environment["PARCELGATE_CONFIG"] ?? "config/demo.yaml"
        let sources = (try? GatewayConfig.load(path: configPath))?.tenants.first { $0.slug == tenant }?.sources ?? []
        let expect = expectedStatuses
        let expected = Set(expect.split(separator: ",").compactMap { Int($0.trimmingWhitespace()) })
        let target = try HTTPConnection.parse(url: url)
        let basePath = target.path == "/" ? "" : target.path

        var tally: ReplayTally?
        var api: APIClient?
        if setup {
            let client = APIClient(url: url, host: target.host, port: target.port, basePath: basePath,
                                   key: key ?? ProcessInfo.processInfo.environment["PARCELGATE_API_KEY"] ?? "")
            tally = try await Self.shipFulfillments(for: files, carrier: carrier, api: client)
            api = client
        }

        // Read once: ShipEngine files are signed with it, every other carrier with its source's secret.
        let rsaKey: (RSAPrivateKey, String)? = try privateKey.map { path in
            let key = try RSAPrivateKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            return (key, try keyId ?? key.thumbprint())
        }

        var connection: HTTPConnection?
        var counts: [String: Int] = [:]
        var unexpected = 0
        let width = String(files.count).count
        for (index, file) in files.enumerated() {
            let position = "[\(String(index + 1).leftPadded(to: width))/\(files.count)]"
            let slug = FixtureCarrier.slug(of: file, override: carrier)
            do {
                let adapter = try FixtureCarrier.adapter(of: file, override: carrier, registry: registry)
                let source = sources.first { $0.carrier.lowercased() == slug }
                let settings = try source?.signatureSettings(defaults: adapter.defaultSignature) ?? adapter.defaultSignature
                let signer: SignatureSigner
                if settings.scheme == .rsaSHA256JWKS {
                    guard let (key, id) = rsaKey else {
                        throw CommandFailure("'\(slug)' signs with RSA: pass --private-key (the demo's is config/qa/shipengine-test-private-key.pem)")
                    }
                    signer = try SignatureSigner(settings: settings, privateKey: key, keyId: id)
                } else {
                    guard let signingSecret = secret ?? source?.secrets.first else {
                        throw CommandFailure("no secret for '\(slug)': pass --secret or add the source to \(configPath)")
                    }
                    signer = try SignatureSigner(settings: settings, secret: signingSecret)
                }
                let body = try Data(contentsOf: file)
                let headers = try signer.headers(for: body, now: SystemClock().now())
                    + [("Content-Type", "application/json"), ("User-Agent", "parcelgate-replay")]
                let path = "\(basePath)/v1/hooks/\(tenant)/\(slug)"
                let response: HTTPClientResponse
                do {
                    if connection == nil { connection = try await HTTPConnection.connect(host: target.host, port: target.port) }
                    guard let open = connection else { throw HTTPClientError.connectionClosed }
                    response = try await open.send(method: "POST", path: path, headers: headers, body: Array(body))
                } catch {
                    // The server may close a connection after an error response: reconnect once.
                    await connection?.close()
                    let fresh = try await HTTPConnection.connect(host: target.host, port: target.port)
                    connection = fresh
                    response = try await fresh.send(method: "POST", path: path, headers: headers, body: Array(body))
                }
                let outcome = Self.outcome(of: response)
                counts["\(response.status) \(outcome)", default: 0] += 1
                tally?.record(file, status: response.status, outcome: outcome)
                if !expected.contains(response.status) { unexpected += 1 }
                print("\(position) \(response.status) \(outcome.padding(toLength: 18, withPad: " ", startingAt: 0)) \(file.relativePath)")
            } catch {
                unexpected += 1
                counts["error", default: 0] += 1
                // The whole reason, never cut to the column (it says what to pass or fix).
                print("\(position) ERR \(file.relativePath): \(String(describing: error))")
            }
        }
        await connection?.close()

        print("")
        let rows = counts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
        print(Table(header: ["RESPONSE", "COUNT"], rows: rows + [["total", String(files.count)]]).rendered)
        if let tally, let api {
            print("")
            print(try await tally.report(api: api))
        }
        if unexpected > 0 {
            print("\(unexpected) unexpected response\(unexpected == 1 ? "" : "s") (expected: \(expect))")
            throw ExitCode(1)
        }
    }

    /// ``ReplaySetup``: every shipment the files name, shipped, one line each, ready to be tallied.
    private static func shipFulfillments(for files: [URL], carrier: String?, api: APIClient) async throws -> ReplayTally {
        let inspector = CallbackInspector(registry: .standard, carrierOverride: carrier, timezone: nil, clock: SystemClock())
        let setup = ReplaySetup(api: api, inspector: inspector)
        let byFile = setup.shipments(in: files)
        var tally = ReplayTally(shipmentsByFile: byFile)
        var shipped: Set<ReplaySetup.Shipment> = []
        for file in files {
            for shipment in byFile[file.path] ?? [] where !shipped.contains(shipment) {
                shipped.insert(shipment)
                let id = try await setup.ship(shipment)
                tally.add(fulfillment: id, for: shipment)
                print("setup \(id) SHIPPED \(shipment.carrier) \(shipment.trackingNumber)")
            }
        }
        print("setup: \(shipped.count) fulfillment\(shipped.count == 1 ? "" : "s") shipped; replaying \(files.count) file\(files.count == 1 ? "" : "s")\n")
        return tally
    }

    /// The `status` of a 2xx body, or the `code` of an error body.
    static func outcome(of response: HTTPClientResponse) -> String {
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return (json?["status"] as? String) ?? (json?["code"] as? String) ?? "-"
    }

    /// Every fixture under `paths`, in path order.
    static func fixtureFiles(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("No such file or folder: \(path)") }
            if !isDirectory.boolValue {
                files.append(URL(fileURLWithPath: path))
                continue
            }
            let enumerator = FileManager.default.enumerator(atPath: path)
            while let relative = enumerator?.nextObject() as? String {
                guard relative.hasSuffix(".json"), !relative.hasSuffix(".expected.json") else { continue }
                files.append(URL(fileURLWithPath: path).appendingPathComponent(relative))
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
