import ParcelGateCore

/// The `tracing` block (README, "Tracing"): OpenTelemetry traces over OTLP/HTTP. Pure values, no I/O (the
/// config fuzz target compiles this folder alone); `Operations/Tracing/TracingBackend.swift` turns it into
/// swift-otel's configuration, where the standard `OTEL_*` variables override what it says.
///
/// ```
/// tracing:
///   enabled: true                        # or OTEL_TRACES_EXPORTER=otlp
///   endpoint: http://127.0.0.1:4318      # base URL; /v1/traces is added (OTEL_EXPORTER_OTLP_ENDPOINT)
///   protocol: http/protobuf              # or http/json (OTEL_EXPORTER_OTLP_PROTOCOL)
///   service_name: parcelgate             # OTEL_SERVICE_NAME
///   sample_ratio: 1.0                    # parent-based trace id ratio (OTEL_TRACES_SAMPLER[_ARG])
///   schedule_delay_ms: 5000              # OTEL_BSP_SCHEDULE_DELAY
///   export_timeout_ms: 10000             # OTEL_BSP_EXPORT_TIMEOUT and OTEL_EXPORTER_OTLP_TIMEOUT
///   max_queue_size: 2048                 # OTEL_BSP_MAX_QUEUE_SIZE: spans past it are dropped and counted
/// ```
package struct TracingConfig: Sendable, Decodable {
    package var enabled: Bool
    package var endpoint: String?
    package var `protocol`: TracingProtocol?
    package var serviceName: String?
    package var sampleRatio: Double?
    package var scheduleDelayMilliseconds: Int?
    package var exportTimeoutMilliseconds: Int?
    package var maxQueueSize: Int?

    package init(enabled: Bool = false, endpoint: String? = nil, protocol: TracingProtocol? = nil, serviceName: String? = nil, sampleRatio: Double? = nil,
                 scheduleDelayMilliseconds: Int? = nil, exportTimeoutMilliseconds: Int? = nil, maxQueueSize: Int? = nil) {
        self.enabled = enabled
        self.endpoint = endpoint
        self.protocol = `protocol`
        self.serviceName = serviceName
        self.sampleRatio = sampleRatio
        self.scheduleDelayMilliseconds = scheduleDelayMilliseconds
        self.exportTimeoutMilliseconds = exportTimeoutMilliseconds
        self.maxQueueSize = maxQueueSize
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, endpoint, `protocol`
        case serviceName = "service_name"
        case sampleRatio = "sample_ratio"
        case scheduleDelayMilliseconds = "schedule_delay_ms"
        case exportTimeoutMilliseconds = "export_timeout_ms"
        case maxQueueSize = "max_queue_size"
    }

    package init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? false
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
        `protocol` = try c.decodeIfPresent(TracingProtocol.self, forKey: .protocol)
        serviceName = try c.decodeIfPresent(String.self, forKey: .serviceName)
        sampleRatio = try c.decodeIfPresent(Double.self, forKey: .sampleRatio)
        scheduleDelayMilliseconds = try c.decodeIfPresent(Int.self, forKey: .scheduleDelayMilliseconds)
        exportTimeoutMilliseconds = try c.decodeIfPresent(Int.self, forKey: .exportTimeoutMilliseconds)
        maxQueueSize = try c.decodeIfPresent(Int.self, forKey: .maxQueueSize)
    }

    func validate() throws(GatewayError) {
        if let endpoint { try Self.checkEndpoint(endpoint) }
        if let serviceName {
            guard !serviceName.isEmpty, serviceName.utf8.count <= 128, serviceName.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw .badRequest("tracing.service_name must be 1 to 128 printable characters")
            }
        }
        if let sampleRatio {
            guard sampleRatio.isFinite, (0...1).contains(sampleRatio) else { throw .badRequest("tracing.sample_ratio must be between 0 and 1") }
        }
        if let scheduleDelayMilliseconds { try Bounds.check(scheduleDelayMilliseconds, 1...600_000, "tracing.schedule_delay_ms") }
        if let exportTimeoutMilliseconds { try Bounds.check(exportTimeoutMilliseconds, 1...600_000, "tracing.export_timeout_ms") }
        if let maxQueueSize { try Bounds.check(maxQueueSize, 1...1_000_000, "tracing.max_queue_size") }
    }

    /// `http://` or `https://`, a host, no credentials, no query or fragment, at most 2048 bytes. The message
    /// never repeats the value (it could hold a password).
    static func checkEndpoint(_ endpoint: String) throws(GatewayError) {
        let problem = GatewayError.badRequest("tracing.endpoint must be an http:// or https:// URL without credentials, query or fragment, such as http://127.0.0.1:4318")
        guard endpoint.utf8.count <= 2048 else { throw problem }
        let rest: Substring
        if endpoint.hasPrefix("http://") {
            rest = endpoint.dropFirst(7)
        } else if endpoint.hasPrefix("https://") {
            rest = endpoint.dropFirst(8)
        } else {
            throw problem
        }
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.contains("@"), !rest.contains("?"), !rest.contains("#"),
              rest.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { throw problem }
    }

    /// Tracing is on when the config enables it or `OTEL_TRACES_EXPORTER` is `otlp`; `OTEL_TRACES_EXPORTER=none`
    /// or `OTEL_SDK_DISABLED=true` turn it off whatever the config says.
    package func isEnabled(environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        switch environment["OTEL_TRACES_EXPORTER"]?.lowercased() {
        case "otlp": return true
        case "none": return false
        default: return enabled
        }
    }
}

/// OTLP over HTTP only: the gRPC exporter is not built (swift-otel's `OTLPHTTP` trait alone).
package enum TracingProtocol: String, Sendable, Decodable {
    case httpProtobuf = "http/protobuf"
    case httpJSON = "http/json"
}
