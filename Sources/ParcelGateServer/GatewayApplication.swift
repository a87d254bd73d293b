import Hummingbird
import Logging
import NIOCore
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateStore
import ServiceLifecycle

/// Everything `parcelgate serve` needs, resolved from flags, environment and the config file.
package struct GatewaySettings: Sendable {
    package var host: String
    var port: Int
    var config: GatewayConfig
    var clock: any GatewayClock
    /// `PARCELGATE_OPERATOR_KEY`: the key of the operator API; `nil` disables it.
    var operatorKey: String?
    /// `PARCELGATE_MASTER_KEY`: 32 bytes, base64, sealing carrier secrets at rest; `nil` stores them in clear.
    var masterKey: String?
    /// How often a replica checks whether another changed the tenant directory.
    var directoryRefreshInterval: Duration
    /// Where `/metrics` figures are recorded; share it with the store to see commit batch sizes.
    var metrics: GatewayMetrics
    /// How often the readiness monitor asks the database whether it answers.
    var readinessInterval: Duration
    /// Called once the separate metrics listener (`metrics.listen`) is up, with its channel.
    var onMetricsServerRunning: (@Sendable (any Channel) async -> Void)?
    /// How notifications are sent; `nil`: AsyncHTTPClient with the `notifications` settings, run as a Service.
    var webhookSender: (any WebhookSending)?
    /// How long fetched JWKS serve and how often an unknown key id may refetch one.
    var keySets: KeySetCache.Settings
    /// How often per-minute ingest counts are written to the store (and at shutdown; a stats read writes them first).
    var ingestFlushInterval: Duration = .seconds(5)
    /// Spans (README, "Tracing"): `.off` by default; `parcelgate serve` sets the OTLP tracer when tracing is on.
    /// Hummingbird's TracingMiddleware, added when it is on, uses the process-wide tracer (InstrumentationSystem),
    /// which `serve` bootstraps with the same one.
    package var tracer: GatewayTracer = .off

    package init(host: String = "127.0.0.1", port: Int = 8080, config: GatewayConfig, clock: any GatewayClock = SystemClock(),
                operatorKey: String? = nil, masterKey: String? = nil, directoryRefreshInterval: Duration = .seconds(1),
                metrics: GatewayMetrics = GatewayMetrics(), readinessInterval: Duration = .seconds(1),
                onMetricsServerRunning: (@Sendable (any Channel) async -> Void)? = nil, webhookSender: (any WebhookSending)? = nil,
                keySets: KeySetCache.Settings = KeySetCache.Settings()) {
        self.webhookSender = webhookSender
        self.keySets = keySets
        self.metrics = metrics
        self.readinessInterval = readinessInterval
        self.onMetricsServerRunning = onMetricsServerRunning
        self.host = host
        self.port = port
        self.config = config
        self.clock = clock
        self.operatorKey = operatorKey
        self.masterKey = masterKey
        self.directoryRefreshInterval = directoryRefreshInterval
    }
}

/// A built gateway: the HTTP application (which also runs the retry worker) and the worker itself.
package struct Gateway<App: ApplicationProtocol>: Sendable {
    package let application: App
    let worker: RetryWorker
    let directory: DirectoryProvider
    let notifications: NotificationsRuntime
    /// Every route, as `METHOD /path/{parameter}` (for the OpenAPI document's test).
    let routes: [String]
}

