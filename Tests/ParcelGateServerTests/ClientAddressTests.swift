@testable import ParcelGateServer
@testable import ParcelGateCore
import Testing

/// Who a failed signature check is charged to (README "Hardening").
@Suite struct ClientAddressTests {
    @Test func forwardedForCountsOnlyFromTrustedProxies() throws {
        let proxies = try TrustedProxies(["10.0.0.0/8", "2001:db8::1"])
        // Not a proxy: the peer itself, whatever the header says.
        #expect(proxies.client(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        // A trusted proxy: the right-most entry that is not itself a proxy.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["198.51.100.1, 203.0.113.5", "10.9.9.9"]) == "203.0.113.5")
        #expect(proxies.client(peer: "2001:db8::1", forwardedFor: ["192.0.2.4"]) == "192.0.2.4")
        // Garbage in the header ends the walk at the last trusted hop, not at text a sender chose.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["evil, 10.9.9.9"]) == "10.9.9.9")
        // No proxies configured: the peer, unparsed for IPv4.
        #expect(try TrustedProxies([]).client(peer: "192.0.2.1", forwardedFor: ["1.1.1.1"]) == "192.0.2.1")
        #expect(proxies.client(peer: nil, forwardedFor: []) == "unknown")
    }

    /// An IPv6 client is counted by its /64: one holder of a /64 cannot rotate through fresh buckets.
    @Test func ipv6ClientsAreCountedByTheirSlash64() throws {
        let none = try TrustedProxies([])
        let a = none.client(peer: "2001:db8:1:2:aaaa::1", forwardedFor: [])
        let b = none.client(peer: "2001:db8:1:2:bbbb::9", forwardedFor: [])
        #expect(a == b)
        #expect(a == "2001:db8:1:2::/64")
        #expect(none.client(peer: "2001:db8:1:3::1", forwardedFor: []) != a)
    }

    @Test func blocksAndLoopbackAreParsedNotMatchedByPrefix() throws {
        #expect(throws: GatewayError.self) { try TrustedProxies(["10.0.0.0/33"]) }
        #expect(throws: GatewayError.self) { try TrustedProxies(["not-an-address"]) }
        #expect(TrustedProxies.isLoopback("127.0.0.1"))
        #expect(TrustedProxies.isLoopback("127.8.9.10"))
        #expect(TrustedProxies.isLoopback("::1"))
        #expect(TrustedProxies.isLoopback("localhost"))
        #expect(!TrustedProxies.isLoopback("127.evil.example"))
        #expect(!TrustedProxies.isLoopback("0.0.0.0"))
        #expect(!TrustedProxies.isLoopback("::"))
    }
}
