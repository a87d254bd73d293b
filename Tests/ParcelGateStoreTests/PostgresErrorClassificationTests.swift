import _ConnectionPoolModule
import Foundation
import Logging
@testable import ParcelGateCore
@testable import ParcelGateStore
import PostgresNIO
import Testing

/// Issue 13 item 11: on PostgreSQL only connection and server-availability failures are transient; a
/// decoding or programming error is `500 internal_error`, never a queued retry that can only fail again.
@Suite(.timeLimit(.minutes(1))) struct PostgresErrorClassificationTests {
    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "failed talking to postgres://gateway:hunter2@db.internal:5432/parcelgate" }
    }

    @Test func connectionLevelClientErrorsAreTransient() {
        for code in [PSQLError.Code.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                     .queryCancelled, .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest] {
            let error = PostgresErrorClassification.classify(client: code, sqlState: nil, serverMessage: nil)
            #expect(error.code == "store_unavailable", "\(code)")
        }
    }

    @Test func otherClientErrorsAreInternal() {
        for code in [PSQLError.Code.messageDecodingFailure, .unexpectedBackendMessage, .invalidCommandTag, .tooManyParameters,
                     .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError, .listenFailed, .unlistenFailed] {
            let error = PostgresErrorClassification.classify(client: code, sqlState: nil, serverMessage: nil)
            #expect(error.code == "internal_error", "\(code)")
        }
        #expect(PostgresErrorClassification.classify(client: .server, sqlState: nil, serverMessage: nil).code == "internal_error")
    }

    @Test func serverErrorsBySQLState() {
        func code(_ state: PostgresError.Code) -> String {
            PostgresErrorClassification.classify(client: .server, sqlState: state, serverMessage: "m").code
        }
        let transient: [PostgresError.Code] = [
            .connectionException, .connectionFailure, .connectionDoesNotExist, .sqlclientUnableToEstablishSqlconnection, .protocolViolation,
            .insufficientResources, .diskFull, .outOfMemory, .tooManyConnections, .configurationLimitExceeded,
            .adminShutdown, .crashShutdown, .cannotConnectNow, .serializationFailure, .deadlockDetected, .lockNotAvailable, .ioError,
        ]
        for state in transient { #expect(code(state) == "store_unavailable", "\(state.raw)") }
        for state in [PostgresError.Code.uniqueViolation, .foreignKeyViolation, .checkViolation] { #expect(code(state) == "conflict", "\(state.raw)") }
        #expect(code(.characterNotInRepertoire) == "bad_request")
        let permanent: [PostgresError.Code] = [
            .undefinedColumn, .undefinedTable, .syntaxError, .divisionByZero, .invalidTextRepresentation, .notNullViolation,
            .queryCanceled, .invalidPassword, .internalError, .dataCorrupted, .featureNotSupported,
        ]
        for state in permanent { #expect(code(state) == "internal_error", "\(state.raw)") }
    }

    /// Before: any error that was not a `PSQLError` (a decoding error, a bug of ours) was "store unavailable", and
    /// its description went into the detail.
    @Test func nonPostgresErrorsAreInternalAndTheirDescriptionIsNotRepeated() {
        let error = PostgresStore.classify(LeakyError())
        #expect(error.code == "internal_error")
        #expect(!error.detail.contains("hunter2"))
        #expect(!error.detail.contains("postgres://"))
        // Our own errors pass through unchanged.
        #expect(PostgresStore.classify(GatewayError.unmatched("x")) == .unmatched("x"))
    }

    @Test func poolAndCancellationErrorsAreTransient() {
        #expect(PostgresStore.classify(ConnectionPoolError.connectionCreationCircuitBreakerTripped).code == "store_unavailable")
        #expect(PostgresStore.classify(ConnectionPoolError.poolShutdown).code == "store_unavailable")
        #expect(PostgresStore.classify(CancellationError()).code == "store_unavailable")
    }

    // MARK: Against a real server (when PARCELGATE_TEST_POSTGRES_URL is set)

    func openPostgres() async throws -> PostgresStore {
        let location = try await StoreBackend.postgres.newLocation()
        var logger = Logger(label: "store-test")
        logger.logLevel = .critical
        return try await PostgresStore(settings: PostgresSettings(url: location), logger: logger)
    }

    /// A text column decoded as an integer: a programming error, so 500 and not a retry that can only fail again.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func aDecodingErrorIsInternalNotTransient() async throws {
        let store = try await openPostgres()
        do {
            let value = try await store.run {
                var total = 0
                for try await number in try await store.client.query("SELECT 'not a number'::text AS n", logger: store.logger).decode(Int.self) {
                    total += number
                }
                return total
            }
            Issue.record("decoded \(value)")
        } catch {
            #expect(error.code == "internal_error", "\(error)")
            #expect(!error.isTransient)
            #expect(error.detail.contains("column 'n'"), "\(error.detail)")
        }
        // The same decoding failure in a workflow's transaction (as every write runs), through the shared decoders.
        do {
            _ = try await store.perform(Workflow(.write, .run(Statement("SELECT 'x'::text", yield: .rows(.integer))) { rows throws(GatewayError) in
                .done(rows.integers)
            }))
            Issue.record("decoded")
        } catch {
            #expect(error.code == "internal_error", "\(error)")
        }
        await store.close()
    }

    /// Real server errors with the SQLSTATEs the server would send, raised on purpose.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func realServerErrorsAreClassifiedBySQLState() async throws {
        let store = try await openPostgres()
        func raised(_ sqlState: String) async -> GatewayError? {
            do {
                _ = try await store.run {
                    try await store.client.query(PostgresQuery(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'raised by a test' USING ERRCODE = '\(sqlState)'; END $$"),
                                                 logger: store.logger)
                }
                return nil
            } catch {
                return error
            }
        }
        #expect(await raised(PostgresError.Code.diskFull.raw)?.code == "store_unavailable")
        #expect(await raised(PostgresError.Code.adminShutdown.raw)?.code == "store_unavailable")
        #expect(await raised(PostgresError.Code.serializationFailure.raw)?.code == "store_unavailable")
        #expect(await raised(PostgresError.Code.ioError.raw)?.code == "store_unavailable")
        #expect(await raised(PostgresError.Code.uniqueViolation.raw)?.code == "conflict")
        #expect(await raised(PostgresError.Code.characterNotInRepertoire.raw)?.code == "bad_request")
        #expect(await raised(PostgresError.Code.divisionByZero.raw)?.code == "internal_error")
        #expect(await raised(PostgresError.Code.undefinedColumn.raw)?.code == "internal_error")
        await store.close()
    }
}

/// A PostgreSQL URL in a message never shows its credentials, even when no URL parser accepts it.
@Suite struct PostgresURLRedactionTests {
    @Test(arguments: [
        ("postgres://user:hunter2@db:5432/app", "postgres://***@db:5432/app"),
        ("postgres://user:pa ss@word@db/app", "postgres://***@db/app"),
        ("postgresql://:hunter2@db", "postgresql://***@db"),
        ("postgres://db:5432/app", "postgres://db:5432/app"),
        ("postgres://user:hunter2@db/app?x=a@b", "postgres://***@b"),
        ("postgres://u:pa/ss@db/app", "postgres://***@db/app"),
        ("postgres://u:p?w#d@db:5432/app", "postgres://***@db:5432/app"),
    ])
    func credentialsAreBlanked(url: String, expected: String) {
        #expect(PostgresSettings.redacted(url) == expected)
    }

    @Test func anUnparseableURLIsRejectedWithoutItsPassword() {
        #expect {
            _ = try PostgresSettings(url: "postgres://user:hunter2@db:port/app")
        } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return !detail.contains("hunter2") && detail.contains("***")
        }
    }
}
