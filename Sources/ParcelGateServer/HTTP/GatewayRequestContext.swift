import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, the peer address the connection came
/// from (which the ingress charges failed signature checks to), and who authentication said the caller is.
struct GatewayRequestContext: AuthenticatedRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    var caller: Caller?

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
