@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The URL rules checked when an endpoint is registered.
@Suite struct EndpointURLPolicyTests {
    let strict = EndpointURLPolicy(addresses: .strict, allowHTTP: false)

    @Test func acceptsHTTPSNamesAndPublicLiterals() throws {
        let url = try strict.validate("https://Hooks.Example.com:8443/parcelgate/v1?tenant=acme")
        #expect(url == EndpointURL(scheme: "https", host: "hooks.example.com", port: 8443, pathAndQuery: "/parcelgate/v1?tenant=acme"))
        #expect(try strict.validate("HTTPS://example.com").pathAndQuery == "/")
        #expect(try strict.validate("https://example.com./x").host == "example.com.")
        #expect(try strict.validate("https://93.184.215.14/x").port == 443)
        #expect(try strict.validate("https://[2606:4700:4700::1111]:444/").host == "[2606:4700:4700::1111]")
    }

    @Test(arguments: [
        ("http://example.com/", "https://"),
        ("ftp://example.com/", "https://"),
        ("example.com/hook", "https://"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https://example.com@127.0.0.1/", "user name or password"),
        ("https://127.0.0.1/", "loopback"),
        ("https://10.0.0.1:8443/", "private"),
        ("https://169.254.169.254/latest/meta-data", "cloud_metadata"),
        ("https://[::1]/", "loopback"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[fd00:ec2::254]/", "cloud_metadata"),
        ("https://[127.0.0.1]/", "IPv6"),
        ("https://[fe80::1%25eth0]/", "IPv6"),
        ("https://localhost/", "loopback"),
        ("https://api.localhost:9000/", "loopback"),
        ("https://2130706433/", "number"),
        ("https://0x7f.1/", "number"),
        ("https://127.1/", "number"),
        ("https://example.com:0/", "port"),
        ("https://example.com:65536/", "port"),
        ("https://example.com:+443/", "port"),
        ("https://example.com:/", "port"),
        ("https:///path", "no host"),
        ("https://exa_mple.com/", "DNS name"),
        ("https://-example.com/", "DNS name"),
        ("https://example..com/", "DNS name"),
        ("https://bücher.example/", "ASCII"),
        ("https://example.com/a b", "ASCII"),
        ("https://example.com/#frag", "fragment"),
        ("", "1 to 2048"),
    ])
    func refusesWithAReason(url: String, reason: String) {
        #expect { try strict.validate(url) } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return detail.contains(reason)
        }
    }

    @Test func allowHTTPAndAllowedNetworksOpenWhatTheySay() throws {
        let local = EndpointURLPolicy(addresses: try AddressPolicy(allowedNetworks: ["127.0.0.0/8"]), allowHTTP: true)
        #expect(try local.validate("http://127.0.0.1:9000/hooks").port == 9000)
        #expect(try local.validate("http://localhost:9000/hooks").host == "localhost")
        #expect(throws: GatewayError.self) { try local.validate("http://[::1]:9000/") }
        #expect(throws: GatewayError.self) { try local.validate("http://10.0.0.1/") }
        #expect(throws: GatewayError.self) { try local.validate("http://169.254.169.254/") }
    }

    @Test func longURLsAreRefused() {
        #expect(throws: GatewayError.self) { try strict.validate("https://example.com/" + String(repeating: "a", count: 2048)) }
    }
}
