import ParcelGateCore

/// Which addresses a platform notification may be sent to (issue 15, "No SSRF").
///
/// Refused: loopback, RFC 1918, link-local, CGNAT, multicast, broadcast, unspecified, reserved and
/// documentation ranges, cloud metadata services, and their IPv6 equivalents; an IPv6 address that embeds an
/// IPv4 one (IPv4-mapped, IPv4-compatible, SIIT, NAT64 `64:ff9b::/96`, 6to4) is judged as that IPv4 address,
/// so `::ffff:127.0.0.1` is loopback. IPv6 outside global unicast (`2000::/3`) is reserved.
///
/// `notifications.allowed_networks` opens ranges (an on-premises receiver, the tests' loopback), except the
/// cloud metadata addresses and the unspecified address, which no allow-list opens: a broad `0.0.0.0/0` must
/// not hand out an instance's credentials, and connecting to `0.0.0.0` reaches the local host.
///
/// The policy is applied to the address actually connected to (``refusal(for:)`` on the channel's
/// `remoteAddress`), so a name that resolves to a public address when registered and to a private one when
/// sent (DNS rebinding) is still refused; the URL check at registration is only the early, friendly half.
package struct AddressPolicy: Sendable {
    let allowed: [AddressBlock]

    /// Refuses every special range and opens nothing.
    package static let strict = AddressPolicy(blocks: [])

    private init(blocks: [AddressBlock]) { allowed = blocks }

    /// `allowedNetworks` as CIDR blocks, parsed strictly: `address/prefix` with the prefix written, no host
    /// bits set, no blanks, no leading zeros in the prefix. Errors name the entry (never longer than 64
    /// characters) and the key.
    package init(allowedNetworks: [String]) throws(GatewayError) {
        var blocks: [AddressBlock] = []
        for entry in allowedNetworks { blocks.append(try Self.parseNetwork(entry)) }
        allowed = blocks
    }

    static func parseNetwork(_ text: String) throws(GatewayError) -> AddressBlock {
        let shown = String(text.prefix(64))
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = parts.last, !prefix.isEmpty, prefix == "0" || !prefix.hasPrefix("0"),
            let block = AddressBlock(text)
        else {
            throw .badRequest("notifications.allowed_networks: '\(shown)' is not a CIDR block such as 10.0.0.0/8 or fd12:3456::/48")
        }
        guard block.isNetworkAddress else {
            throw .badRequest("notifications.allowed_networks: '\(shown)' has bits set after its prefix; write the network address")
        }
        return block
    }

    /// Why `address` is refused, or `nil` when a notification may be sent to it.
    func refusal(for address: IPAddress) -> AddressRefusal? {
        let embedded = Self.embeddedIPv4(address)
        if let refusal = Self.firstMatch(address, in: Self.neverOpened) ?? embedded.flatMap({ Self.firstMatch($0, in: Self.neverOpened) }) {
            return refusal
        }
        guard let refusal = Self.specialPurpose(address, embedded: embedded) else { return nil }
        let opened = allowed.contains { block in block.contains(address) || embedded.map(block.contains) == true }
        return opened ? nil : refusal
    }

    /// The same for packed network-order bytes: 4 for IPv4, 16 for IPv6. Any other length is `notIP`.
    package func refusal(packed bytes: [UInt8]) -> AddressRefusal? {
        guard let address = IPAddress(packed: bytes) else { return .notIP }
        return refusal(for: address)
    }

    // MARK: The ranges

    /// Refused whatever `allowed_networks` says.
    static let neverOpened = table([
        ("169.254.169.254/32", .cloudMetadata),  // AWS, GCP, Azure, OpenStack, DigitalOcean...
        ("168.63.129.16/32", .cloudMetadata),  // Azure WireServer (a public address)
        ("100.100.100.200/32", .cloudMetadata),  // Alibaba Cloud
        ("fd00:ec2::254/128", .cloudMetadata),  // AWS over IPv6
        ("0.0.0.0/32", .unspecified),
        ("::/128", .unspecified),
    ])

    /// IANA's special-purpose IPv4 registry, as far as a public receiver can never be there. First match wins
    /// (broadcast before the reserved block around it).
    static let ipv4 = table([
        ("0.0.0.0/8", .unspecified),
        ("10.0.0.0/8", .privateNetwork),
        ("100.64.0.0/10", .sharedAddressSpace),
        ("127.0.0.0/8", .loopback),
        ("169.254.0.0/16", .linkLocal),
        ("172.16.0.0/12", .privateNetwork),
        ("192.0.0.0/24", .reserved),
        ("192.0.2.0/24", .documentation),
        ("192.88.99.0/24", .reserved),
        ("192.168.0.0/16", .privateNetwork),
        ("198.18.0.0/15", .reserved),
        ("198.51.100.0/24", .documentation),
        ("203.0.113.0/24", .documentation),
        ("224.0.0.0/4", .multicast),
        ("255.255.255.255/32", .broadcast),
        ("240.0.0.0/4", .reserved),
    ])

    /// IPv6 ranges named for their message; the rest of non-global space is caught by ``globalUnicast``.
    static let ipv6 = table([
        ("::1/128", .loopback),
        ("64:ff9b:1::/48", .reserved),  // local-use NAT64 (RFC 8215)
        ("100::/64", .reserved),  // discard-only
        ("2001::/23", .reserved),  // IETF protocol assignments, Teredo included
        ("2001:db8::/32", .documentation),
        ("3fff::/20", .documentation),
        ("fc00::/7", .uniqueLocal),
        ("fe80::/10", .linkLocal),
        ("fec0::/10", .reserved),  // deprecated site-local
        ("ff00::/8", .multicast),
    ])

    static let globalUnicast = table([("2000::/3", .reserved)])

    /// The v4 or v6 special-purpose class of `address`, before `allowed_networks`.
    private static func specialPurpose(_ address: IPAddress, embedded: IPAddress?) -> AddressRefusal? {
        if address.isIPv4 { return firstMatch(address, in: ipv4) }
        // `::1` and `::` embed nothing (see embeddedIPv4), so they reach the named table.
        if let embedded { return firstMatch(embedded, in: ipv4) }
        if let named = firstMatch(address, in: ipv6) { return named }
        return firstMatch(address, in: globalUnicast) == nil ? .reserved : nil
    }

    /// The IPv4 address inside an IPv6 one that carries it, for the forms a host or a translator would
    /// actually reach: IPv4-compatible `::a.b.c.d` (not `::` or `::1`), SIIT `::ffff:0:a.b.c.d`, NAT64
    /// `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`. IPv4-mapped needs nothing: ``IPAddress`` stores IPv4 in
    /// that form already.
    static func embeddedIPv4(_ address: IPAddress) -> IPAddress? {
        let b = address.bytes
        guard !address.isIPv4 else { return nil }
        let zeros = { (range: Range<Int>) in b[range].allSatisfy { $0 == 0 } }
        if zeros(0..<12), !zeros(12..<15) || b[15] > 1 { return IPAddress(packed: Array(b[12..<16])) }
        if zeros(0..<8), b[8] == 0xFF, b[9] == 0xFF, zeros(10..<12) { return IPAddress(packed: Array(b[12..<16])) }
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, zeros(4..<12) { return IPAddress(packed: Array(b[12..<16])) }
        if b[0] == 0x20, b[1] == 0x02 { return IPAddress(packed: Array(b[2..<6])) }
        return nil
    }

    private static func firstMatch(_ address: IPAddress, in table: [(AddressBlock, AddressRefusal)]) -> AddressRefusal? {
        table.first { $0.0.contains(address) }?.1
    }

    /// Builds a table from literals. An entry that does not parse is dropped (and ``AddressPolicyTests``
    /// checks that none is), so a typo here can never trap at start-up.
    private static func table(_ entries: [(String, AddressRefusal)]) -> [(AddressBlock, AddressRefusal)] {
        entries.compactMap { text, refusal in AddressBlock(text).map { ($0, refusal) } }
    }
}
