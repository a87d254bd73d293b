import NIOCore
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The SSRF policy (issue 15, "No SSRF"), on address text, packed bytes and NIO socket addresses.
@Suite struct AddressPolicyTests {
    let strict = AddressPolicy.strict

    func refusal(_ policy: AddressPolicy, _ text: String) -> AddressRefusal? {
        guard let address = IPAddress(text) else {
            Issue.record("'\(text)' did not parse")
            return .notIP
        }
        return policy.refusal(for: address)
    }

    @Test(arguments: [
        ("127.0.0.1", AddressRefusal.loopback), ("127.255.255.254", .loopback),
        ("10.0.0.1", .privateNetwork), ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork), ("192.168.1.1", .privateNetwork),
        ("169.254.1.1", .linkLocal), ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("224.0.0.1", .multicast), ("239.255.255.255", .multicast), ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("192.0.0.8", .reserved), ("198.18.0.1", .reserved), ("192.88.99.1", .reserved),
        ("192.0.2.1", .documentation), ("198.51.100.7", .documentation), ("203.0.113.200", .documentation),
        ("169.254.169.254", .cloudMetadata), ("168.63.129.16", .cloudMetadata), ("100.100.100.200", .cloudMetadata),
        // IPv6 and IPv4 inside IPv6
        ("::1", .loopback), ("::", .unspecified), ("fc00::1", .uniqueLocal), ("fd12:3456::1", .uniqueLocal), ("fe80::1", .linkLocal),
        ("febf::1", .linkLocal), ("fec0::1", .reserved), ("ff02::1", .multicast), ("2001:db8::1", .documentation), ("3fff::1", .documentation),
        ("2001::1", .reserved), ("100::1", .reserved), ("64:ff9b:1::1", .reserved), ("4000::1", .reserved), ("::1:0:0:1", .reserved), ("::2:1", .unspecified),
        ("fd00:ec2::254", .cloudMetadata),
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.1.2.3", .privateNetwork), ("::ffff:169.254.169.254", .cloudMetadata),
        ("::127.0.0.1", .loopback), ("::10.0.0.1", .privateNetwork), ("::ffff:0:192.168.0.1", .privateNetwork),
        ("64:ff9b::7f00:1", .loopback), ("64:ff9b::10.0.0.1", .privateNetwork), ("64:ff9b::a9fe:a9fe", .cloudMetadata),
        ("2002:7f00:1::", .loopback), ("2002:c0a8:101::1", .privateNetwork),
    ])
    func specialAddressesAreRefused(text: String, expected: AddressRefusal) {
        #expect(refusal(strict, text) == expected, "\(text)")
    }

    @Test(arguments: ["1.1.1.1", "8.8.8.8", "93.184.215.14", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "169.253.255.255",
                      "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "::8.8.8.8"])
    func publicAddressesPass(text: String) {
        #expect(refusal(strict, text) == nil, "\(text)")
    }

    /// `allowed_networks` opens what it covers, in both families and through the IPv4-in-IPv6 forms, but never
    /// a metadata service or the unspecified address.
    @Test func allowedNetworksOpenRanges() throws {
        let policy = try AddressPolicy(allowedNetworks: ["127.0.0.0/8", "10.20.0.0/16", "fd12:3456::/32", "0.0.0.0/0"])
        #expect(refusal(policy, "127.0.0.1") == nil)
        #expect(refusal(policy, "::ffff:127.0.0.1") == nil)
        #expect(refusal(policy, "10.20.3.4") == nil)
        #expect(refusal(policy, "fd12:3456::9") == nil)
        #expect(refusal(policy, "fd12:3457::9") == .uniqueLocal)
        #expect(refusal(policy, "::1") == .loopback)  // IPv6 loopback is not inside the IPv4 blocks
        #expect(refusal(policy, "169.254.169.254") == .cloudMetadata)  // not even under 0.0.0.0/0
        #expect(refusal(policy, "64:ff9b::a9fe:a9fe") == .cloudMetadata)
        #expect(refusal(policy, "0.0.0.0") == .unspecified)
        let narrow = try AddressPolicy(allowedNetworks: ["10.20.0.0/16"])
        #expect(refusal(narrow, "10.21.0.1") == .privateNetwork)
        #expect(refusal(narrow, "64:ff9b::a14:1") == nil)  // NAT64 of 10.20.0.1
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/", "/8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/-1",
                      "010.0.0.0/8", "10.0/16", "fd00::1/8", "fd00::/129", "fe80::/10%eth0", "example.com/24", "10.0.0.0/8/8", ""])
    func networksAreParsedStrictly(entry: String) {
        #expect { try AddressPolicy(allowedNetworks: [entry]) } throws: { error in
            (error as? GatewayError)?.detail.contains("notifications.allowed_networks") == true
        }
    }

    @Test func networksAcceptTheCanonicalForms() throws {
        _ = try AddressPolicy(allowedNetworks: ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.7/32", "fd00::/8", "::/0", "2001:db8::1/128"])
    }

    @Test func packedBytesAndSocketAddresses() throws {
        #expect(strict.refusal(packed: [127, 0, 0, 1]) == .loopback)
        #expect(strict.refusal(packed: [8, 8, 8, 8]) == nil)
        #expect(strict.refusal(packed: [UInt8](repeating: 0, count: 15) + [1]) == .loopback)
        #expect(strict.refusal(packed: [1, 2, 3]) == .notIP)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "127.0.0.1", port: 443)) == .loopback)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "169.254.169.254", port: 80)) == .cloudMetadata)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "::ffff:10.0.0.5", port: 443)) == .privateNetwork)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "fe80::1", port: 443)) == .linkLocal)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "1.1.1.1", port: 443)) == nil)
        #expect(strict.refusal(for: try SocketAddress(ipAddress: "2606:4700:4700::1111", port: 443)) == nil)
        #expect(strict.refusal(for: try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")) == .notIP)
        let loopbackAllowed = try AddressPolicy(allowedNetworks: ["127.0.0.0/8"])
        #expect(loopbackAllowed.refusal(for: try SocketAddress(ipAddress: "127.0.0.1", port: 9000)) == nil)
    }

    /// Every literal range parses: a typo would silently drop a refusal.
    @Test func everyRangeOfTheTablesParses() {
        #expect(AddressPolicy.neverOpened.count == 6)
        #expect(AddressPolicy.ipv4.count == 16)
        #expect(AddressPolicy.ipv6.count == 10)
        #expect(AddressPolicy.globalUnicast.count == 1)
    }
}
