import Foundation
import Logging
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// The backends the store contract runs against: SQLite always, PostgreSQL whenever
/// `PARCELGATE_TEST_POSTGRES_URL` names a server (CI starts one).
enum StoreBackend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var available: [StoreBackend] {
        [.sqlite] + (postgresURL == nil ? [] : [.postgres])
    }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["PARCELGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var testDescription: String { rawValue }

    /// A new, empty database: a temporary SQLite file, or a new PostgreSQL database on the test server.
    func newLocation() async throws -> String {
        switch self {
        case .sqlite:
            return temporaryDatabase()
        case .postgres:
            guard let url = Self.postgresURL else { throw GatewayError.badRequest("PARCELGATE_TEST_POSTGRES_URL is not set") }
            return try await Self.createDatabase(adminURL: url)
        }
    }

    func open(_ location: String) async throws -> any GatewayStore {
        var logger = Logger(label: "store-test")
        logger.logLevel = .warning
        return try await StoreLocation.open(location, durability: .normal, poolSize: 8, logger: logger)
    }

    func open() async throws -> any GatewayStore { try await open(try await newLocation()) }

    static func createDatabase(adminURL: String) async throws -> String {
        try await PostgresStore.createDatabase(adminURL: adminURL, name: "parcelgate_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))
    }
}
