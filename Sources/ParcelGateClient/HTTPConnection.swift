import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One response, fully read.
package struct HTTPClientResponse: Sendable {
    package var status: Int
    var headers: [(String, String)]
    package var body: [UInt8]

    package var text: String { String(decoding: body, as: UTF8.self) }

    package func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Why a request got no response.
package enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    case connectionClosed
    case invalidURL(String)
    /// No whole response within the request's timeout; the connection was closed.
    case timedOut(seconds: Int64)

    package var description: String {
        switch self {
        case .connectionClosed: return "connection closed before the response was complete"
        case .invalidURL(let url): return "not an http:// URL with a host: \(url)"
        case .timedOut(let seconds): return "no response within \(seconds) s"
        }
    }
}

/// A small keep-alive HTTP/1.1 client connection over SwiftNIO, shared by `parcelgate replay`,
/// `parcelgate bench` and the tests.
///
/// Its own rather than AsyncHTTPClient so the executable does not pull TLS and a connection pool it does
/// not need, and so the benchmark's client costs as little CPU as possible on the machine it shares with
/// the gateway. Requests on one connection are answered in order; callers that want concurrency open
/// several connections.
package final class HTTPConnection: Sendable {
    private let channel: any Channel
    let host: String
    let port: Int

    private init(channel: any Channel, host: String, port: Int) {
        self.channel = channel
        self.host = host
        self.port = port
    }

    package static func connect(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port)
            .get()
        return HTTPConnection(channel: channel, host: host, port: port)
    }

    /// Sends one request and waits for its whole response, at most `timeout` (then the connection is closed
    /// and `timedOut` thrown: a hung server never hangs a caller). `chunked` sends the body in pieces with
    /// no Content-Length (as a streaming carrier would).
    package func send(
        method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil, chunked: Bool = false,
        timeout: TimeAmount = .seconds(60)
    ) async throws -> HTTPClientResponse {
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if chunked {
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        } else if let body {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        } else if method == "POST" || method == "PUT" {
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPClientResponse.self)
        let request = PendingRequest(head: head, body: body, chunked: chunked, promise: promise)
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPClientError.timedOut(seconds: timeout.nanoseconds / 1_000_000_000))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush(request).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    package func close() async {
        try? await channel.close()
    }
}

extension HTTPConnection {
    /// Splits `http://host:port/path` into its parts.
    package static func parse(url: String) throws -> (host: String, port: Int, path: String) {
        guard url.hasPrefix("http://") else { throw HTTPClientError.invalidURL(url) }
        let rest = url.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        let parts = hostPort.split(separator: ":", maxSplits: 1)
        guard let host = parts.first, !host.isEmpty else { throw HTTPClientError.invalidURL(url) }
        // A port is 1 to 5 ASCII digits up to 65535: NIO traps on a port out of range.
        var port = 80
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...5).contains(digits.utf8.count), digits.utf8.allSatisfy({ (48...57).contains($0) }), let parsed = Int(digits), parsed <= 65535 else {
                throw HTTPClientError.invalidURL(url)
            }
            port = parsed
        }
        return (String(host), port, path.isEmpty ? "/" : String(path))
    }
}

struct PendingRequest: Sendable {
    let head: HTTPRequestHead
    let body: [UInt8]?
    let chunked: Bool
    let promise: EventLoopPromise<HTTPClientResponse>
}

/// Writes requests and matches responses to them in order.
final class ResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting: CircularBuffer<EventLoopPromise<HTTPClientResponse>> = []
    private var current: HTTPClientResponse?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body, !body.isEmpty {
            if request.chunked {
                // Several pieces, so the server sees a streamed body.
                let pieceSize = max(1, body.count / 4)
                var offset = 0
                while offset < body.count {
                    let end = min(body.count, offset + pieceSize)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[offset..<end])))), promise: nil)
                    offset = end
                }
            } else {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = HTTPClientResponse(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: [])
        case .body(let buffer):
            current?.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            if let response = current, !waiting.isEmpty {
                waiting.removeFirst().succeed(response)
            }
            current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(HTTPClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while !waiting.isEmpty { waiting.removeFirst().fail(error) }
    }
}

extension HTTPConnection {
    /// Why a request failed, short enough for a command's one-line error: `Connection refused` rather than
    /// NIO's account of every address tried.
    package static func reason(_ error: any Error) -> String {
        var error = error
        if let connection = error as? NIOConnectionError {
            guard let first = connection.connectionErrors.first?.error ?? connection.dnsAError ?? connection.dnsAAAAError else { return "no address to connect to" }
            error = first
        }
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
