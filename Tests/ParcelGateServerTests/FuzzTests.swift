import Foundation
import NIOConcurrencyHelpers
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// Hostile input against a live server: the fixtures mutated every way a broken or malicious sender could,
/// most of them correctly signed so they reach the parsers. The server must never crash, must answer only
/// documented status codes, and every error body must be the documented JSON.
@Suite(.timeLimit(.minutes(5))) struct FuzzTests {
    static let carriers = ["generic", "ups", "fedex", "dhl", "usps", "easypost", "shippo", "aftership"]
    static let documented: Set<Int> = [200, 202, 400, 401, 404, 409, 413, 429]

    struct Mutant: Sendable {
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]
    }

    static func corpus() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        let root = CarrierEndToEndTests.repositoryRoot.appendingPathComponent("fixtures")
        for carrier in carriers where carrier != "generic" {
            for file in try CarrierEndToEndTests.fixtures(carrier) { seeds.append(Array(try Data(contentsOf: file))) }
        }
        _ = root
        seeds.append(Array(#"{"tracking_number":"FZ-1","status":"in_transit","location":{"city":"Reno","region":"NV","country_code":"US"},"occurred_at":"2026-11-20T10:00:00-08:00","event_id":"e"}"#.utf8))
        seeds.append(Array(#"{"fulfillment_id":"fz","status":"delivered"}"#.utf8))
        return seeds
    }

    static func mutate(_ seed: [UInt8], carrier: String, using rng: inout SplitMix64) -> Mutant {
        var body = seed
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var path = "/v1/hooks/shopstream/\(carrier)"
        var sign = true
        switch Int.random(in: 0..<14, using: &rng) {
        case 0: // bit flips
            for _ in 0..<Int.random(in: 1...8, using: &rng) where !body.isEmpty {
                body[Int.random(in: 0..<body.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            }
        case 1: // truncation
            body = Array(body.prefix(Int.random(in: 0...body.count, using: &rng)))
        case 2: // duplication of a slice, or of the whole body
            let start = Int.random(in: 0...body.count, using: &rng)
            let end = Int.random(in: start...body.count, using: &rng)
            body.insert(contentsOf: body[start..<end], at: end)
            if Bool.random(using: &rng) { body += body }
        case 3: // wrong content type
            headers = [("Content-Type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", "", "application/json; charset=latin1"].randomElement(using: &rng)!)]
        case 4: // invalid UTF-8
            let at = Int.random(in: 0...body.count, using: &rng)
            body.insert(contentsOf: [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00]].randomElement(using: &rng)!, at: at)
        case 5: // huge numbers in place of values
            let huge = ["1e999999", "-1e400", "123456789012345678901234567890", "0.000000000000000000000000000001e-400", "NaN", "Infinity"].randomElement(using: &rng)!
            body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"in_transit\"", with: huge)
                .replacingOccurrences(of: "\"I\"", with: huge).replacingOccurrences(of: "\"DL\"", with: huge).utf8)
            if body == seed { body = Array(#"{"tracking_number":\#(huge),"status":\#(huge),"occurred_at":\#(huge)}"#.utf8) }
        case 6: // deep nesting
            let depth = [100, 511, 513, 5_000, 50_000].randomElement(using: &rng)!
            body = Bool.random(using: &rng)
                ? Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
                : Array((String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)).utf8)
        case 7: // absurd header values
            let value = [String(repeating: "A", count: 16_000), "sha256=" + String(repeating: "0", count: 5_000), "%00%FF<script>\"\\;,==", "t=99999999999999999999,v1=zz", "v1,,,,", "Bearer "].randomElement(using: &rng)!
            headers += [("X-Carrier-Signature", value), ("credential", value), ("webhook-timestamp", value), ("Shippo-Auth-Signature", value), ("X-Hmac-Signature", value)]
            sign = false
        case 8: // not JSON at all
            body = (0..<Int.random(in: 0...2_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 9: // right shape, wrong types everywhere
            body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\":\"", with: "\":[").replacingOccurrences(of: "\": \"", with: "\": {\"x\":").utf8)
        case 10: // unknown tenant or carrier, odd paths
            path = ["/v1/hooks/nobody/\(carrier)", "/v1/hooks/shopstream/pigeon", "/v1/hooks/%00/%ff", "/v1/hooks/shopstream/\(carrier)/extra",
                    "/v1/hooks/" + String(repeating: "x", count: 3_000) + "/ups", "/v1/hooks/shopstream/UPS"].randomElement(using: &rng)!
        case 11: // over the body limit (64 KiB here)
            body = Array(repeating: UInt8(ascii: " "), count: 70_000) + body
        case 12: // an unsigned or wrongly signed original
            sign = false
            headers.append(("X-Carrier-Signature", "sha256=" + String(repeating: "ab", count: 32)))
        default: // the original, signed: valid callbacks keep flowing between the hostile ones
            break
        }
        if sign, let adapter = CarrierRegistry.standard.adapter(for: carrier),
            let signer = try? SignatureSigner(settings: adapter.defaultSignature, secret: "fuzz-\(carrier)-secret") {
            headers += (try? signer.headers(for: Data(body), now: SystemClock().now())) ?? []
        }
        return Mutant(path: path, headers: headers, body: body)
    }

    @Test func tenThousandHostileRequests() async throws {
        var config = TestGateway.defaultConfig(maxBodyBytes: 65_536)
        config.tenants[0].sources = Self.carriers.map { SourceConfig(carrier: $0, secrets: ["fuzz-\($0)-secret"]) }
        let seeds = try Self.corpus()
        var rng = SplitMix64(seed: 20261123)
        var mutants: [Mutant] = []
        for index in 0..<10_400 {
            let seed = seeds[index % seeds.count]
            let carrier = index % seeds.count >= seeds.count - 2 ? "generic" : Self.carriers.filter { $0 != "generic" }.randomElement(using: &rng)!
            mutants.append(Self.mutate(seed, carrier: carrier, using: &rng))
        }
        let planned = mutants
        try await TestGateway.run(config: config) { gateway in
            // Something for the valid ones to land on.
            try await gateway.shippedFulfillment(id: "fz", trackingNumber: "FZ-1")
            let statuses = NIOLockedValueBox<[Int: Int]>([:])
            let problems = NIOLockedValueBox<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var connection = try await HTTPConnection.connect(host: "127.0.0.1", port: gateway.port)
                        for index in stride(from: worker, to: planned.count, by: 8) {
                            let mutant = planned[index]
                            let response: HTTPClientResponse
                            do {
                                response = try await connection.send(method: "POST", path: mutant.path, headers: mutant.headers, body: mutant.body)
                            } catch {
                                // The server may close a connection after an error it answered; never without answering.
                                problems.withLockedValue { $0.append("request \(index): no response (\(error))") }
                                await connection.close()
                                connection = try await HTTPConnection.connect(host: "127.0.0.1", port: gateway.port)
                                continue
                            }
                            statuses.withLockedValue { $0[response.status, default: 0] += 1 }
                            if !Self.documented.contains(response.status) {
                                problems.withLockedValue { $0.append("request \(index): undocumented status \(response.status) \(response.text.prefix(200))") }
                            }
                            if response.status >= 400 {
                                let body = response.json
                                if body.keys != ["code", "detail", "request_id"] || body["code"].string == nil {
                                    problems.withLockedValue { $0.append("request \(index): error body not documented: \(response.text.prefix(200))") }
                                }
                            }
                            if response.header("Connection")?.lowercased() == "close" {
                                await connection.close()
                                connection = try await HTTPConnection.connect(host: "127.0.0.1", port: gateway.port)
                            }
                        }
                        await connection.close()
                    }
                }
                try await group.waitForAll()
            }
            let counted = statuses.withLockedValue { $0 }
            #expect(counted.values.reduce(0, +) >= 10_000, "\(counted)")
            #expect(problems.withLockedValue { $0 }.isEmpty, "\(problems.withLockedValue { Array($0.prefix(20)) })")
            // Every kind of answer was exercised, and the server is still well.
            for status in [200, 400, 401, 404, 413] { #expect((counted[status] ?? 0) > 0, "no \(status) in \(counted)") }
            try await gateway.request("GET", "/healthz").expect(200)
            #expect(try await gateway.becomesReady())
        }
    }
}
