import ArgumentParser
import Foundation
import ParcelGateClient

/// `parcelgate retries list|show|replay`: the tenant's retry queue and dead letters, through the HTTP API
/// of a running gateway (so it works the same on every database backend and respects tenant scoping).
struct RetriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retries",
        abstract: "List, show and replay queued callbacks and dead letters.",
        subcommands: [List.self, Show.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries, newest first.")
        @OptionGroup var connection: APIConnection
        @OptionGroup var url: GatewayURLFlag
        @Option(help: "pending, succeeded or exhausted (dead letters).")
        var status: String?

        func run() async throws {
            let query = APIClient.query([("status", status)])
            let response = try await connection.client(gatewayOverride: url.url).call("GET", "/v1/retries\(query)")
            let entries = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["retries"] as? [[String: Any]] ?? []
            let rows = entries.map { entry in
                ["id", "carrier", "reason", "status", "attempts", "next_attempt_at", "last_error"].map { key in
                    entry[key].map { $0 is NSNull ? "" : "\($0)" } ?? ""
                }
            }
            print(Table(header: ["ID", "CARRIER", "REASON", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"], rows: rows).rendered)
            print("\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one entry as JSON.")
        @OptionGroup var connection: APIConnection
        @OptionGroup var url: GatewayURLFlag
        @Argument var id: String

        func run() async throws {
            print(try await connection.client(gatewayOverride: url.url).call("GET", "/v1/retries/\(APIClient.segment(id))").text)
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a dead letter (or a pending entry) back in the queue, due now.")
        @OptionGroup var connection: APIConnection
        @OptionGroup var url: GatewayURLFlag
        @Argument var id: String

        func run() async throws {
            print(try await connection.client(gatewayOverride: url.url).call("POST", "/v1/retries/\(APIClient.segment(id))/replay").text)
        }
    }
}
