import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL
import ParcelGateCarriers
import ParcelGateCore
import ServiceLifecycle

/// Fetches JWKS documents with AsyncHTTPClient: `GET` with a 5 s connect and 10 s total limit, no redirects
/// (a JWKS URL is configured exactly; a redirect could lead anywhere, plain http included), no proxy, no
/// decompression, and at most `limit` bytes of body read, after which the request is cancelled.
///
/// Its own client, not the notification sender's: that one refuses private addresses by design, while a JWKS
/// URL is the operator's choice (a local key server on an air-gapped site). As a `Service`, ``run()`` waits for
/// graceful shutdown and then shuts the client down; tests call ``close()``.
package final class AsyncHTTPKeySetFetcher: KeySetFetching, Service {
    private let owned: OwnedHTTPClient
    private var client: HTTPClient { owned.client }
    static let totalTimeout: TimeAmount = .seconds(10)

    package init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(10)),
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        owned = OwnedHTTPClient(HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration))
    }

    package func fetch(_ location: KeySetLocation, limit: Int) async throws(GatewayError) -> [UInt8] {
        var request = HTTPClientRequest(url: location.url)
        request.method = .GET
        request.headers.add(name: "accept", value: "application/json")
        request.headers.add(name: "user-agent", value: AsyncHTTPWebhookSender.userAgent)
        do {
            let response = try await client.execute(request, deadline: .now() + Self.totalTimeout)
            guard response.status == .ok else { throw GatewayError.keysUnavailable("The JWKS URL answered \(response.status.code)") }
            var body: [UInt8] = []
            // Leaving the loop early drops the iterator, which cancels the request and closes the connection.
            for try await chunk in response.body {
                guard body.count + chunk.readableBytes <= limit else { throw GatewayError.keysUnavailable("The JWKS is larger than \(limit) bytes") }
                body.append(contentsOf: chunk.readableBytesView)
            }
            return body
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .keysUnavailable("The JWKS could not be fetched: \(String(describing: error).prefix(200))")
        }
    }

    /// Waits for graceful shutdown (or cancellation), then shuts the client down (``OwnedHTTPClient``).
    package func run() async throws { try await owned.run() }

    /// Shuts the client down; later requests fail at once. Idempotent.
    package func close() async throws { try await owned.close() }
}
