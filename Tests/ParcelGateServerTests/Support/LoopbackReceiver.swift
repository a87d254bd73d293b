import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A webhook receiver on 127.0.0.1 for the sender's tests, on plain NIO so a test decides every byte: answer
/// with any status, say nothing at all, or stream a body without end.
final class LoopbackReceiver: Sendable {
    /// One request as it arrived.
    struct Received: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// What the receiver does with a request.
    enum Behaviour: Sendable {
        case respond(status: Int, headers: [(String, String)] = [], body: String = "")
        /// Reads the request and never answers.
        case silent
        /// A 200 whose chunked body is `prefix`, then `filler` again and again up to `totalBytes`.
        case stream(prefix: [UInt8], filler: [UInt8], totalBytes: Int)
    }

    private struct State {
        var received: [Received] = []
        var children: [any Channel] = []
        var streamedBytes = 0
        var streamCompleted = false
        var streamFailed = false
    }

    let port: Int
    private let server: any Channel
    private let state: NIOLockedValueBox<State>

    /// Listens on 127.0.0.1, on a free port.
    static func start(_ behaviour: @escaping @Sendable (Received) -> Behaviour) async throws -> LoopbackReceiver {
        let state = NIOLockedValueBox(State())
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLockedValue { $0.children.append(channel) }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(state: state, behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackReceiver(server: server, port: server.localAddress?.port ?? 0, state: state)
    }

    private init(server: any Channel, port: Int, state: NIOLockedValueBox<State>) {
        self.server = server
        self.port = port
        self.state = state
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Received] { state.withLockedValue { $0.received } }
    /// Body bytes a `.stream` answer handed to the socket, and how it ended.
    var stream: (bytes: Int, completed: Bool, failed: Bool) { state.withLockedValue { ($0.streamedBytes, $0.streamCompleted, $0.streamFailed) } }

    /// Closes the listener and every connection, silent ones included.
    func stop() async {
        let children = state.withLockedValue { $0.children }
        for child in children { try? await child.close() }
        try? await server.close()
    }

    /// A port nothing listens on: bound, then closed again.
    static func closedPort() async throws -> Int {
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress?.port ?? 0
        try await probe.close()
        return port
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: NIOLockedValueBox<State>
        let behaviour: @Sendable (Received) -> Behaviour
        var current: Received?

        init(state: NIOLockedValueBox<State>, behaviour: @escaping @Sendable (Received) -> Behaviour) {
            self.state = state
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                current = Received(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: [])
            case .body(let buffer):
                current?.body += buffer.readableBytesView
            case .end:
                guard let request = current else { return }
                current = nil
                state.withLockedValue { $0.received.append(request) }
                answer(behaviour(request), channel: context.channel)
            }
        }

        private func answer(_ behaviour: Behaviour, channel: any Channel) {
            switch behaviour {
            case .silent:
                return
            case .respond(let status, let headers, let body):
                var fields = HTTPHeaders(headers)
                fields.replaceOrAdd(name: "content-length", value: String(body.utf8.count))
                let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)
                channel.write(HTTPServerResponsePart.head(head), promise: nil)
                if !body.isEmpty { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil) }
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            case .stream(let prefix, let filler, let totalBytes):
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)), promise: nil)
                Self.streamBody(channel: channel, state: state, next: prefix, filler: filler, remaining: totalBytes)
            }
        }

        /// Writes one chunk, and the next once the socket took it, until `remaining` is spent or a write fails
        /// (the client closed the connection).
        private static func streamBody(channel: any Channel, state: NIOLockedValueBox<State>, next: [UInt8], filler: [UInt8], remaining: Int) {
            guard remaining > 0 else {
                channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenSuccess { state.withLockedValue { $0.streamCompleted = true } }
                return
            }
            let chunk = Array(next.prefix(remaining))
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: chunk)))).whenComplete { result in
                switch result {
                case .success:
                    state.withLockedValue { $0.streamedBytes += chunk.count }
                    streamBody(channel: channel, state: state, next: filler, filler: filler, remaining: remaining - chunk.count)
                case .failure:
                    state.withLockedValue { $0.streamFailed = true }
                }
            }
        }
    }
}
