import _ConnectionPoolModule
import ParcelGateCore
import PostgresNIO

/// PostgreSQL's half of docs/architecture.md, "The retry queue"'s one classification: which failures may pass if the same work is tried
/// again (`store_unavailable`, 503, queued or retried) and which cannot (everything else).
///
/// Only a connection that failed, a server that is not available, or a transaction that lost a race are
/// transient. A value that cannot be decoded, an unknown client error or an unexpected SQLSTATE is a bug or a
/// schema mismatch: retrying it can only fail again and would fill the retry queue with entries that never
/// apply, so it is `internal_error` (500). Codes are PostgresNIO's named ones, not string literals.
///
/// Details are for callers: they name a code or a column, never a URL, password or bound value.
enum PostgresErrorClassification {
    static func classify(_ error: any Error) -> GatewayError {
        switch error {
        case let error as GatewayError:
            return error
        case let error as PostgresTransactionError:
            // The closure's own error (ours, or a query's) is the one that explains the failure.
            guard let inner = error.closureError ?? error.beginError ?? error.commitError else {
                return .internalError("A PostgreSQL transaction failed without a cause")
            }
            return classify(inner)
        case let error as PSQLError:
            let sqlState = error.serverInfo?[.sqlState].map { PostgresError.Code(raw: $0) }
            return classify(client: error.code, sqlState: sqlState, serverMessage: error.serverInfo?[.message])
        case let error as PostgresDecodingError:
            return .internalError("A database value could not be decoded (\(error.code), column '\(error.columnName)')")
        case let error as ConnectionPoolError:
            // Shut down, request cancelled, or no connection could be made for a while (circuit breaker).
            return .storeUnavailable("No PostgreSQL connection available (\(error))")
        case is CancellationError:
            // Shutting down mid-query says nothing about the work: it may pass later.
            return .storeUnavailable("The PostgreSQL request was cancelled")
        default:
            // The type only: an arbitrary error's description may carry anything.
            return .internalError("Unexpected database error (\(String(reflecting: type(of: error))))")
        }
    }

    /// The client's own error codes that mean "no usable connection": the connection closed, reset or never
    /// came up (TCP, TLS), or the pool is closing. Anything else the client reports is a protocol or
    /// programming error.
    static let connectionCodes: Set<PSQLError.Code> = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled,
        .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
    ]

    static func classify(client code: PSQLError.Code, sqlState: PostgresError.Code?, serverMessage: String?) -> GatewayError {
        if code == .server {
            guard let sqlState else { return .internalError("PostgreSQL reported an error without a SQLSTATE") }
            return classify(sqlState: sqlState, serverMessage: serverMessage)
        }
        if connectionCodes.contains(code) { return .storeUnavailable("Database connection failed (\(code))") }
        return .internalError("Database client error (\(code))")
    }

    static func classify(sqlState: PostgresError.Code, serverMessage: String?) -> GatewayError {
        switch sqlState {
        case .uniqueViolation, .foreignKeyViolation, .checkViolation:
            return .conflict("Constraint violated: \(serverMessage ?? sqlState.raw)")
        // A NUL in text (JSON allows `\u0000`; SQLite stores it): the input's fault, so a 400, not a 500.
        case .characterNotInRepertoire:
            return .badRequest("Text contains a character the database cannot store (NUL)")
        // Lost a race with another transaction: the same work passes when tried again.
        case .serializationFailure, .deadlockDetected, .lockNotAvailable:
            return .storeUnavailable("Database busy (SQLSTATE \(sqlState.raw))")
        // The server is shutting down, crashed, or not accepting connections yet.
        case .adminShutdown, .crashShutdown, .cannotConnectNow:
            return .storeUnavailable("Database not available (SQLSTATE \(sqlState.raw))")
        // The server's disk failed: as SQLITE_IOERR is on SQLite.
        case .ioError:
            return .storeUnavailable("Database I/O error (SQLSTATE \(sqlState.raw))")
        default:
            switch sqlState.raw.prefix(2) {
            // Class 08, connection exception.
            case "08": return .storeUnavailable("Database connection failed (SQLSTATE \(sqlState.raw))")
            // Class 53, insufficient resources: disk full, out of memory, too many connections (as SQLITE_FULL).
            case "53": return .storeUnavailable("Database out of resources (SQLSTATE \(sqlState.raw))")
            default: return .internalError("Database error (SQLSTATE \(sqlState.raw))")
            }
        }
    }
}
