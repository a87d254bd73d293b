import ArgumentParser
import Foundation
import ParcelGateCore

/// `parcelgate endpoints ...`: a tenant's webhook endpoints through the API of a running gateway (README,
/// "`parcelgate endpoints` and `parcelgate deliveries`"). Lists are tables, `show` is JSON, the rest print one
/// line; a signing secret is printed when it is made (`add`, `rotate-secret`) and never again.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints",
        abstract: "Register, change, test and recover the tenant's webhook endpoints.",
        discussion: "The gateway is --gateway (or PARCELGATE_URL); --url is an endpoint's URL.",
        subcommands: [Add.self, List.self, Show.self, Update.self, RotateSecret.self, Enable.self, Disable.self, Test.self, Recover.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint and print its signing secret (shown only now).")
        @OptionGroup var connection: APIConnection

        @Option(help: "The endpoint's URL: https://, or http:// where the gateway allows it.")
        var url: String

        @Option(name: .customLong("event-type"), help: ArgumentHelp("An event type to send; repeat the flag for several. None: every type.", valueName: "type"))
        var eventTypes: [String] = []

        @Option(help: "A note for people.")
        var description: String?

        @Option(help: "The signing secret to use instead of a generated one: whsec_ and the base64 of 24 to 64 random bytes.")
        var secret: String?

        @Option(name: .customLong("retry-schedule"), help: ArgumentHelp("Seconds before each retry, comma-separated (e.g. 5,300,1800); the last one repeats.", valueName: "s,s,..."))
        var retrySchedule: String?

        @Option(name: .customLong("max-attempts"), help: ArgumentHelp("The retry policy's max_attempts: retries after the first attempt.", valueName: "n"))
        var maxAttempts: String?

        func validate() throws { _ = try body() }

        func body() throws -> [String: Any] {
            var body: [String: Any] = ["url": try FlagValue.endpointURL(url)]
            if !eventTypes.isEmpty { body["event_types"] = try eventTypes.map { try FlagValue.nonEmpty($0, "--event-type") } }
            if let description { body["description"] = description }
            if let secret {
                guard secret.hasPrefix("whsec_"), secret.count > 6 else { throw ValidationError("--secret must be whsec_ followed by base64, as the gateway shows secrets") }
                body["secret"] = secret
            }
            var retry: [String: Any] = [:]
            if let retrySchedule { retry["schedule_s"] = try FlagValue.schedule(retrySchedule) }
            if let attempts = try FlagValue.wholeNumber(maxAttempts, "--max-attempts", in: 0...9_999) { retry["max_attempts"] = attempts }
            if !retry.isEmpty { body["retry"] = retry }
            return body
        }

        func run() async throws {
            let endpoint = try await connection.client().call("POST", "/v1/webhook-endpoints", json: body()).decode(EndpointView.self)
            print("Created endpoint \(endpoint.id) for \(Printable.line(endpoint.url, limit: 2048)): \(endpoint.state), \(endpoint.types)")
            EndpointView.printSecret(endpoint.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's endpoints.")
        @OptionGroup var connection: APIConnection

        func run() async throws {
            let endpoints = try await connection.client().call("GET", "/v1/webhook-endpoints").decode(EndpointList.self).endpoints
            let rows = endpoints.map { [$0.id, $0.url, $0.state, $0.circuit, $0.eventTypes.isEmpty ? "all" : $0.eventTypes.joined(separator: ","), $0.description ?? ""] }
            print(Table(header: ["ID", "URL", "STATE", "CIRCUIT", "EVENT TYPES", "DESCRIPTION"], rows: rows).rendered)
            print("\(endpoints.count) endpoint\(endpoints.count == 1 ? "" : "s")")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one endpoint as JSON.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            print(try await connection.client().call("GET", "/v1/webhook-endpoints/\(APIClient.segment(id))").prettyJSON)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an endpoint's URL, event types or description.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        @Option(help: "The new URL.")
        var url: String?

        @Option(name: .customLong("event-type"), help: ArgumentHelp("The event types to send from now on, replacing the old ones; repeat the flag for several.", valueName: "type"))
        var eventTypes: [String] = []

        @Flag(name: .customLong("all-event-types"), help: "Send every event type from now on.")
        var allEventTypes = false

        @Option(help: "The new note; an empty one clears it.")
        var description: String?

        func validate() throws { _ = try body() }

        func body() throws -> [String: Any] {
            _ = try FlagValue.id(id)
            var body: [String: Any] = [:]
            if let url { body["url"] = try FlagValue.endpointURL(url) }
            if allEventTypes {
                guard eventTypes.isEmpty else { throw ValidationError("--event-type and --all-event-types exclude each other") }
                body["event_types"] = [String]()
            } else if !eventTypes.isEmpty {
                body["event_types"] = try eventTypes.map { try FlagValue.nonEmpty($0, "--event-type") }
            }
            if let description { body["description"] = description }
            guard !body.isEmpty else { throw ValidationError("Nothing to change: give --url, --event-type, --all-event-types or --description") }
            return body
        }

        func run() async throws {
            let endpoint = try await connection.client().call("PATCH", "/v1/webhook-endpoints/\(APIClient.segment(id))", json: body()).decode(EndpointView.self)
            print("Updated endpoint \(endpoint.id): \(Printable.line(endpoint.url, limit: 2048)), \(endpoint.state), \(endpoint.types)")
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Make a new signing secret and print it (shown only now); the old one keeps signing beside it for the grace period."
        )
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        @Option(help: ArgumentHelp("Seconds the old secret keeps signing, 0 to 604800 (7 days); default 86400 (24 h).", valueName: "seconds"))
        var grace: String?

        func validate() throws { _ = try body() }

        func body() throws -> [String: Any] {
            _ = try FlagValue.id(id)
            return try FlagValue.wholeNumber(grace, "--grace", in: 0...604_800).map { ["grace_s": $0] } ?? [:]
        }

        func run() async throws {
            let body = try body()
            let endpoint = try await connection.client().call("POST", "/v1/webhook-endpoints/\(APIClient.segment(id))/rotate-secret", json: body).decode(EndpointView.self)
            let grace = body["grace_s"] as? Int ?? 86_400
            let until = grace == 0 ? "the old secret stops signing now" : "the old secret keeps signing beside it for \(grace) s"
            print("Rotated the signing secret of endpoint \(endpoint.id): \(until)")
            EndpointView.printSecret(endpoint.secret)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable an endpoint; deliveries held while it was disabled are sent, in order.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            let endpoint = try await connection.client().call("PATCH", "/v1/webhook-endpoints/\(APIClient.segment(id))", json: ["enabled": true]).decode(EndpointView.self)
            print("Endpoint \(endpoint.id) \(endpoint.state): held deliveries are sent, in order")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an endpoint; its new events are kept as held deliveries until it is enabled.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            let endpoint = try await connection.client().call("PATCH", "/v1/webhook-endpoints/\(APIClient.segment(id))", json: ["enabled": false]).decode(EndpointView.self)
            print("Endpoint \(endpoint.id) \(endpoint.state): new events are held until it is enabled")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a ping event now and print how the attempt went.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        func validate() throws { _ = try FlagValue.id(id) }

        func run() async throws {
            let delivery = try await connection.client().call("POST", "/v1/webhook-endpoints/\(APIClient.segment(id))/test").decode(DeliveryView.self)
            delivery.printWithAttempts()
        }
    }

    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put the endpoint's exhausted deliveries created in a window back to pending.")
        @OptionGroup var connection: APIConnection
        @Argument(help: "The endpoint's id, ep_...") var id: String

        @Option(help: ArgumentHelp("Start of the window, RFC 3339 with an offset (e.g. 2026-11-28T10:00:00Z).", valueName: "time"))
        var since: String

        @Option(help: ArgumentHelp("End of the window, RFC 3339 (default: now).", valueName: "time"))
        var until: String?

        func validate() throws { _ = try body() }

        func body() throws -> [String: Any] {
            _ = try FlagValue.id(id)
            let start = try FlagValue.instant(since, "--since")
            var body: [String: Any] = ["since": since]
            if let until {
                guard start < (try FlagValue.instant(until, "--until")) else { throw ValidationError("--since must be before --until") }
                body["until"] = until
            }
            return body
        }

        func run() async throws {
            struct Recovered: Decodable { let recovered: Int }
            let count = try await connection.client().call("POST", "/v1/webhook-endpoints/\(APIClient.segment(id))/recover", json: body()).decode(Recovered.self).recovered
            let window = until.map { "between \(since) and \($0)" } ?? "since \(since)"
            print("Recovered \(count) exhausted deliver\(count == 1 ? "y" : "ies") of endpoint \(id) created \(window): pending again, sent in order")
        }
    }
}

/// An endpoint as the API shows it.
struct EndpointView: Decodable {
    let id: String
    let url: String
    let eventTypes: [String]
    let enabled: Bool
    let disabledReason: String?
    let description: String?
    let circuit: String
    let createdAt: String
    let updatedAt: String
    let secret: String?

    /// `enabled`, or `disabled` with the reason (`operator`, `gone`, `failing`...).
    var state: String {
        enabled ? "enabled" : "disabled" + (disabledReason.map { " (\($0))" } ?? "")
    }

    var types: String {
        eventTypes.isEmpty ? "every event type" : "event types " + eventTypes.joined(separator: ", ")
    }

    /// The secret, on its own line so a script can take it, and that it is never shown again.
    static func printSecret(_ secret: String?) {
        guard let secret else {
            print("The gateway showed no signing secret.")
            return
        }
        print("Signing secret: \(Printable.line(secret, limit: 200))")
        print("It is shown only now: store it where the receiver reads it (rotate-secret makes a new one).")
    }
}

struct EndpointList: Decodable {
    let endpoints: [EndpointView]
}

/// Flag values checked before any request: a clear message and exit status 2 (``APIConnection``).
enum FlagValue {
    static func nonEmpty(_ text: String, _ flag: String) throws -> String {
        guard !text.isEmpty else { throw ValidationError("\(flag) must not be empty") }
        return text
    }

    /// An id for a path segment: not empty, no control characters (``APIClient/segment(_:)`` escapes the rest).
    static func id(_ text: String) throws -> String {
        guard !text.isEmpty else { throw ValidationError("The id must not be empty") }
        guard text.utf8.count <= 200, Printable.line(text, limit: .max) == text else { throw ValidationError("'\(Printable.line(text))' is not an id") }
        return text
    }

    /// An endpoint URL as far as it is cheap to tell here; the gateway checks the rest (scheme allowed, address).
    static func endpointURL(_ text: String) throws -> String {
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), text.split(separator: "/").count >= 2 else {
            throw ValidationError("--url must be an https:// (or http://) URL with a host, not '\(Printable.line(text))'")
        }
        return text
    }

    static func wholeNumber(_ text: String?, _ flag: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let number = StrictNumber.int(text, in: range) else {
            throw ValidationError("\(flag) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(Printable.line(text))'")
        }
        return number
    }

    /// `5,300,1800`: seconds, each a positive number.
    static func schedule(_ text: String) throws -> [Double] {
        let steps = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !steps.isEmpty, steps.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }) else {
            throw ValidationError("--retry-schedule must be seconds, each a positive number, separated by commas (e.g. 5,300,1800), not '\(Printable.line(text))'")
        }
        return steps.compactMap { $0 }
    }

    static func instant(_ text: String, _ flag: String) throws -> Timestamp {
        guard let instant = ISO8601Parser.parse(text)?.instant else {
            throw ValidationError("\(flag) must be an RFC 3339 time with an offset, e.g. 2026-11-28T10:00:00Z, not '\(Printable.line(text))'")
        }
        return instant
    }
}
