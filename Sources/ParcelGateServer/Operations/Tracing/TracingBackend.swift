import Logging
import OTel
import ParcelGateCore
import ServiceLifecycle
import Tracing

/// The exporter behind ``GatewayTracer`` when tracing is on (README, "Tracing"): swift-otel's tracer, its
/// bounded batch span processor and its OTLP/HTTP exporter, configured from the `tracing` block and then, as
/// OpenTelemetry's SDKs do, from the `OTEL_*` variables, which win.
///
/// The exporter never holds up the gateway: a finished span is handed to the processor's queue without waiting;
/// past `max_queue_size` (OTEL_BSP_MAX_QUEUE_SIZE, 2048) spans are dropped, and a batch the collector refuses or
/// does not answer within `export_timeout_ms` is dropped too. Both are counted in
/// `parcelgate_trace_spans_dropped_total{reason}` from swift-otel's own reports (``DropCountingLogHandler``).
package enum TracingBackend {
    /// The tracer and the Service that exports its spans (start it before the gateway, stop it after), or `nil`
    /// when tracing is off.
    package static func make(config: TracingConfig, environment: [String: String], metrics: GatewayMetrics,
                             logger: Logger) throws(GatewayError) -> (tracer: any Tracer, service: any Service)? {
        guard config.isEnabled(environment: environment) else { return nil }
        let otel = configuration(config, metrics: metrics, logger: logger)
        do {
            let backend = try OTel.makeTracingBackend(configuration: otel)
            return (backend.factory, backend.service)
        } catch {
            // swift-otel's errors name a setting; the endpoint is not repeated (it may hold credentials).
            throw .badRequest("tracing: cannot start the OTLP exporter (check OTEL_* and the tracing block): \(error)")
        }
    }

    /// `trace_id`, `span_id` and `trace_flags` of the current span on every log line written inside one.
    package static var logMetadata: Logger.MetadataProvider { OTel.makeLoggingMetadataProvider() }

    /// Makes `tracer` the process-wide one (once per process), for Hummingbird's TracingMiddleware.
    package static func bootstrapProcessTracer(_ tracer: any Tracer) { InstrumentationSystem.bootstrap(tracer) }

    /// swift-otel's configuration from the block; the `OTEL_*` variables are applied over it by swift-otel.
    static func configuration(_ config: TracingConfig, metrics: GatewayMetrics, logger: Logger) -> OTel.Configuration {
        var otel = OTel.Configuration.default
        otel.serviceName = config.serviceName ?? "parcelgate"
        otel.metrics.enabled = false
        otel.logs.enabled = false
        otel.traces.enabled = true
        otel.traces.exporter = .otlp
        otel.propagators = [.traceContext]
        if let ratio = config.sampleRatio, let sampler = OTel.Configuration.TracesConfiguration.SamplerConfiguration.parentBasedTraceIDRatio(ratio: ratio) {
            otel.traces.sampler = sampler
        }
        if let endpoint = config.endpoint {
            // Like OTEL_EXPORTER_OTLP_ENDPOINT: a base URL, the signal's path added.
            otel.traces.otlpExporter.endpoint = endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
        }
        switch config.protocol {
        case .httpJSON: otel.traces.otlpExporter.protocol = .httpJSON
        case .httpProtobuf, nil: otel.traces.otlpExporter.protocol = .httpProtobuf
        }
        if let delay = config.scheduleDelayMilliseconds { otel.traces.batchSpanProcessor.scheduleDelay = .milliseconds(delay) }
        if let timeout = config.exportTimeoutMilliseconds {
            otel.traces.batchSpanProcessor.exportTimeout = .milliseconds(timeout)
            otel.traces.otlpExporter.timeout = .milliseconds(timeout)
        }
        if let size = config.maxQueueSize {
            otel.traces.batchSpanProcessor.maxQueueSize = size
            otel.traces.batchSpanProcessor.maxExportBatchSize = min(otel.traces.batchSpanProcessor.maxExportBatchSize, size)
        }
        otel.diagnosticLogLevel = .warning
        otel.diagnosticLogger = .custom(Logger(label: "parcelgate.otel") { label in
            DropCountingLogHandler(upstream: logger.handler, metrics: metrics)
        })
        return otel
    }
}

/// swift-otel's diagnostic log, passed on to the gateway's log, with its reports of lost spans counted:
/// "Spans were dropped this iteration because queue was full" (`dropped_count`) and "Failed to export batch."
/// (`batch_size`), the only signals its batch processor gives (swift-otel 1.6). Tested by the tracing tests
/// against a collector that never answers.
struct DropCountingLogHandler: LogHandler {
    var upstream: any LogHandler
    let metrics: GatewayMetrics

    var metadata: Logger.Metadata {
        get { upstream.metadata }
        set { upstream.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { upstream.logLevel }
        set { upstream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { upstream[metadataKey: key] }
        set { upstream[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        let message = "\(event.message)"
        if message.hasPrefix("Spans were dropped"), let count = Self.count(event.metadata?["dropped_count"]) {
            metrics.spansDropped(count, reason: "queue_full")
        } else if message.hasPrefix("Failed to export batch"), let count = Self.count(event.metadata?["batch_size"]) {
            metrics.spansDropped(count, reason: "export_failed")
        }
        upstream.log(event: event)
    }

    private static func count(_ value: Logger.Metadata.Value?) -> Int? {
        guard case .string(let text)? = value else {
            if case .stringConvertible(let convertible)? = value { return StrictNumber.int("\(convertible)", in: 0...Int.max) }
            return nil
        }
        return StrictNumber.int(text, in: 0...Int.max)
    }
}
