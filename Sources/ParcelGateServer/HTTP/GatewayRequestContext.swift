import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, plus the peer address the connection
/// came from (which the ingress charges failed signature checks to).
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
