import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ParcelGateCore
import ServiceLifecycle
import Synchronization

/// Sends platform notifications over one shared, pooled `HTTPClient`, configured as the issue 15 research
/// recommended (AsyncHTTPClient 1.37 read at its source) and README "The `notifications` block" documents:
///
/// - `connect_timeout_ms` bounds the TCP connect and TLS handshake; `timeout_ms` bounds the whole attempt,
///   answer included, whatever the receiver does (a deadline on the request, and a timer around the body).
/// - Redirects are not followed (a 3xx is just a status: it could point anywhere, an internal address
///   included), no proxy (the connected address would be the proxy's), no decompression and no
///   `Accept-Encoding` (a small compressed body can expand without bound), HTTP/1.1 only.
/// - ``ConnectionAddressGuard`` runs on every new connection (both of the client's connection initializers),
///   on the address actually connected to, so DNS rebinding cannot reach a refused address; the pool does
///   not retry a failed connection (`retryConnectionEstablishment = false`), so a refusal ends the attempt at
///   once and our own backoff decides when to try again.
/// - At most ``ResponseExcerpt/maxReadBytes`` of the body is kept; then the request is cancelled, which closes
///   the connection. Each socket read is at most 4 KiB (a fixed receive buffer, set by the same initializer) and
///   the client reads the body only as it is consumed, so a receiver streaming gigabytes costs a few KiB.
///
/// Lifecycle: the client owns connections and must be shut down before it is released (AsyncHTTPClient asserts
/// this in debug builds). As a `Service`, ``run()`` waits for graceful shutdown, then shuts the client down:
/// put it in the `ServiceGroup` *before* the delivery worker, so the worker (shut down first, in reverse order)
/// has finished its attempts when the client goes. Tests and tools call ``close()`` instead; it is idempotent.
package final class AsyncHTTPWebhookSender: WebhookSending, Service {
    private let owned: OwnedHTTPClient
    private var client: HTTPClient { owned.client }
    private let totalTimeout: Duration

    /// `ParcelGate/<version>`, on every delivery.
    package static let userAgent = "ParcelGate/\(ParcelGateVersion.current)"

    /// Header names the sender sets itself; a caller's value for one is dropped, so every delivery carries the
    /// same ones (and never an `Accept-Encoding`).
    static let ownHeaders: Set<String> = ["user-agent", "content-type", "accept-encoding", "content-length", "transfer-encoding", "host", "connection"]

    /// A `Retry-After` longer than this cannot be either valid form (10 digits, or a 29-character date); it is
    /// not kept.
    static let maxRetryAfterLength = 64

    /// `config` should have passed ``NotificationsConfig/validated()`` (the gateway's config loader does this).
    package init(config: NotificationsConfig, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(GatewayError) {
        let connectionGuard = ConnectionAddressGuard(policy: try config.addressPolicy())
        let onNewConnection: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            connectionGuard.check(channel)
                .flatMap { channel.setOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4_096)) }
                .flatMap { channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1) }
        }
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.retryConnectionEstablishment = false
        // The worker bounds how many attempts run at once; the pool must never be the tighter limit.
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, config.worker.concurrency)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(config.connectTimeoutMilliseconds)), read: .milliseconds(Int64(config.timeoutMilliseconds))),
            connectionPool: pool,
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled,
            http1_1ConnectionDebugInitializer: onNewConnection,
            http2ConnectionDebugInitializer: onNewConnection
        )
        configuration.httpVersion = .http1Only
        owned = OwnedHTTPClient(HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration))
        totalTimeout = .milliseconds(config.timeoutMilliseconds)
    }

    package func send(_ request: OutboundRequest) async -> AttemptReport {
        let started = ContinuousClock.now
        let deadline = started.advanced(by: totalTimeout)
        let progress = AttemptProgress()
        let ending = await withTaskGroup(of: AttemptEnding?.self) { group in
            group.addTask { await self.perform(request, deadline: .now() + .milliseconds(self.totalTimeoutMilliseconds), progress: progress) }
            group.addTask {
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return nil }
                return .timedOut
            }
            var first: AttemptEnding = .timedOut
            for await ending in group {
                if let ending { first = ending; break }
            }
            group.cancelAll()
            return first
        }
        let elapsed = ContinuousClock.now - started
        return progress.report(ending: ending, durationMilliseconds: Int64(saturating: elapsed / .milliseconds(1)))
    }

    private var totalTimeoutMilliseconds: Int64 { Int64(saturating: totalTimeout / .milliseconds(1)) }

    /// The request, then the body up to the read limit; what it learns goes into `progress` as it arrives, so a
    /// timeout in the middle still reports the status and the bytes read so far.
    private func perform(_ request: OutboundRequest, deadline: NIODeadline, progress: AttemptProgress) async -> AttemptEnding {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for (name, value) in request.headers where !Self.ownHeaders.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        outgoing.headers.add(name: "user-agent", value: Self.userAgent)
        outgoing.headers.add(name: "content-type", value: "application/json")
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        do {
            let response = try await client.execute(outgoing, deadline: deadline)
            let retryAfter = response.headers.first(name: "retry-after").flatMap { $0.utf8.count <= Self.maxRetryAfterLength ? $0 : nil }
            progress.received(status: Int(clamping: response.status.code), retryAfter: retryAfter)
            var body = response.body.makeAsyncIterator()
            // Leaving the loop early drops the iterator, which cancels the request and closes the connection.
            while progress.wantsMoreBody, let chunk = try await body.next() {
                progress.append(chunk)
            }
            return .finished
        } catch {
            return .failed(error)
        }
    }

    /// Waits for graceful shutdown (or cancellation), then shuts the client down (``OwnedHTTPClient``).
    package func run() async throws { try await owned.run() }

    /// Shuts the client down; later requests fail at once. Idempotent.
    package func close() async throws { try await owned.close() }
}

