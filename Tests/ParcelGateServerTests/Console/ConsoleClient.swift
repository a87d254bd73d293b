import Foundation
@testable import ParcelGateClient
import Testing

/// A browser stand-in for the console's HTTP tests: keeps cookies as `Set-Cookie` says, reads CSRF tokens
/// out of pages, posts forms.
final class ConsoleClient: @unchecked Sendable {
    let gateway: TestGateway
    private(set) var cookies: [String: String] = [:]
    /// The raw `Set-Cookie` values of the last response.
    private(set) var lastSetCookies: [String] = []

    init(_ gateway: TestGateway) { self.gateway = gateway }

    var cookieHeader: [(String, String)] {
        cookies.isEmpty ? [] : [("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]
    }

    func setCookie(_ name: String, _ value: String?) { cookies[name] = value }

    @discardableResult
    func get(_ path: String) async throws -> HTTPClientResponse {
        remember(try await gateway.request("GET", path, headers: cookieHeader))
    }

    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], contentType: String = "application/x-www-form-urlencoded") async throws -> HTTPClientResponse {
        let body = fields.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
        return remember(try await gateway.request("POST", path, headers: cookieHeader + [("Content-Type", contentType)], body: Array(body.utf8)))
    }

    /// Signs in with `key` through the form; returns the sign-in answer.
    @discardableResult
    func signIn(_ key: String) async throws -> HTTPClientResponse {
        let form = try await get("/console/login")
        let token = try #require(Self.csrfToken(form.text))
        return try await post("/console/login", [("csrf_token", token), ("key", key)])
    }

    /// The CSRF token of the page at `path` (from its first form).
    func csrfToken(at path: String) async throws -> String {
        try #require(Self.csrfToken(try await get(path).text))
    }

    static func csrfToken(_ html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value="[0-9a-f]{64}""#, options: .regularExpression) else { return nil }
        return String(html[range].dropLast().suffix(64))
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    private func remember(_ response: HTTPClientResponse) -> HTTPClientResponse {
        lastSetCookies = response.headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1)
        for value in lastSetCookies {
            let pair = value.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            if value.contains("Max-Age=0") || parts[1].isEmpty { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }
        return response
    }
}
