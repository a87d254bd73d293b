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
    /// Read through the backend's own statement runner (no store operation reads them yet).
    static func domainEvents(_ store: any GatewayStore, tenant: String, fulfillmentId: String) async throws -> [String] {
        let runner = try #require(store as? any WorkflowRunner)
        let read = Statement("""
            SELECT sequence || '|' || type || '|' || from_status || '|' || to_status || '|' || order_id || '|' || coalesce(carrier, '-')
                   || '|' || coalesce(service_level, '-') || '|' || coalesce(reason, '-') || '|' || coalesce(location, '-')
            FROM domain_events WHERE tenant = ? AND fulfillment_id = ? ORDER BY id
            """, [.text(tenant), .text(fulfillmentId)], yield: .rows(.text))
        return try await runner.perform(Workflow(.read, .run(read) { rows throws(GatewayError) in .done(rows.texts) }))
    }

    /// Runs SQL written for this backend (test set-up: a trigger, a raw change), in its own transaction.
    static func execute(_ store: any GatewayStore, _ sql: String) async throws {
        let runner = try #require(store as? any WorkflowRunner)
        try await runner.perform(Workflow(.write, .run([Statement(built: sql)], finishing: ())))
    }
}
