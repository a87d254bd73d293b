import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ParcelGateCore
import ParcelGateServer
import ParcelGateStore

/// `parcelgate serve`: flags win over environment variables, which win over the defaults of DESIGN §8.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the gateway.")

    @Option(help: "Config file (YAML or JSON). Env PARCELGATE_CONFIG; default config/demo.yaml.")
    var config: String?

    @Option(help: "SQLite file path, or postgres://user:password@host:port/database. Env PARCELGATE_DATABASE; default ./parcelgate.sqlite.")
    var database: String?

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one). Env PARCELGATE_PORT; default 8080.")
    var port: Int?

    @Option(help: "SQLite durability: normal (survives a process crash) or full (survives power loss). Env PARCELGATE_DURABILITY.")
    var durability: DurabilityMode?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["PARCELGATE_CONFIG"] ?? "config/demo.yaml"
        let databasePath = database ?? environment["PARCELGATE_DATABASE"] ?? "./parcelgate.sqlite"
        let envPort = environment["PARCELGATE_PORT"].flatMap(Int.init)
        let listenPort = port ?? envPort ?? 8080

        if (environment["PARCELGATE_LOG_FORMAT"] ?? "text") == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        } else {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
        var logger = Logger(label: "parcelgate")
        logger.logLevel = environment["PARCELGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info

        do {
            let gatewayConfig = try GatewayConfig.load(path: configPath)
            let mode = durability ?? environment["PARCELGATE_DURABILITY"].flatMap(DurabilityMode.init(rawValue:)) ?? gatewayConfig.database.durability ?? .normal
            let metrics = GatewayMetrics()
            let batching = try gatewayConfig.database.batching(
                crashAfterCommits: environment["PARCELGATE_FAULT_CRASH_AFTER_COMMITS"].flatMap(Int.init),
                onCommit: { metrics.commitBatch(size: $0) }
            )
            let store = try await StoreLocation.open(databasePath, durability: mode, poolSize: gatewayConfig.database.poolSize, batching: batching, logger: logger)
            let settings = GatewaySettings(
                host: host, port: listenPort, config: gatewayConfig,
                operatorKey: environment["PARCELGATE_OPERATOR_KEY"], masterKey: environment["PARCELGATE_MASTER_KEY"], metrics: metrics
            )
            let gateway = try await GatewayApplication.build(settings: settings, store: store, logger: logger) { channel in
                let bound = channel.localAddress?.port ?? listenPort
                // One stable line on stdout so scripts and tests can find the port.
                let line = "parcelgate listening on http://\(settings.host):\(bound) database=\(StoreLocation.redacted(databasePath)) config=\(configPath)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            try await gateway.application.runService()
            await store.close()
        } catch let error as GatewayError {
            logger.critical("Cannot start: \(error.detail)")
            throw ExitCode(2)
        }
    }
}

extension DurabilityMode: ExpressibleByArgument {}