/// Wires the ingress pipeline, the platform API, the retry worker and the health routes into one
/// Hummingbird application.
package enum GatewayApplication {
    package static func build(
        settings: GatewaySettings, store: any GatewayStore, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) async throws(GatewayError) -> Gateway<some ApplicationProtocol> {
        try settings.config.validate()
        let secretBox = try SecretBox(masterKeyBase64: settings.masterKey)
        let defaultPolicy: BackoffPolicy
        do {
            defaultPolicy = try settings.config.retry?.policy() ?? .default
        } catch {
            throw .badRequest("Invalid default retry policy: \(error.detail)")
        }
        try await DirectorySeeder.seed(config: settings.config, store: store, secretBox: secretBox, clock: settings.clock, logger: logger)
        let directory = try await DirectoryProvider(store: store, secretBox: secretBox, defaultPolicy: defaultPolicy, logger: logger, metrics: settings.metrics)
        let config = settings.config
        let workerSettings = try config.worker.validated()
        let maxBody = config.server.maxBodyBytes
        try await rebuildStaleProjections(store: store, clock: settings.clock, logger: logger)
        let worker = RetryWorker(store: store, directory: directory, clock: settings.clock, settings: workerSettings, logger: logger, metrics: settings.metrics,
                                 limits: config.ingress, deadLetterRetentionSeconds: config.deadLetterRetentionSeconds, tracer: settings.tracer)
        let ingestCounter = IngestCounter(clock: settings.clock)
        let wakeWorker: @Sendable () -> Void = { worker.wake() }
        let tenantAuthentication = TenantAuthMiddleware<GatewayRequestContext>(directory: directory)
        let readiness = ReadinessMonitor(store: store, interval: settings.readinessInterval)
        var senderService: AsyncHTTPWebhookSender?
        let sender: any WebhookSending
        if let injected = settings.webhookSender {
            sender = injected
        } else {
            let made = try AsyncHTTPWebhookSender(config: config.notifications)
            senderService = made
            sender = made
        }
        let notifications = try NotificationsRuntime(store: store, config: config.notifications, sender: sender, secretBox: secretBox,
                                                     clock: settings.clock, logger: logger, metrics: settings.metrics,
                                                     deadLetterRetentionSeconds: config.deadLetterRetentionSeconds, tracer: settings.tracer)

        let keySetFetcher = AsyncHTTPKeySetFetcher()
        let keySets = KeySetCache(fetcher: keySetFetcher, clock: settings.clock, settings: settings.keySets, logger: logger)
        let proxies = try TrustedProxies(config.server.trustedProxies)
        let operatorKey = try OperatorKey(key: settings.operatorKey)

        let router = Router(context: GatewayRequestContext.self)
        if settings.tracer.isOn {
            // Outermost, so the server span sees the status the error middleware answers with. No header is
            // recorded (a signature or an API key would be), and no query parameter of ours carries a secret.
            router.add(middleware: TracingMiddleware())
            router.add(middleware: StoreTraceMiddleware(tracer: settings.tracer))
        }
        router.add(middleware: ErrorMiddleware())
        var pipeline = IngressPipeline(directory: directory, store: store, clock: settings.clock, limits: config.ingress, keySets: keySets,
                                       retryQueued: wakeWorker)
        pipeline.tracer = settings.tracer
        HookRoutes(
            pipeline: pipeline,
            maxBodyBytes: maxBody, metrics: settings.metrics, admission: IngressAdmission(limit: config.server.maxConcurrentIngress),
            proxies: proxies, counter: ingestCounter, tracer: settings.tracer
        ).register(on: router)
        FulfillmentRoutes(store: store, authentication: tenantAuthentication, clock: settings.clock, maxBodyBytes: maxBody, shipmentRegistered: wakeWorker)
            .register(on: router)
        RetryRoutes(store: store, authentication: tenantAuthentication, clock: settings.clock, replayed: wakeWorker)
            .register(on: router)
        WebhookEndpointRoutes(store: store, authentication: tenantAuthentication, notifications: notifications, clock: settings.clock, maxBodyBytes: maxBody)
            .register(on: router)
        DeliveryRoutes(store: store, authentication: tenantAuthentication, notifications: notifications).register(on: router)
        let operatorAuthentication = OperatorAuthMiddleware<GatewayRequestContext>(key: operatorKey)
        AdminRoutes(
            store: store, directory: directory, authentication: operatorAuthentication,
            clock: settings.clock, maxBodyBytes: maxBody
        ).register(on: router)
        StatsRoutes(store: store, directory: directory, tenantAuthentication: tenantAuthentication, operatorAuthentication: operatorAuthentication,
                    counter: ingestCounter, clock: settings.clock).register(on: router)
        ConsoleRoutes(
            store: store, directory: directory, operatorKey: operatorKey,
            sessions: ConsoleSessions(store: store, clock: settings.clock, config: config.console), notifications: notifications,
            clock: settings.clock, proxies: proxies, renderer: try ConsoleRenderer(), signInLimiter: RateLimiter<String>(),
            overviewSource: ConsoleOverviewSource(store: store, counter: ingestCounter), replayed: wakeWorker
        ).register(on: router)
        let metricsAddress = try config.metrics.listenAddress()
        // Stopped in reverse: the delivery worker before the sender whose client it uses.
        var services: [any Service] = [keySetFetcher] + (senderService.map { [$0] } ?? []) + [
            notifications.worker, worker, DirectoryRefresher(provider: directory, interval: settings.directoryRefreshInterval, logger: logger), readiness,
            IngestCountFlusher(counter: ingestCounter, store: store, interval: settings.ingestFlushInterval, logger: logger),
        ]
        if let metricsAddress {
            // `/metrics` only on its own listener, for deployments that do not expose it publicly.
            let metricsRouter = Router(context: GatewayRequestContext.self)
            metricsRouter.add(middleware: ErrorMiddleware())
            MetricsRoutes(store: store, metrics: settings.metrics).register(on: metricsRouter)
            services.append(Application(
                router: metricsRouter,
                configuration: ApplicationConfiguration(address: .hostname(metricsAddress.host, port: metricsAddress.port), serverName: "parcelgate-metrics"),
                onServerRunning: settings.onMetricsServerRunning ?? { _ in },
                logger: logger
            ))
        }
        OperationsRoutes(readiness: readiness, metrics: metricsAddress == nil ? MetricsRoutes(store: store, metrics: settings.metrics) : nil)
            .register(on: router)

        let application = Application(
            router: router,
            server: GuardedHTTPServer.builder(idleTimeout: .seconds(Int64(config.server.idleTimeoutSeconds)),
                                              requestDeadline: .seconds(Int64(config.server.requestTimeoutSeconds))),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "parcelgate"),
            services: services,
            onServerRunning: onServerRunning,
            logger: logger
        )
        let routes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
        return Gateway(application: application, worker: worker, directory: directory, notifications: notifications, routes: routes)
    }

    /// A database that had fulfillments before it had projections (migration 9) gets them rebuilt once, here.
    static func rebuildStaleProjections(store: any GatewayStore, clock: any GatewayClock, logger: Logger) async throws(GatewayError) {
        guard try await store.projectionsStale() else { return }
        logger.notice("Building the read models from the existing fulfillments (once, after the upgrade)")
        let rebuilt = try await store.rebuildAllProjections(now: clock.now())
        logger.notice("Read models built", metadata: ["tenants": "\(rebuilt.count)", "fulfillments": "\(rebuilt.reduce(Int64(0)) { $0 + $1.fulfillments })"])
    }
}
