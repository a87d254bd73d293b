import ArgumentParser
import Foundation
import ParcelGateClient

/// The tenant API of a running gateway, as `retries`, `endpoints` and `deliveries` call it: where the gateway
/// is, the key, one request (with a JSON body for POST, PATCH and PUT), and a refusal told as
/// `HTTP <status>: <code>: <detail>` with exit status 1. These commands work the same on every database
/// backend and see only what the key's tenant sees.
///
/// A bad flag of these commands (a value out of range, an empty one, an unknown flag, a missing key) exits
/// with status 2, as `parcelgate listen` does: ``ParcelGateCommand/main()`` maps the argument parser's usage
/// errors (exit status 64) to 2 for ``commandGroups``.
struct APIConnection: ParsableArguments {
    @Option(name: .customLong("gateway"), help: ArgumentHelp("Gateway base URL (default \(Self.defaultGateway)). Env PARCELGATE_URL.", valueName: "url"))
    var gateway: String?

    @Option(help: "Tenant API key. Env PARCELGATE_API_KEY.")
    var key: String?

    static let defaultGateway = "http://127.0.0.1:8080"

    /// The top-level commands that are clients of the tenant API.
    static let commandGroups: Set<String> = ["retries", "endpoints", "deliveries"]

    func validate() throws {
        if let gateway { _ = try Self.target(gateway, source: "--gateway") }
        _ = try apiKey()
    }

    /// The checked connection settings; `gatewayOverride` is `retries`' older `--url` spelling.
    func client(gatewayOverride: String? = nil) throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let (url, source) = if let gateway { (gateway, "--gateway") }
            else if let gatewayOverride { (gatewayOverride, "--url") }
            else if let url = environment["PARCELGATE_URL"] { (url, "PARCELGATE_URL") }
            else { (Self.defaultGateway, "the default gateway URL") }
        let target = try Self.target(url, source: source)
        return APIClient(url: url, host: target.host, port: target.port, basePath: target.path == "/" ? "" : target.path, key: try apiKey())
    }

    private func apiKey() throws -> String {
        guard let apiKey = key ?? ProcessInfo.processInfo.environment["PARCELGATE_API_KEY"] else {
            throw ValidationError("An API key is required: --key or PARCELGATE_API_KEY")
        }
        guard !apiKey.isEmpty else { throw ValidationError("The API key must not be empty") }
        return apiKey
    }

    static func target(_ url: String, source: String) throws -> (host: String, port: Int, path: String) {
        do {
            return try HTTPConnection.parse(url: url)
        } catch {
            throw ValidationError("\(source) must be an http:// URL with a host, e.g. \(defaultGateway), not '\(Printable.line(url))'")
        }
    }
}

/// `--url`, the gateway's URL as `retries` (like `tenants`, `replay` and `bench`) has always spelt it. The
/// `endpoints` and `deliveries` commands say `--gateway`, because their `--url` is an endpoint's URL.
struct GatewayURLFlag: ParsableArguments {
    @Option(help: ArgumentHelp("Gateway base URL, the same as --gateway.", valueName: "url"))
    var url: String?

    func validate() throws {
        if let url { _ = try APIConnection.target(url, source: "--url") }
    }
}

/// A gateway's tenant API, checked and ready to call.
struct APIClient {
    let url: String
    let host: String
    let port: Int
    let basePath: String
    let key: String

    /// One request with its whole answer. A non-2xx answer throws ``APIFailure``; a gateway that cannot be
    /// reached throws ``CommandFailure`` naming it.
    func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> APIResponse {
        var headers = [("Authorization", "Bearer \(key)")]
        var body: [UInt8]?
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        let connection: HTTPConnection
        do {
            connection = try await HTTPConnection.connect(host: host, port: port)
        } catch {
            throw CommandFailure("cannot reach the gateway at \(url): \(HTTPConnection.reason(error))")
        }
        defer { Task { await connection.close() } }
        let response: HTTPClientResponse
        do {
            response = try await connection.send(method: method, path: basePath + path, headers: headers, body: body)
        } catch {
            throw CommandFailure("no answer from the gateway at \(url): \(HTTPConnection.reason(error))")
        }
        guard (200..<300).contains(response.status) else { throw APIFailure(response) }
        return APIResponse(response: response)
    }

    /// `text` as one path segment: `/`, `?`, `#` and `%` in an id cannot reach another route.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `?name=value&...` for the pairs whose value is given, each value percent-encoded.
    static func query(_ pairs: [(String, String?)]) -> String {
        let given = pairs.compactMap { name, value in value.map { "\(name)=\(segment($0))" } }
        return given.isEmpty ? "" : "?" + given.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// A 2xx answer.
struct APIResponse {
    let response: HTTPClientResponse

    var text: String { response.text }
    var body: [UInt8] { response.body }

    /// The body decoded as `T` (the API's snake_case names).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(response.body))
        } catch {
            throw CommandFailure("unexpected answer from the gateway (HTTP \(response.status)): \(Printable.line(response.text, limit: 200))")
        }
    }

    /// The body as indented JSON with sorted keys, for `show`. Control characters stay escaped, so nothing a
    /// receiver answered can drive the terminal.
    var prettyJSON: String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return Printable.text(response.text) }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A refusal from the API, told as `HTTP <status>: <code>: <detail>` (exit status 1).
struct APIFailure: Error, CustomStringConvertible {
    let status: Int
    let code: String?
    let detail: String

    init(_ response: HTTPClientResponse) {
        struct ErrorBody: Decodable { let code: String; let detail: String }
        status = response.status
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
            code = body.code
            detail = body.detail
        } else {
            code = nil
            detail = response.text
        }
    }

    var description: String {
        let detail = Printable.line(self.detail, limit: 1000)
        return code.map { "HTTP \(status): \(Printable.line($0, limit: 100)): \(detail)" } ?? "HTTP \(status): \(detail)"
    }
}
