import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ParcelGateCore
import ParcelGateServer
import ParcelGateStore
import Synchronization
import ServiceLifecycle

/// `parcelgate serve`: flags win over environment variables, which win over the config file and the defaults
/// (`parcelgate serve --help`, README "Set up" and "Hardening").
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

    /// The demo config's secrets and keys are published in this repository: fine on loopback, never beyond.
    static let demoConfig = "config/demo.yaml"

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let namedConfig = config ?? environment["PARCELGATE_CONFIG"]
        let configPath = namedConfig ?? Self.demoConfig
        let databasePath = database ?? environment["PARCELGATE_DATABASE"] ?? "./parcelgate.sqlite"
        var envPort: Int?
        if let text = environment["PARCELGATE_PORT"] {
            guard let parsed = StrictNumber.int(text, in: 0...65535) else { throw ValidationError("PARCELGATE_PORT must be a port number, 0 to 65535") }
            envPort = parsed
        }
        let listenPort = port ?? envPort ?? 8080
        guard namedConfig != nil || TrustedProxies.isLoopback(host) else {
            throw ValidationError(
                "Refusing to listen on \(host) with the demo config (\(Self.demoConfig)): its secrets and API keys are public. "
                    + "Name your own with --config (or PARCELGATE_CONFIG), or listen on 127.0.0.1."
            )
        }

        // Read before logging starts: with tracing on, every log line inside a span carries its trace_id and span_id.
        let loaded = Result { () throws(GatewayError) -> GatewayConfig in try GatewayConfig.load(path: configPath) }
        let tracingOn = (try? loaded.get())?.tracing.isEnabled(environment: environment) ?? false
        let traceMetadata: Logger.MetadataProvider? = tracingOn ? TracingBackend.logMetadata : nil
        if (environment["PARCELGATE_LOG_FORMAT"] ?? "text") == "json" {
            LoggingSystem.bootstrap({ label, provider in JSONLogHandler(label: label, metadataProvider: provider) }, metadataProvider: traceMetadata)
        } else {
            LoggingSystem.bootstrap(StreamLogHandler.standardError, metadataProvider: traceMetadata)
        }
        var logger = Logger(label: "parcelgate")
        logger.logLevel = environment["PARCELGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info

        do {
            let gatewayConfig = try loaded.get()
            let mode = durability ?? environment["PARCELGATE_DURABILITY"].flatMap(DurabilityMode.init(rawValue:)) ?? gatewayConfig.database.durability ?? .normal
            let metrics = GatewayMetrics()
            // Tracing (README, "Tracing"): the tracer the gateway's spans use, also the process-wide one that
            // Hummingbird's TracingMiddleware reads; its exporter is the first Service, so it flushes last.
            let tracing = try TracingBackend.make(config: gatewayConfig.tracing, environment: environment, metrics: metrics, logger: logger)
            // After the exporter's own HTTP client exists, so that client does not trace its exports.
            if let tracing { TracingBackend.bootstrapProcessTracer(tracing.tracer) }
            let batching = try gatewayConfig.database.batching(
                crashAfterCommits: environment["PARCELGATE_FAULT_CRASH_AFTER_COMMITS"].flatMap { StrictNumber.int($0, in: 1...1_000_000) },
                onCommit: { metrics.commitBatch(size: $0) }
            )
            // The store's lifetime is the first Service of the ServiceGroup below (started first, stopped last):
            // PostgreSQL's connection pool, or the SQLite writer and checkpoint threads.
            let store: any GatewayStore
            let storeService: any Service
            var postgres: PostgresStore?
            if StoreLocation.isPostgres(databasePath) {
                let client = PostgresStore(settings: try PostgresSettings(url: databasePath, poolSize: gatewayConfig.database.poolSize), logger: logger,
                                           runsOwnClient: false,
                                           grouping: try gatewayConfig.database.grouping(onCommit: { metrics.commitBatch(size: $0) }))
                postgres = client
                store = client
                storeService = client.client
            } else {
                let sqlite = try SQLiteStore(path: databasePath, durability: mode, batching: batching)
                store = sqlite
                storeService = sqlite.service
            }
            var prepared = GatewaySettings(
                host: host, port: listenPort, config: gatewayConfig,
                operatorKey: environment["PARCELGATE_OPERATOR_KEY"], masterKey: environment["PARCELGATE_MASTER_KEY"], metrics: metrics,
                onMetricsServerRunning: { channel in
                    let host = (try? gatewayConfig.metrics.listenAddress())??.host ?? ""
                    let line = "parcelgate metrics on http://\(host):\(channel.localAddress?.port ?? 0)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            )
            prepared.tracer = GatewayTracer(tracing?.tracer)
            let settings = prepared
            let startFailure = Mutex<GatewayError?>(nil)
            let gatewayService = ClosureService { [postgres, logger] in
                do {
                    try await postgres?.prepare()
                    let gateway = try await GatewayApplication.build(settings: settings, store: store, logger: logger) { channel in
                        let bound = channel.localAddress?.port ?? listenPort
                        // One stable line on stdout so scripts and tests can find the port.
                        let line = "parcelgate listening on http://\(settings.host):\(bound) database=\(StoreLocation.redacted(databasePath)) config=\(configPath)\n"
                        FileHandle.standardOutput.write(Data(line.utf8))
                    }
                    try await gateway.application.run()
                } catch let error as GatewayError {
                    startFailure.withLock { $0 = error }
                    throw error
                }
            }
            let services: [any Service] = (tracing.map { [$0.service] } ?? []) + [storeService, gatewayService]
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch {
                // The group reports the first service error; a start-up failure is told as such.
                throw startFailure.withLock { $0 } ?? error
            }
        } catch {
            guard let error = error as? GatewayError else { throw error }
            logger.critical("Cannot start: \(error.detail)")
            throw ExitCode(2)
        }
    }
}

extension DurabilityMode: ExpressibleByArgument {}

/// A Service whose `run` is a closure: the gateway, started once the services before it in the group run.
struct ClosureService: Service {
    let body: @Sendable () async throws -> Void

    init(_ body: @escaping @Sendable () async throws -> Void) { self.body = body }

    func run() async throws { try await body() }
}
