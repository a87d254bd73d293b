import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateClient
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// A 202 survives SIGKILL: the queued callback is applied by the next process on the same database.
@Suite(.timeLimit(.minutes(3))) struct CrashRecoveryTests {
    static let config = """
        {"tenants": [{"slug": "shopstream", "api_keys": ["\(TestGateway.apiKey)"],
                      "sources": [{"carrier": "generic", "secrets": ["\(TestGateway.secret)"]}]}],
         "worker": {"poll_interval_ms": 50}}
        """

    @Test func queuedCallbackSurvivesSIGKILL() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configPath = dir.appendingPathComponent("config.json").path
        try Self.config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let database = dir.appendingPathComponent("gateway.sqlite").path

        let first = try await GatewayProcess.start(config: configPath, database: database)
        let body = Array(#"{"tracking_number":"CRASH-1","status":"in_transit","location":"Reno, NV"}"#.utf8)
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
        let response = try await first.request("POST", "/v1/hooks/shopstream/generic", headers: signer.headers(for: Data(body), now: SystemClock().now()), body: body)
        #expect(response.status == 202, "\(response.text)")
        let retryId = try #require(response.json["retry_id"].string)
        first.kill()

        let second = try await GatewayProcess.start(config: configPath, database: database)
        defer { second.terminate() }
        let auth = [("Authorization", "Bearer \(TestGateway.apiKey)"), ("Content-Type", "application/json")]
        #expect(try await second.request("POST", "/v1/fulfillments", headers: auth, body: Array(#"{"order_id":"o","id":"f-crash"}"#.utf8)).status == 201)
        for command in ["pick", "pack", "ready"] {
            #expect(try await second.request("PUT", "/v1/fulfillments/f-crash/\(command)", headers: auth).status == 200)
        }
        #expect(try await second.request("PUT", "/v1/fulfillments/f-crash/ship", headers: auth, body: Array(#"{"carrier":"generic","tracking_number":"CRASH-1"}"#.utf8)).status == 200)
        var status = ""
        for _ in 0..<200 {
            status = (try await second.request("GET", "/v1/fulfillments/f-crash", headers: auth)).json["status"].string ?? ""
            if status == "IN_TRANSIT" { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(status == "IN_TRANSIT")
        let events = try await second.request("GET", "/v1/fulfillments/f-crash", headers: auth).json["tracking_events"].array
        #expect(events.count == 1)
        #expect(events.first?["location"]["text"].string == "Reno, NV")

        // The operator's view through the CLI.
        let url = "http://127.0.0.1:\(second.port)"
        let list = try await GatewayProcess.runCLI(["retries", "list", "--url", url], environment: ["PARCELGATE_API_KEY": TestGateway.apiKey])
        #expect(list.status == 0, "\(list.output)")
        #expect(list.output.contains(retryId) && list.output.contains("succeeded"), "\(list.output)")
        let show = try await GatewayProcess.runCLI(["retries", "show", retryId, "--url", url, "--key", TestGateway.apiKey])
        #expect(show.status == 0 && show.output.contains("\"status\":\"succeeded\""), "\(show.output)")
        let replay = try await GatewayProcess.runCLI(["retries", "replay", retryId, "--url", url, "--key", TestGateway.apiKey])
        #expect(replay.status != 0 && replay.output.contains("409"), "a succeeded entry is not replayed: \(replay.output)")
        let unauthorized = try await GatewayProcess.runCLI(["retries", "list", "--url", url, "--key", "not-a-key-not-a-key"])
        #expect(unauthorized.status != 0 && unauthorized.output.contains("401"), "\(unauthorized.output)")
    }
}

/// `parcelgate replay` against a real `parcelgate serve` with the committed demo config.
@Suite(.timeLimit(.minutes(3))) struct ReplayCommandTests {
    @Test func replaysEveryFixtureOutOfTheBox() async throws {
        let root = CarrierEndToEndTests.repositoryRoot
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = root.appendingPathComponent("config/demo.yaml").path
        let server = try await GatewayProcess.start(config: config, database: dir.appendingPathComponent("replay.sqlite").path)
        defer { server.terminate() }
        let url = "http://127.0.0.1:\(server.port)"
        // Every carrier folder, ShipEngine's signed with the QA test key whose public half the demo source holds.
        let fixtureRoot = root.appendingPathComponent("fixtures")
        let folders = try FileManager.default.contentsOfDirectory(atPath: fixtureRoot.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(folders.contains("shipengine"))
        let privateKey = ["--private-key", root.appendingPathComponent("config/qa/shipengine-test-private-key.pem").path]
        let fixtureFolders = folders.map { fixtureRoot.appendingPathComponent($0).path }
        let total = try folders.reduce(0) { count, folder in
            count + (try FileManager.default.subpathsOfDirectory(atPath: fixtureRoot.appendingPathComponent(folder).path).filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }.count)
        }

        // Unknown tracking numbers: every callback is queued, none lost or rejected.
        let first = try await GatewayProcess.runCLI(["replay"] + fixtureFolders + ["--url", url, "--tenant", "demo", "--config", config] + privateKey)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("[\(total)/\(total)]"), "progress lines: \(first.output)")
        #expect(first.output.contains("202 queued"), "\(first.output)")
        #expect(first.output.range(of: "total\\s+\(total)", options: .regularExpression) != nil, "\(first.output)")

        // The same files again are duplicates; expecting only 202 makes that a failure with a non-zero exit.
        let second = try await GatewayProcess.runCLI(["replay"] + fixtureFolders + ["--url", url, "--tenant", "demo", "--config", config, "--expect", "202"] + privateKey)
        #expect(second.status != 0, "\(second.output)")
        #expect(second.output.contains("200 duplicate"), "\(second.output)")

        // A wrong secret is rejected by the gateway and reported.
        let forged = try await GatewayProcess.runCLI(["replay", root.appendingPathComponent("fixtures/ups").path, "--url", url, "--tenant", "demo", "--config", config, "--secret", "wrong"])
        #expect(forged.status != 0)
        #expect(forged.output.contains("401 invalid_signature"), "\(forged.output)")

        // ShipEngine without a private key is reported per file, not signed wrongly; with another key it is refused.
        let shipEngine = root.appendingPathComponent("fixtures/shipengine").path
        let unsigned = try await GatewayProcess.runCLI(["replay", shipEngine, "--url", url, "--tenant", "demo", "--config", config])
        #expect(unsigned.status != 0 && unsigned.output.contains("--private-key"), "\(unsigned.output)")
        // A committed throw-away key the demo source does not hold.
        let otherKey = root.appendingPathComponent("Tests/ParcelGateServerTests/Keys/test-key-a.pem").path
        let wrongKey = try await GatewayProcess.runCLI(["replay", shipEngine, "--url", url, "--tenant", "demo", "--config", config, "--private-key", otherKey])
        #expect(wrongKey.status != 0 && wrongKey.output.contains("401 invalid_signature"), "\(wrongKey.output)")
    }
}

/// `parcelgate tenants` against a real `parcelgate serve`.
@Suite(.timeLimit(.minutes(3))) struct TenantsCommandTests {
    @Test func operatorManagesATenantFromTheCommandLine() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-tenants-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configPath = dir.appendingPathComponent("config.json").path
        try #"{"tenants": []}"#.write(toFile: configPath, atomically: true, encoding: .utf8)
        let operatorKey = "cli-operator-key-0123456789"
        let server = try await GatewayProcess.start(config: configPath, database: dir.appendingPathComponent("t.sqlite").path,
                                                    extraEnvironment: ["PARCELGATE_OPERATOR_KEY": operatorKey])
        defer { server.terminate() }
        let common = ["--url", "http://127.0.0.1:\(server.port)"]
        let env = ["PARCELGATE_OPERATOR_KEY": operatorKey]
        #expect(try await GatewayProcess.runCLI(["tenants", "create", "acme", "--per-second", "50"] + common, environment: env).status == 0)
        let source = try await GatewayProcess.runCLI(["tenants", "add-source", "acme", "generic", "--secret", "cli-secret-value"] + common, environment: env)
        #expect(source.status == 0 && source.output.contains("cli-secret-value"), "shown once: \(source.output)")
        let key = try await GatewayProcess.runCLI(["tenants", "issue-key", "acme", "--label", "ops"] + common, environment: env)
        let issued = try JSON(Array(key.output.utf8))
        let apiKey = try #require(issued["key"].string)
        let shown = try await GatewayProcess.runCLI(["tenants", "show", "acme"] + common, environment: env)
        #expect(shown.status == 0 && shown.output.contains("\"carrier\":\"generic\""), "\(shown.output)")
        #expect(!shown.output.contains("cli-secret-value") && !shown.output.contains(apiKey))
        let created = try await server.request("POST", "/v1/fulfillments", headers: [("Authorization", "Bearer \(apiKey)")], body: Array(#"{"order_id":"o"}"#.utf8))
        #expect(created.status == 201)
        let denied = try await GatewayProcess.runCLI(["tenants", "list"] + common, environment: ["PARCELGATE_OPERATOR_KEY": "wrong-wrong-wrong-wrong"])
        #expect(denied.status != 0 && denied.output.contains("401"))
    }
}

/// A crash between a group commit and its responses: whatever was acknowledged is there after a restart,
/// and resending everything applies nothing twice.
@Suite(.timeLimit(.minutes(3))) struct GroupCommitCrashTests {
    /// The retry worker polls rarely here: its idle claims are commits too, and would spend the fault's
    /// commit budget before the first callback arrives on a slow machine.
    static let config = """
        {"tenants": [{"slug": "shopstream", "api_keys": ["\(TestGateway.apiKey)"],
                      "sources": [{"carrier": "generic", "secrets": ["\(TestGateway.secret)"]}]}],
         "worker": {"poll_interval_ms": 600000}}
        """

    @Test func nothingAcknowledgedIsLostWhenTheProcessDiesAfterACommit() async throws {
        let (_, configPath, database) = try GatewayProcess.workspace("commitcrash", config: Self.config)
        let auth = [("Authorization", "Bearer \(TestGateway.apiKey)"), ("Content-Type", "application/json")]

        // Ship the fulfillment first, on a process without the fault.
        let setup = try await GatewayProcess.start(config: configPath, database: database)
        #expect(try await setup.request("POST", "/v1/fulfillments", headers: auth, body: Array(#"{"order_id":"o","id":"f"}"#.utf8)).status == 201)
        for command in ["pick", "pack", "ready"] { _ = try await setup.request("PUT", "/v1/fulfillments/f/\(command)", headers: auth) }
        #expect(try await setup.request("PUT", "/v1/fulfillments/f/ship", headers: auth, body: Array(#"{"carrier":"generic","tracking_number":"GC-1"}"#.utf8)).status == 200)
        setup.terminate()

        // This process kills itself right after its 16th commit, before answering that group.
        let faulty = try await GatewayProcess.start(config: configPath, database: database, extraEnvironment: ["PARCELGATE_FAULT_CRASH_AFTER_COMMITS": "16"])
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)
        let bodies = (0..<300).map { index in
            Array(#"{"tracking_number":"GC-1","status":"in_transit","event_id":"gc-\#(index)","occurred_at":"\#(Timestamp(seconds: 1_700_000_000 + Int64(index)).rfc3339)"}"#.utf8)
        }
        let acknowledged = NIOLockedValueBox<Set<Int>>([])
        /// Sends callback `index`, records a 2xx; false once the connection is gone.
        @Sendable func send(_ index: Int, on connection: HTTPConnection) async -> Bool {
            guard let headers = try? signer.headers(for: Data(bodies[index]), now: SystemClock().now()) else { return false }
            guard let response = try? await connection.send(method: "POST", path: "/v1/hooks/shopstream/generic", headers: headers, body: bodies[index]) else { return false }
            if (200..<300).contains(response.status) { acknowledged.withLockedValue { _ = $0.insert(index) } }
            return true
        }
        // A few callbacks one at a time first: each is answered before the next is sent, so some are
        // acknowledged before the fault fires, however slowly a busy machine writes the burst's responses.
        let sequential = 3
        if let connection = try? await HTTPConnection.connect(host: "127.0.0.1", port: faulty.port) {
            for index in 0..<sequential {
                guard await send(index, on: connection) else { break }
            }
            await connection.close()
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    guard let connection = try? await HTTPConnection.connect(host: "127.0.0.1", port: faulty.port) else { return }
                    for index in stride(from: sequential + worker, to: bodies.count, by: 16) {
                        guard await send(index, on: connection) else { return }
                    }
                }
            }
        }
        faulty.process.waitUntilExit()
        #expect(faulty.process.terminationReason == .uncaughtSignal, "the fault fired")
        let acked = acknowledged.withLockedValue { $0 }
        #expect(!acked.isEmpty && acked.count < bodies.count, "the crash happened mid-load: \(acked.count) acknowledged")

        let restarted = try await GatewayProcess.start(config: configPath, database: database)
        defer { restarted.terminate() }
        func storedIndexes() async throws -> [Int] {
            let events = try await restarted.request("GET", "/v1/fulfillments/f", headers: auth).json["tracking_events"].array
            return events.compactMap { event in
                (event["occurred_at"].string.flatMap(ISO8601Parser.parse)?.instant).map { Int($0.seconds - 1_700_000_000) }
            }
        }
        let stored = Set(try await storedIndexes())
        #expect(acked.isSubset(of: stored), "acknowledged but lost: \(acked.subtracting(stored).sorted())")
        // Everything again: what was committed is a duplicate, the rest is applied, nothing twice.
        for (index, body) in bodies.enumerated() {
            let response = try await restarted.request("POST", "/v1/hooks/shopstream/generic", headers: signer.headers(for: Data(body), now: SystemClock().now()), body: body)
            #expect(response.json["status"].string == (stored.contains(index) ? "duplicate" : "applied"), "callback \(index)")
        }
        let final = try await storedIndexes()
        #expect(final.count == bodies.count)
        #expect(Set(final).count == bodies.count)
    }
}
