import Foundation
import Logging
@testable import ParcelGateCore
@testable import ParcelGateStore
import PostgresNIO
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

    /// A fulfillment's domain events as stored, oldest first: `sequence|type|from|to|order_id|carrier|service_level|reason|location`.
    /// Read with each backend's own connection (no store operation reads them yet).
    static func domainEvents(_ store: any GatewayStore, tenant: String, fulfillmentId: String) async throws -> [String] {
        if let sqlite = store as? SQLiteStore {
            return try await sqlite.database.read { connection throws(GatewayError) in
                let query = try connection.statement(sql: """
                    SELECT sequence, type, from_status, to_status, order_id, carrier, service_level, reason, location
                    FROM domain_events WHERE tenant = ? AND fulfillment_id = ? ORDER BY id
                    """)
                query.bind(.text(tenant), .text(fulfillmentId))
                var rows: [String] = []
                while try query.step() {
                    rows.append((0..<9).map { query.optionalText(Int32($0)) ?? "-" }.joined(separator: "|"))
                }
                return rows
            }
        }
        let postgres = try #require(store as? PostgresStore)
        var rows: [String] = []
        let result = try await postgres.client.query("""
            SELECT sequence::text, type, from_status, to_status, order_id, carrier, service_level, reason, location
            FROM domain_events WHERE tenant = \(tenant) AND fulfillment_id = \(fulfillmentId) ORDER BY id
            """)
        for try await row in result.decode((String?, String?, String?, String?, String?, String?, String?, String?, String?).self) {
            rows.append([row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8].map { $0 ?? "-" }.joined(separator: "|"))
        }
        return rows
    }
}
