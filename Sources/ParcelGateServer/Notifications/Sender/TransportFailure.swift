import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps what AsyncHTTPClient, SwiftNIO and NIOSSL throw onto the few facts ``DeliveryClassifier`` decides on,
/// with a short description for the attempt's `error`.
///
/// The description is written here from the error's kind, never copied from the error's own text: some of
/// the client's errors carry header values (a signature) or the receiver's bytes, and the attempt's error is
/// shown to the platform. An address refusal names the address's class only (``AddressRefusal``); the
/// address itself is for the operator's logs.
enum TransportFailure {
    static func describe(_ error: any Error) -> (result: AttemptResult, description: String) {
        switch error {
        case let refused as AddressRefusedError:
            return (.addressRefused, "connection refused by the SSRF policy: \(refused.refusal.rawValue) address")
        case let client as HTTPClientError:
            return describe(client)
        case is CancellationError:
            return (.connectionFailed, "cancelled: the sender is stopping")
        case ChannelError.connectTimeout:
            return (.timeout, "timed out connecting")
        case let connection as NIOConnectionError:
            return describe(connection)
        case let io as IOError:
            return (.connectionFailed, "connection failed: \(errnoName(io.errnoCode))")
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError, is NIOSSLCloseTimedOutError:
            return (.tlsFailed, "TLS failed: \(String(describing: type(of: error)))")
        case is HTTPParserError:
            return (.connectionFailed, "the response was not valid HTTP/1.1")
        case ChannelError.ioOnClosedChannel, ChannelError.eof, ChannelError.outputClosed, ChannelError.alreadyClosed:
            return (.connectionFailed, "connection closed")
        default:
            return (.connectionFailed, "request failed: \(String(describing: type(of: error)))")
        }
    }

    private static func describe(_ error: HTTPClientError) -> (AttemptResult, String) {
        switch error {
        case .connectTimeout: return (.timeout, "timed out connecting")
        case .tlsHandshakeTimeout: return (.timeout, "timed out in the TLS handshake")
        case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout: return (.timeout, "timed out waiting for the response")
        case .remoteConnectionClosed: return (.connectionFailed, "connection closed before a complete response")
        case .cancelled: return (.connectionFailed, "cancelled: the sender is stopping")
        case .alreadyShutdown: return (.connectionFailed, "the sender is shut down")
        case .invalidURL, .emptyHost, .emptyScheme: return (.connectionFailed, "the endpoint URL cannot be requested")
        default:
            return (.connectionFailed, "HTTP client error")
        }
    }

    /// Connection attempts that all failed: a name that did not resolve, or every address refused or unreachable.
    private static func describe(_ error: NIOConnectionError) -> (AttemptResult, String) {
        if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
            return (.connectionFailed, "the endpoint's host name did not resolve")
        }
        let codes = error.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
        // A refusal on any address (say ::1 and 127.0.0.1 both) is the clearest thing to report.
        if let code = codes.contains(ECONNREFUSED) ? ECONNREFUSED : codes.first {
            return (.connectionFailed, "connection failed: \(errnoName(code))")
        }
        let timedOut = error.connectionErrors.contains { failure in
            if case ChannelError.connectTimeout = failure.error { return true }
            return false
        }
        if timedOut { return (.timeout, "timed out connecting") }
        return (.connectionFailed, "connection failed")
    }

    /// The few socket errors a delivery meets, by name; others by number.
    static func errnoName(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case ETIMEDOUT: return "timed out"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case EPIPE: return "broken pipe"
        default: return "errno \(code)"
        }
    }
}
