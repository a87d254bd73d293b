import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
import Testing

/// SIGKILL at random moments under load, ten times over, on one database: every acknowledged callback ends
/// applied exactly once, or still in the retry queue; none is applied twice.
@Suite(.timeLimit(.minutes(5))) struct CrashSoakTests {
    @Test func killedTenTimesUnderLoadLosesNothingAcknowledged() async throws {
        let (_, configPath, database) = try GatewayProcess.workspace("soak", config: CrashRecoveryTests.config)
        let auth = [("Authorization", "Bearer \(TestGateway.apiKey)"), ("Content-Type", "application/json")]
        let signer = try SignatureSigner(settings: GenericAdapter().defaultSignature, secret: TestGateway.secret)

        // Ten shipped fulfillments; a share of the callbacks names a shipment that never exists (queued).
        let setup = try await GatewayProcess.start(config: configPath, database: database)
        for index in 0..<10 {
            #expect(try await setup.request("POST", "/v1/fulfillments", headers: auth, body: Array(#"{"order_id":"o","id":"s\#(index)"}"#.utf8)).status == 201)
            for command in ["pick", "pack", "ready"] { _ = try await setup.request("PUT", "/v1/fulfillments/s\(index)/\(command)", headers: auth) }
            _ = try await setup.request("PUT", "/v1/fulfillments/s\(index)/ship", headers: auth, body: Array(#"{"carrier":"generic","tracking_number":"SOAK-\#(index)"}"#.utf8))
        }
        setup.terminate()

        func body(_ n: Int) -> [UInt8] {
            let tracking = n % 10 == 9 ? "NEVER-\(n % 7)" : "SOAK-\(n % 9)"
            return Array(#"{"tracking_number":"\#(tracking)","status":"in_transit","event_id":"soak-\#(n)","occurred_at":"\#(Timestamp(seconds: 1_700_000_000 + Int64(n)).rfc3339)"}"#.utf8)
        }
        let acknowledged = NIOLockedValueBox<[Int: String]>([:])
        let next = NIOLockedValueBox(0)
        var kills = 0
        for round in 0..<10 {
            let server = try await GatewayProcess.start(config: configPath, database: database)
            let killer = Task {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 150...600)))
                server.kill()
            }
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        guard let connection = try? await HTTPConnection.connect(host: "127.0.0.1", port: server.port) else { return }
                        while true {
                            let n = next.withLockedValue { value -> Int in value += 1; return value }
                            let payload = body(n)
                            guard let response = try? await connection.send(method: "POST", path: "/v1/hooks/shopstream/generic",
                                                                            headers: try signer.headers(for: Data(payload), now: SystemClock().now()), body: payload)
                            else { return }
                            if (200..<300).contains(response.status) {
                                acknowledged.withLockedValue { $0[n] = response.json["status"].string ?? "" }
                            }
                        }
                    }
                }
            }
            await killer.value
            // Counted only when the process was seen dead by SIGKILL, so the check below can fail.
            if server.process.terminationReason == .uncaughtSignal && server.process.terminationStatus == SIGKILL { kills += 1 }
        }
        #expect(kills == 10, "SIGKILL observed in \(kills) of 10 rounds")

        let final = try await GatewayProcess.start(config: configPath, database: database)
        defer { final.terminate() }
        var applied: [Int] = []
        for index in 0..<10 {
            let events = try await final.request("GET", "/v1/fulfillments/s\(index)", headers: auth).json["tracking_events"].array
            applied += events.compactMap { ($0["occurred_at"].string.flatMap(ISO8601Parser.parse)?.instant).map { Int($0.seconds - 1_700_000_000) } }
        }
        let queuedBodies = try await final.request("GET", "/v1/retries?status=pending&limit=1000", headers: auth).json["retries"].array.count
        let acked = acknowledged.withLockedValue { $0 }
        #expect(acked.count > 100, "the load made progress: \(acked.count)")
        #expect(Set(applied).count == applied.count, "a callback applied twice")
        for (n, outcome) in acked {
            if n % 10 == 9 {
                #expect(outcome == "queued" || outcome == "duplicate", "callback \(n): \(outcome)")
            } else {
                #expect(applied.contains(n), "acknowledged callback \(n) (\(outcome)) is lost")
            }
        }
        let ackedQueued = Set(acked.filter { $0.key % 10 == 9 }.keys)
        #expect(queuedBodies >= ackedQueued.count, "acknowledged queued callbacks are still in the queue")
    }
}
