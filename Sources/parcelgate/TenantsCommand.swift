import ArgumentParser
import Foundation
import ParcelGateClient
import ParcelGateCore

/// `parcelgate tenants ...`: the operator API of a running gateway from the command line.
/// New keys and secrets are printed once, as the API returns them.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Manage tenants, their carrier sources and secrets, and their API keys (operator key required).",
        subcommands: [List.self, Show.self, Create.self, SetLimit.self, AddSource.self, RemoveSource.self, AddSecret.self, RemoveSecret.self, IssueKey.self, RevokeKey.self]
    )

    struct Operator: ParsableArguments {
        @Option(help: "Gateway base URL.")
        var url: String = "http://127.0.0.1:8080"

        @Option(name: .customLong("operator-key"), help: "Operator key. Env PARCELGATE_OPERATOR_KEY.")
        var operatorKey: String?

        func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws {
            guard let key = operatorKey ?? ProcessInfo.processInfo.environment["PARCELGATE_OPERATOR_KEY"] else {
                throw ValidationError("An operator key is required: --operator-key or PARCELGATE_OPERATOR_KEY")
            }
            let target = try HTTPConnection.parse(url: url)
            let connection = try await HTTPConnection.connect(host: target.host, port: target.port)
            defer { Task { await connection.close() } }
            var headers = [("Authorization", "Bearer \(key)")]
            var body: [UInt8]?
            if let json {
                headers.append(("Content-Type", "application/json"))
                body = Array(try JSONSerialization.data(withJSONObject: json))
            }
            let base = target.path == "/" ? "" : target.path
            let response = try await connection.send(method: method, path: base + "/v1/admin" + path, headers: headers, body: body)
            guard (200..<300).contains(response.status) else { throw CommandFailure("HTTP \(response.status): \(response.text)") }
            print(response.text)
        }
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var op: Operator
        func run() async throws { try await op.call("GET", "/tenants") }
    }

    struct Show: AsyncParsableCommand {
        @OptionGroup var op: Operator
        @Argument var slug: String
        func run() async throws { try await op.call("GET", "/tenants/\(slug)") }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Option(help: "Ingress rate limit, callbacks per second.") var perSecond: Double?
        @Option(help: "Ingress burst.") var burst: Int?
        func run() async throws {
            var body: [String: Any] = ["slug": slug]
            if let perSecond { body["rate_limit"] = ["per_second": perSecond, "burst": burst ?? Int(saturating: perSecond.rounded(.up))] }
            try await op.call("POST", "/tenants", json: body)
        }
    }

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-limit", abstract: "Set a tenant's ingress rate limit.")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Option var perSecond: Double
        @Option var burst: Int?
        func run() async throws {
            try await op.call("PATCH", "/tenants/\(slug)", json: ["rate_limit": ["per_second": perSecond, "burst": burst ?? Int(saturating: perSecond.rounded(.up))]])
        }
    }

    struct AddSource: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-source", abstract: "Add or update a carrier source; a new one gets a generated secret unless --secret is given.")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Argument var carrier: String
        @Option var scheme: String?
        @Option var header: String?
        @Option var prefix: String?
        @Option var secret: String?
        @Option(name: .customLong("tolerance-s")) var toleranceSeconds: Int?
        @Option var timezone: String?
        func run() async throws {
            var body: [String: Any] = [:]
            if let scheme { body["scheme"] = scheme }
            if let header { body["header"] = header }
            if let prefix { body["prefix"] = prefix }
            if let secret { body["secret"] = secret }
            if let toleranceSeconds { body["tolerance_s"] = toleranceSeconds }
            if let timezone { body["timezone"] = timezone }
            try await op.call("PUT", "/tenants/\(slug)/sources/\(carrier)", json: body)
        }
    }

    struct RemoveSource: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-source")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Argument var carrier: String
        func run() async throws { try await op.call("DELETE", "/tenants/\(slug)/sources/\(carrier)") }
    }

    struct AddSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-secret", abstract: "Add a secret beside the current ones (rotation); printed once.")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Argument var carrier: String
        @Option(help: "The secret the carrier was given (default: a generated one).") var secret: String?
        func run() async throws {
            try await op.call("POST", "/tenants/\(slug)/sources/\(carrier)/secrets", json: secret.map { ["secret": $0] } ?? [:])
        }
    }

    struct RemoveSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-secret", abstract: "Remove a secret (not the source's last one).")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Argument var carrier: String
        @Argument var id: String
        func run() async throws { try await op.call("DELETE", "/tenants/\(slug)/sources/\(carrier)/secrets/\(id)") }
    }

    struct IssueKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "issue-key", abstract: "Issue an API key; printed once.")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Option var label: String?
        func run() async throws { try await op.call("POST", "/tenants/\(slug)/api-keys", json: label.map { ["label": $0] } ?? [:]) }
    }

    struct RevokeKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-key")
        @OptionGroup var op: Operator
        @Argument var slug: String
        @Argument var id: String
        func run() async throws { try await op.call("DELETE", "/tenants/\(slug)/api-keys/\(id)") }
    }
}
