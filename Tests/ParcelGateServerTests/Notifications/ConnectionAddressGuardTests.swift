import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
@testable import ParcelGateServer
import Testing

/// The check run on the connected address (the DNS-rebinding half of the SSRF defence).
@Suite struct ConnectionAddressGuardTests {
    let guardian = ConnectionAddressGuard(policy: .strict)

    @Test func judgesThePeerAddress() throws {
        #expect(guardian.refusal(remoteAddress: try SocketAddress(ipAddress: "1.1.1.1", port: 443)) == nil)
        #expect(guardian.refusal(remoteAddress: try SocketAddress(ipAddress: "10.0.0.7", port: 443)) == AddressRefusedError(refusal: .privateNetwork, address: "10.0.0.7"))
        #expect(guardian.refusal(remoteAddress: try SocketAddress(ipAddress: "::ffff:169.254.169.254", port: 80))?.refusal == .cloudMetadata)
        #expect(guardian.refusal(remoteAddress: nil)?.refusal == .notIP)
    }

    /// A refused peer: the channel is closed and the future fails with the refusal; an allowed one passes.
    @Test func refusesAndClosesAConnectedChannel() throws {
        let refused = EmbeddedChannel()
        refused.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080), promise: nil)
        refused.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        #expect(refused.isActive)
        let outcome = NIOLockedValueBox<Result<Void, any Error>?>(nil)
        guardian.check(refused).whenComplete { result in outcome.withLockedValue { $0 = result } }
        let failure = try #require(outcome.withLockedValue { $0 })
        #expect(throws: AddressRefusedError(refusal: .loopback, address: "127.0.0.1")) { try failure.get() }
        #expect(!refused.isActive)

        let allowed = EmbeddedChannel()
        allowed.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080), promise: nil)
        allowed.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        let open = ConnectionAddressGuard(policy: try AddressPolicy(allowedNetworks: ["127.0.0.0/8"]))
        let passed = NIOLockedValueBox<Result<Void, any Error>?>(nil)
        open.check(allowed).whenComplete { result in passed.withLockedValue { $0 = result } }
        #expect(throws: Never.self) { try passed.withLockedValue { $0 }?.get() }
        #expect(passed.withLockedValue { $0 } != nil)
        #expect(allowed.isActive)
        _ = try allowed.finish()
    }
}
