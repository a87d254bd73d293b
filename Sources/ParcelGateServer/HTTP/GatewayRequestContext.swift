import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, the peer address the connection came
/// from (which the ingress charges failed signature checks to), and who authentication said the caller is.
public struct GatewayRequestContext: AuthenticatedRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
