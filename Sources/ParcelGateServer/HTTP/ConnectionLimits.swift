import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import ParcelGateCore
import Synchronization

/// The HTTP/1.1 server with ParcelGate's connection limits (README "Hardening"): Hummingbird's idle timeout
/// (a connection with nothing in progress is closed), and a deadline from the first byte of a request to its
/// last, so a head or body trickled in a byte a minute cannot hold a connection and a task.
enum GuardedHTTPServer {
    static func builder(idleTimeout: TimeAmount, requestDeadline: TimeAmount) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestEndObserver()], idleTimeout: idleTimeout)
            return GuardedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), deadline: requestDeadline)
        }
    }
}

/// `HTTP1Channel` with a ``RequestDeadlineHandler`` in front of its HTTP decoder.
struct GuardedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let deadline: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(deadline: deadline), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Closes the connection when a request takes longer than `deadline` to arrive: the clock starts at the
/// first byte read while no request is pending and stops when the request's last part has been decoded
/// (``RequestEndObserver`` says so), or when the server starts answering early (a `413` before the body).
///
/// It sits before the HTTP decoder and sees raw bytes, so a slow head counts as much as a slow body. Time the
/// server itself spends on a request it has received (a store commit) never counts; the timer starts again
/// with the next request's first byte. Runs on the channel's event loop only.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    init(deadline: TimeAmount) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if timer == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: deadline) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        stopTimer()
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { stopTimer() }

    /// The request has fully arrived.
    func requestReceived() { stopTimer() }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }
}

/// Sits after the HTTP decoder and tells the connection's ``RequestDeadlineHandler`` when a request's last part
/// has arrived. Same channel, same event loop: a direct call.
final class RequestEndObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// Found once, when this handler joins the pipeline (the deadline handler is added before it).
    private var deadline: RequestDeadlineHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = try? context.pipeline.syncOperations.handler(type: RequestDeadlineHandler.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { deadline?.requestReceived() }
        context.fireChannelRead(data)
    }
}

/// How many callbacks are being handled at once, against `server.max_concurrent_ingress`. Past the cap the
/// hook answers `503 overloaded` before reading the body: nothing is acknowledged, so nothing is lost, and
/// the carrier's own retry brings the callback back.
final class IngressAdmission: Sendable {
    private let inFlight = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a place, or `overloaded`.
    func enter() throws(GatewayError) {
        let (previous, _) = inFlight.add(1, ordering: .relaxed)
        guard previous < limit else {
            inFlight.subtract(1, ordering: .relaxed)
            throw .overloaded(retryAfterSeconds: 1)
        }
    }

    func leave() { inFlight.subtract(1, ordering: .relaxed) }
}
