import ParcelGateCore

/// The rules an endpoint URL must meet when a platform registers or changes it (issue 15, "No SSRF").
///
/// Checked up front so a bad URL is a clear `400` at registration rather than a string of failed deliveries:
/// `https://` (or `http://` where `notifications.allow_http` says so), no userinfo (credentials in a URL end
/// up in logs, and `user@host` is a classic way to disguise the real host), an ASCII host that is a DNS name or
/// an address literal, and a literal the ``AddressPolicy`` accepts. A host written as a number in a form
/// `inet_aton` would read (`2130706433`, `0x7f.1`, `127.1`) is refused outright: resolvers disagree on it.
/// A name is not resolved here; the address actually connected to is checked at send time.
package struct EndpointURLPolicy: Sendable {
    let addresses: AddressPolicy
    let allowHTTP: Bool

    /// Longest URL accepted; a stored URL is shown in every listing.
    static let maxLength = 2048

    package init(addresses: AddressPolicy, allowHTTP: Bool) {
        self.addresses = addresses
        self.allowHTTP = allowHTTP
    }

    /// The URL's parts once it passes every rule; errors say which rule failed, never echoing more than the
    /// host.
    package func validate(_ url: String) throws(GatewayError) -> EndpointURL {
        guard (1...Self.maxLength).contains(url.utf8.count) else { throw .badRequest("url must be 1 to \(Self.maxLength) characters") }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("url must be printable ASCII without blanks (write an international domain name in its xn-- form)")
        }
        let lowered = url.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            guard allowHTTP else { throw .badRequest("url must use https:// (http:// is allowed only when notifications.allow_http is set)") }
            scheme = "http"
        } else {
            throw .badRequest("url must start with https://")
        }
        let rest = url.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let pathAndQuery = String(rest.dropFirst(authority.count))
        guard !pathAndQuery.contains("#") else { throw .badRequest("url must not carry a #fragment") }
        guard !authority.contains("@") else { throw .badRequest("url must not carry a user name or password") }
        let (host, port) = try Self.splitHostPort(authority, defaultPort: scheme == "https" ? 443 : 80)
        if let address = IPAddress(host) {
            if let refusal = addresses.refusal(for: address) { throw .badRequest("url's host \(host) is refused: \(refusal.rawValue) address") }
        } else {
            try checkName(host)
        }
        return EndpointURL(scheme: scheme, host: host, port: port, pathAndQuery: pathAndQuery.isEmpty ? "/" : pathAndQuery)
    }

    /// `host[:port]` or `[v6][:port]`. A bracket must hold an IPv6 literal (no zone id).
    private static func splitHostPort(_ authority: Substring, defaultPort: Int) throws(GatewayError) -> (host: String, port: Int) {
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badRequest("url has an unclosed [ in its host") }
            hostPart = authority[authority.startIndex...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badRequest("url has text after its [address]") }
                portText = after.dropFirst()
            }
            guard let address = IPAddress(hostPart), !address.isIPv4 || hostPart.contains(":") else {
                throw .badRequest("url's [host] must be an IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        var port = defaultPort
        if let portText {
            guard let parsed = StrictNumber.int(portText, in: 1...65535), portText.utf8.count <= 5 else { throw .badRequest("url's port must be 1 to 65535") }
            port = parsed
        }
        let host = String(hostPart).lowercased()
        guard !host.isEmpty else { throw .badRequest("url has no host") }
        return (host, port)
    }

    /// A DNS name: labels of letters, digits and `-` (not at either end), at most 63 each and 253 in all, one
    /// trailing dot allowed. `localhost` and `*.localhost` always mean loopback (RFC 6761), so they are judged
    /// by 127.0.0.1 and ::1: refused when both are (one may be opened by `allowed_networks`; the connected
    /// address is checked anyway). A last label that is all digits, or starts with `0x`, reads as a number.
    private func checkName(_ host: String) throws(GatewayError) {
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= 253, labels.allSatisfy(Self.isLabel) else { throw .badRequest("url's host is not a valid DNS name") }
        if let last = labels.last, last.allSatisfy(\.isNumber) || last.hasPrefix("0x") {
            throw .badRequest("url's host is a number that is not a standard dotted IPv4 address")
        }
        if name == "localhost" || name.hasSuffix(".localhost") {
            let v4 = IPAddress("127.0.0.1").flatMap(addresses.refusal(for:))
            let v6 = IPAddress("::1").flatMap(addresses.refusal(for:))
            if let refusal = v4, v6 != nil { throw .badRequest("url's host \(name) is refused: \(refusal.rawValue) address") }
        }
    }

    private static func isLabel(_ label: Substring) -> Bool {
        guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
        return label.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}

/// An endpoint URL that passed ``EndpointURLPolicy``: its parts, lower-cased scheme and host.
package struct EndpointURL: Sendable, Hashable {
    package let scheme: String
    package let host: String
    package let port: Int
    package let pathAndQuery: String
}
