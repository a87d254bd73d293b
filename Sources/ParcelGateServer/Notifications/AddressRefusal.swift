/// Why ``AddressPolicy`` refuses an address: written in logs and in the attempt's error, so an operator can
/// tell a misconfigured endpoint from an attack without seeing more than the address's class.
package enum AddressRefusal: String, Sendable, Hashable, Error {
    case unspecified
    case loopback
    /// RFC 1918.
    case privateNetwork = "private"
    case linkLocal = "link_local"
    /// Carrier-grade NAT, 100.64.0.0/10 (RFC 6598).
    case sharedAddressSpace = "shared_address_space"
    case multicast
    case broadcast
    /// IETF protocol assignments, benchmarking, future use, deprecated or unallocated space.
    case reserved
    /// TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20.
    case documentation
    /// IPv6 unique local addresses, fc00::/7 (the IPv6 private ranges).
    case uniqueLocal = "unique_local"
    /// An instance metadata service (cloud credentials): refused even inside `allowed_networks`.
    case cloudMetadata = "cloud_metadata"
    /// Not an IP socket at all (a Unix domain socket), or bytes of the wrong length.
    case notIP = "not_ip"
}
