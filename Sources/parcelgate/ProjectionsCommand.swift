import ArgumentParser
import Foundation
import Logging
import ParcelGateCore
import ParcelGateServer
import ParcelGateStore

/// `parcelgate projections rebuild`: recomputes the read models (README, "Stats") from the raw tables, one
/// tenant per transaction, with a progress line per tenant and a summary. Safe while gateways serve the same
/// database: on PostgreSQL a tenant's rebuild holds projection writers off until it commits; on SQLite the
/// single writer does the same.
struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Manage the read models behind /v1/stats.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute every tenant's projections from the fulfillments and domain events.")

        @Option(help: "Config file (YAML or JSON), for database settings. Env PARCELGATE_CONFIG; none by default.")
        var config: String?

        @Option(help: "SQLite file path, or postgres://user:password@host:port/database. Env PARCELGATE_DATABASE; default ./parcelgate.sqlite.")
        var database: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let location = database ?? environment["PARCELGATE_DATABASE"] ?? "./parcelgate.sqlite"
            let configPath = config ?? environment["PARCELGATE_CONFIG"]
            let gatewayConfig = try configPath.map { path throws(GatewayError) in try GatewayConfig.load(path: path) }
            var logger = Logger(label: "parcelgate.projections")
            logger.logLevel = .warning
            if !StoreLocation.isPostgres(location), !FileManager.default.fileExists(atPath: location) {
                throw ValidationError("No SQLite database at '\(location)': give --database (or PARCELGATE_DATABASE)")
            }
            print("projections rebuild: database=\(StoreLocation.redacted(location))")
            let store = try await StoreLocation.open(location, durability: gatewayConfig?.database.durability ?? .normal,
                                                     poolSize: gatewayConfig?.database.poolSize, logger: logger)
            let started = ContinuousClock.now
            do {
                let rebuilt = try await store.rebuildAllProjections(now: SystemClock().now()) { done, total, one in
                    print("[\(done)/\(total)] \(one.tenant): \(one.fulfillments) fulfillments, \(one.rows) counter rows")
                }
                let elapsed = ContinuousClock.now - started
                let fulfillments = rebuilt.reduce(Int64(0)) { $0.addingSaturating($1.fulfillments) }
                let rows = rebuilt.reduce(0) { $0 + $1.rows }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("rebuilt \(rebuilt.count) tenant\(rebuilt.count == 1 ? "" : "s"): \(fulfillments) fulfillments, \(rows) counter rows in \(String(format: "%.2f", seconds)) s")
                await store.close()
            } catch {
                await store.close()
                throw error
            }
        }
    }
}
