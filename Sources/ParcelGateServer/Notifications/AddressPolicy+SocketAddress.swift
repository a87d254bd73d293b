#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The policy applied to a connected socket's peer. Apart from ``AddressPolicy`` so that the policy itself
/// (and the config that builds it, which `scripts/fuzz.sh` compiles without NIO) needs no networking library.
extension AddressPolicy {
    /// The same for an address as NIO reports it: what `Channel.remoteAddress` holds once connected.
    package func refusal(for socketAddress: SocketAddress) -> AddressRefusal? {
        switch socketAddress {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            return refusal(packed: withUnsafeBytes(of: &raw) { Array($0) })
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return refusal(packed: withUnsafeBytes(of: &raw) { Array($0) })
        case .unixDomainSocket:
            return .notIP
        }
    }
}
