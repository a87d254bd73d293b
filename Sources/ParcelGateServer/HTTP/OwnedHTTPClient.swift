import AsyncHTTPClient
import ServiceLifecycle
import Synchronization

/// An `HTTPClient` this gateway created and must shut down exactly once (AsyncHTTPClient asserts in debug builds
/// that a client is shut down before it is released): the lifecycle the notification sender and the JWKS fetcher
/// share. As a `Service`, ``run()`` waits for graceful shutdown, then shuts the client down; tests and tools call
/// ``close()``, which is idempotent.
final class OwnedHTTPClient: Service {
    let client: HTTPClient
    private let closed = Mutex(false)

    init(_ client: HTTPClient) { self.client = client }

    /// Waits for graceful shutdown (or cancellation), then shuts the client down.
    func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    /// Shuts the client down: requests in flight fail, later ones fail at once. Idempotent.
    func close() async throws {
        let first = closed.withLock { wasClosed in
            defer { wasClosed = true }
            return !wasClosed
        }
        guard first else { return }
        try await client.shutdown()
    }
}
