#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ParcelGateCore

/// An IPv4 or IPv6 address, parsed strictly (`inet_pton`), kept as 16 bytes with IPv4 mapped into
/// `::ffff:0:0/96` so one comparison serves both families.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// `nil` unless `text` is exactly one address (IPv6 may be bracketed). Longer text is refused unread.
    init?(_ text: some StringProtocol) {
        var candidate = String(text)
        guard candidate.utf8.count <= 64 else { return nil }
        if candidate.hasPrefix("["), candidate.hasSuffix("]") { candidate = String(candidate.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, candidate, &v4) == 1 {
            let raw = withUnsafeBytes(of: &v4) { Array($0) }
            bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + raw
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, candidate, &v6) == 1 else { return nil }
        bytes = withUnsafeBytes(of: &v6) { Array($0) }
    }

    var isIPv4: Bool { bytes.prefix(12).elementsEqual([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]) }

    /// The address's /64 network for IPv6 (one site's share: anyone holding a /64 controls all of it), the
    /// address itself for IPv4. What a client is counted as, so an attacker cannot rotate through addresses.
    var clientKey: String {
        guard !isIPv4 else { return description }
        return IPAddress(bytes: Array(bytes.prefix(8)) + [UInt8](repeating: 0, count: 8)).description + "/64"
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// From packed network-order bytes as a socket carries them: 4 (IPv4, stored mapped) or 16 (IPv6).
    init?(packed: [UInt8]) {
        switch packed.count {
        case 4: bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + packed
        case 16: bytes = packed
        default: return nil
        }
    }

    var description: String {
        if isIPv4 { return bytes.suffix(4).map { String($0) }.joined(separator: ".") }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address block such as `10.0.0.0/8`, `2001:db8::/32` or a single address.
struct AddressBlock: Sendable, Hashable {
    let base: IPAddress
    /// Leading bits that must match, counted over the 16-byte form.
    let prefixBits: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let width = address.isIPv4 ? 32 : 128
        var bits = width
        if parts.count == 2 {
            guard let parsed = StrictNumber.int(parts[1], in: 0...width) else { return nil }
            bits = parsed
        }
        base = address
        prefixBits = bits + (address.isIPv4 ? 96 : 0)
    }

    /// Whether every bit after the prefix is zero (`10.0.0.0/8`, not `10.1.2.3/8`): config that names a network
    /// should say exactly which one, so a typo in the address is caught rather than silently widened.
    var isNetworkAddress: Bool {
        var remaining = prefixBits
        for index in 0..<16 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : (remaining <= 0 ? 0 : ~(0xFF >> UInt8(remaining)))
            guard base.bytes[index] & ~mask == 0 else { return false }
            remaining -= 8
        }
        return true
    }

    func contains(_ address: IPAddress) -> Bool {
        var remaining = prefixBits
        for index in 0..<16 where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard address.bytes[index] & mask == base.bytes[index] & mask else { return false }
            remaining -= 8
        }
        return true
    }
}

/// The reverse proxies (`server.trusted_proxies`) whose `X-Forwarded-For` is believed. From anyone else the
/// header is ignored: otherwise a forger could name any address and spend another client's budget.
package struct TrustedProxies: Sendable {
    let blocks: [AddressBlock]
    /// Most `X-Forwarded-For` entries looked at, from the right.
    static let maxHops = 32

    package init(_ specifications: [String]) throws(GatewayError) {
        var blocks: [AddressBlock] = []
        for specification in specifications {
            guard let block = AddressBlock(specification.trimmingWhitespace()) else {
                throw .badRequest("server.trusted_proxies: '\(specification.prefix(64))' is not an address or CIDR block")
            }
            blocks.append(block)
        }
        self.blocks = blocks
    }

    func trusts(_ address: IPAddress) -> Bool { blocks.contains { $0.contains(address) } }

    /// Whether a peer address, as text, is a trusted proxy.
    func trusts(peer text: String?) -> Bool {
        guard !blocks.isEmpty, let text, let address = IPAddress(text) else { return false }
        return trusts(address)
    }

    /// Who sent the request: the peer, unless the peer is a trusted proxy; then the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy. An entry that is not an address ends the
    /// walk, and the request is charged to the last trusted hop rather than to text a sender chose.
    func client(peer peerText: String?, forwardedFor lines: [String]) -> String {
        guard let peerText else { return "unknown" }
        // Without trusted proxies (the default) an IPv4 peer's own text is the answer: nothing to parse. The
        // colon is looked for in the UTF-8 bytes: `String.contains(String)` is Foundation's, through NSString
        // (about 1 % of a callback's CPU in a profile).
        if blocks.isEmpty || lines.isEmpty {
            return peerText.utf8.contains(UInt8(ascii: ":")) ? IPAddress(peerText)?.clientKey ?? peerText : peerText
        }
        guard let peer = IPAddress(peerText), trusts(peer) else { return IPAddress(peerText)?.clientKey ?? peerText }
        var current = peer
        let entries = lines.flatMap { $0.split(separator: ",") }.suffix(Self.maxHops).reversed()
        for entry in entries {
            guard let address = IPAddress(entry.trimmingWhitespace()) else { break }
            current = address
            if !trusts(address) { break }
        }
        return current.clientKey
    }

    /// Whether `host` (a `--host` value) is a loopback address or `localhost`: parsed, not matched by prefix.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = IPAddress(host) else { return false }
        return address.isIPv4 ? address.bytes[12] == 127 : address.bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}