/// How an attempt's two racing tasks ended: the request (finished, or failed with the client's error) or the
/// total-timeout timer.
private enum AttemptEnding: Sendable {
    case finished
    case failed(any Error)
    case timedOut
}

/// What an attempt has learnt so far: written by the request task, read once the race is over.
private final class AttemptProgress: Sendable {
    private struct State {
        var status: Int?
        var retryAfter: String?
        var body: [UInt8] = []
    }

    private let state = Mutex(State())

    func received(status: Int, retryAfter: String?) {
        state.withLock { $0.status = status; $0.retryAfter = retryAfter }
    }

    var wantsMoreBody: Bool { state.withLock { $0.body.count < ResponseExcerpt.maxReadBytes } }

    /// Keeps at most the read limit, whatever size the chunk is.
    func append(_ chunk: ByteBuffer) {
        state.withLock { state in
            let room = ResponseExcerpt.maxReadBytes - state.body.count
            guard room > 0 else { return }
            state.body.append(contentsOf: chunk.readableBytesView.prefix(room))
        }
    }

    func report(ending: AttemptEnding, durationMilliseconds: Int64) -> AttemptReport {
        state.withLock { state in
            guard let status = state.status else {
                let (result, description): (AttemptResult, String)
                switch ending {
                case .timedOut, .finished: (result, description) = (.timeout, "timed out waiting for the response")
                case .failed(let error): (result, description) = TransportFailure.describe(error)
                }
                return AttemptReport(result: result, durationMilliseconds: durationMilliseconds, error: description)
            }
            // The status is the receiver's answer; trouble reading the body after it is only noted.
            var note: String?
            switch ending {
            case .finished: note = nil
            case .timedOut: note = "timed out reading the response body"
            case .failed(let error): note = "response body cut short: \(TransportFailure.describe(error).description)"
            }
            return AttemptReport(
                result: .response(status: status, retryAfter: state.retryAfter), durationMilliseconds: durationMilliseconds,
                statusCode: status, responseExcerpt: ResponseExcerpt.make(state.body), error: note
            )
        }
    }
}
