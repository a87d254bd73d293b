import NIOCore

/// Applies the ``AddressPolicy`` to the address a connection actually reached, so DNS rebinding cannot slip a
/// refused address past the check made when the endpoint was registered.
///
/// Meant for AsyncHTTPClient 1.37's `HTTPClient.Configuration.http1_1ConnectionDebugInitializer` and
/// `http2ConnectionDebugInitializer`: the client calls them with each new connection's channel once it is
/// connected (and TLS is up), before the connection is given to any request, and fails the request with the
/// returned future's error. The client does not close the channel itself, so a refusal closes it here. For a
/// refusal to fail the attempt at once rather than be retried until the connect timeout, the client must run
/// with `connectionPool.retryConnectionEstablishment = false` (README, "The `notifications` block").
package struct ConnectionAddressGuard: Sendable {
    let policy: AddressPolicy

    package init(policy: AddressPolicy) { self.policy = policy }

    /// The refusal for a connection whose peer is `remoteAddress`; a channel without one is refused too (we
    /// cannot tell where it goes).
    package func refusal(remoteAddress: SocketAddress?) -> AddressRefusedError? {
        guard let remoteAddress else { return AddressRefusedError(refusal: .notIP, address: "unknown") }
        guard let refusal = policy.refusal(for: remoteAddress) else { return nil }
        return AddressRefusedError(refusal: refusal, address: remoteAddress.ipAddress ?? "unknown")
    }

    /// The initializer's body: succeeds for an allowed peer; otherwise closes the channel and fails.
    package func check(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let error = refusal(remoteAddress: channel.remoteAddress) else { return channel.eventLoop.makeSucceededVoidFuture() }
        channel.close(promise: nil)
        return channel.eventLoop.makeFailedFuture(error)
    }
}

/// A delivery's connection reached an address the SSRF policy refuses; nothing was sent. The sender maps it to
/// ``AttemptResult/addressRefused``. The address is logged for the operator, never returned to the platform.
package struct AddressRefusedError: Error, Sendable, Hashable {
    package let refusal: AddressRefusal
    package let address: String
}
