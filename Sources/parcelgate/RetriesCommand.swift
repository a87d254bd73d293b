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

    struct Connection: ParsableArguments {
        @Option(help: "Gateway base URL.")
        var url: String = "http://127.0.0.1:8080"

        @Option(help: "Tenant API key. Env PARCELGATE_API_KEY.")
        var key: String?

        func call(_ method: String, _ path: String) async throws -> HTTPClientResponse {
            guard let apiKey = key ?? ProcessInfo.processInfo.environment["PARCELGATE_API_KEY"] else {
                throw ValidationError("An API key is required: --key or PARCELGATE_API_KEY")
            }
            let target = try HTTPConnection.parse(url: url)
            let connection = try await HTTPConnection.connect(host: target.host, port: target.port)
            defer { Task { await connection.close() } }
            let base = target.path == "/" ? "" : target.path
            let response = try await connection.send(method: method, path: base + path, headers: [("Authorization", "Bearer \(apiKey)")])
            guard (200..<300).contains(response.status) else {
                throw CommandFailure("HTTP \(response.status): \(response.text)")
            }
            return response
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries, newest first.")
        @OptionGroup var connection: Connection
        @Option(help: "pending, succeeded or exhausted (dead letters).")
        var status: String?

        func run() async throws {
            let query = status.map { "?status=\($0)" } ?? ""
            let response = try await connection.call("GET", "/v1/retries\(query)")
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
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws {
            print(try await connection.call("GET", "/v1/retries/\(id)").text)
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a dead letter (or a pending entry) back in the queue, due now.")
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws {
            print(try await connection.call("POST", "/v1/retries/\(id)/replay").text)
        }
    }
}

/// A failure to report to the operator with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A plain-text table with aligned columns.
struct Table {
    let header: [String]
    let rows: [[String]]

    var rendered: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
