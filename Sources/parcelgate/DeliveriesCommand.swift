import ArgumentParser
import Foundation
import ParcelGateStore

/// `parcelgate deliveries list|show|retry`: a tenant's webhook deliveries through the API of a running gateway.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "List and show the tenant's webhook deliveries and their attempts; send one again now.",
        subcommands: [List.self, Show.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, newest first.")
        @OptionGroup var connection: APIConnection

        @Option(help: ArgumentHelp("Only this endpoint's, ep_...", valueName: "id"))
        var endpoint: String?

        @Option(help: ArgumentHelp("Only these: \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status"))
        var status: String?

        @Option(help: ArgumentHelp("Only this fulfillment's.", valueName: "id"))
        var fulfillment: String?

        @Option(help: ArgumentHelp("At most this many, 1 to 1000 (default 100).", valueName: "n"))
        var limit: String?

        func validate() throws { _ = try query() }

        func query() throws -> String {
            if let status, DeliveryStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", ")), not '\(Printable.line(status))'")
            }
            return APIClient.query([
                ("endpoint_id", try endpoint.map { try FlagValue.nonEmpty($0, "--endpoint") }),
                ("status", status),
                ("fulfillment_id", try fulfillment.map { try FlagValue.nonEmpty($0, "--fulfillment") }),
                ("limit", try FlagValue.wholeNumber(limit, "--limit", in: 1...1000).map { String($0) }),
            ])
        }

        func run() async throws {
            struct Deliveries: Decodable { let deliveries: [DeliveryView] }
            let deliveries = try await connection.client().call("GET", "/v1/deliveries\(query())").decode(Deliveries.self).deliveries
            let rows = deliveries.map { d in
                [d.id, d.type, d.status, String(d.attemptCount), d.endpointId, d.fulfillmentId ?? "", d.sequence.map { String($0) } ?? "",
                 d.nextAttemptAt ?? "", d.createdAt, d.lastResult]
            }
            print(Table(header: ["ID", "TYPE", "STATUS", "ATTEMPTS", "ENDPOINT", "FULFILLMENT", "SEQ", "NEXT ATTEMPT", "CREATED", "LAST RESULT"], rows: rows).rendered)
            let limit = (try? FlagValue.wholeNumber(limit, "--limit", in: 1...1000)) ?? 100
            let more = deliveries.count == limit ? " (the limit: there may be more; --limit up to 1000)" : ""
            print("\(deliveries.count) deliver\(deliveries.count == 1 ? "y" : "ies")\(more)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one delivery as JSON, with its attempts and signed payload.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The delivery's id.") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            print(try await connection.client().call("GET", "/v1/deliveries/\(APIClient.segment(id))").prettyJSON)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a delivery now (a manual attempt) and print how it went.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The delivery's id.") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            let delivery = try await connection.client().call("POST", "/v1/deliveries/\(APIClient.segment(id))/retry").decode(DeliveryView.self)
            delivery.printWithAttempts()
        }
    }
}

/// A delivery as the API shows it; `attempts` only in the detailed view (one delivery, `test`, `retry`).
struct DeliveryView: Decodable {
    let id: String
    let endpointId: String
    let eventId: String
    let type: String
    let status: String
    let attemptCount: Int
    let nextAttemptAt: String?
    let fulfillmentId: String?
    let sequence: Int64?
    let lastStatusCode: Int?
    let lastError: String?
    let createdAt: String
    let updatedAt: String
    let attempts: [AttemptView]?

    /// `HTTP 500`, the error, or nothing before the first attempt.
    var lastResult: String {
        lastStatusCode.map { "HTTP \($0)" + (lastError.map { " \($0)" } ?? "") } ?? lastError ?? ""
    }

    /// One line: which delivery, and where it stands after its last attempt.
    var summary: String {
        var subject = "Delivery \(id) (\(type) to \(endpointId)"
        if let fulfillmentId { subject += ", fulfillment \(fulfillmentId)" + (sequence.map { " #\($0)" } ?? "") }
        subject += ")"
        let last = attempts?.last
        let lastAttempt = last.map { " on attempt \($0.attempt) (\($0.result))" } ?? ""
        let outcome = switch status {
        case "delivered": "delivered" + lastAttempt
        case "failed": "failed" + lastAttempt + (nextAttemptAt.map { ", next attempt at \($0)" } ?? "")
        case "exhausted": "exhausted after \(attemptCount) attempt\(attemptCount == 1 ? "" : "s")" + (last.map { " (last: \($0.result))" } ?? "")
        case "held": "held: the endpoint is disabled; it is sent once the endpoint is enabled"
        case "pending": "pending" + (nextAttemptAt.map { ", next attempt at \($0)" } ?? "")
        default: status
        }
        return "\(subject): \(outcome)"
    }

    /// The summary, then the attempts as a table.
    func printWithAttempts() {
        print(Printable.line(summary, limit: 2000))
        guard let attempts, !attempts.isEmpty else { return }
        let rows = attempts.map { a in
            [String(a.attempt), a.trigger, a.startedAt, "\(a.durationMs) ms", a.statusCode.map { "HTTP \($0)" } ?? (a.error ?? ""),
             Printable.line(a.responseExcerpt ?? "", limit: 60)]
        }
        print(Table(header: ["ATTEMPT", "TRIGGER", "STARTED", "DURATION", "RESULT", "RESPONSE"], rows: rows).rendered)
    }
}

/// One attempt: `{"attempt","trigger","started_at","duration_ms","status_code","response_excerpt","error"}`.
struct AttemptView: Decodable {
    let attempt: Int
    let trigger: String
    let startedAt: String
    let durationMs: Int64
    let statusCode: Int?
    let responseExcerpt: String?
    let error: String?

    /// `HTTP 500, 3 ms`, or the error when there was no answer.
    var result: String {
        (statusCode.map { "HTTP \($0)" } ?? error ?? "no answer") + ", \(durationMs) ms"
    }
}
