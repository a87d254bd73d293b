import Hummingbird
import Logging
import NIOCore
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore

/// Everything `parcelgate serve` needs, resolved from flags, environment and the config file.
public struct GatewaySettings: Sendable {
    public var host: String
    public var port: Int
    public var config: GatewayConfig
    public var clock: any GatewayClock

    public init(host: String = "127.0.0.1", port: Int = 8080, config: GatewayConfig, clock: any GatewayClock = SystemClock()) {
        self.host = host
        self.port = port
        self.config = config
        self.clock = clock
    }
}

/// A built gateway: the HTTP application (which also runs the retry worker) and the worker itself.
public struct Gateway<App: ApplicationProtocol>: Sendable {
    public let application: App
    public let worker: RetryWorker
}

/// Wires the ingress pipeline, the platform API, the retry worker and the health routes into one
/// Hummingbird application.
public enum GatewayApplication {
    public static func build(
        settings: GatewaySettings, store: any GatewayStore, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws(GatewayError) -> Gateway<some ApplicationProtocol> {
        let directory = try TenantDirectory(config: settings.config)
        let workerSettings = try settings.config.worker.validated()
        let maxBody = settings.config.server.maxBodyBytes
        let worker = RetryWorker(store: store, directory: directory, clock: settings.clock, settings: workerSettings, logger: logger)
        let wakeWorker: @Sendable () -> Void = { worker.wake() }
        let authenticator = TenantAuthenticator(directory: directory)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        HookRoutes(pipeline: IngressPipeline(directory: directory, store: store, clock: settings.clock, retryQueued: wakeWorker), maxBodyBytes: maxBody)
            .register(on: router)
        FulfillmentRoutes(store: store, authenticator: authenticator, clock: settings.clock, maxBodyBytes: maxBody, shipmentRegistered: wakeWorker)
            .register(on: router)
        RetryRoutes(store: store, authenticator: authenticator, clock: settings.clock, replayed: wakeWorker)
            .register(on: router)
        HealthRoutes(store: store).register(on: router)

        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "parcelgate"),
            services: [worker],
            onServerRunning: onServerRunning,
            logger: logger
        )
        return Gateway(application: application, worker: worker)
    }
}

/// `/healthz`: the process answers. `/readyz`: and the database does too.
struct HealthRoutes<Context: RequestContext> {
    let store: any GatewayStore

    func register(on router: Router<Context>) {
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ throws(GatewayError) in
            try await store.ping()
            return JSONResponse.make(.ok, ["status": "ready"])
        }
    }
}
