import Foundation
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The `tracing` block is read strictly, and the switch between it and `OTEL_*` is the documented one.
@Suite struct TracingConfigTests {
    static func parse(_ tracing: String) throws(GatewayError) -> GatewayConfig {
        try GatewayConfig.parse(#"{"tenants": [], "tracing": \#(tracing)}"#)
    }

    @Test func aFullBlockIsRead() throws {
        let block = #"{"enabled": true, "endpoint": "http://127.0.0.1:4318", "protocol": "http/json", "service_name": "gw-eu", "#
            + #""sample_ratio": 0.01, "schedule_delay_ms": 200, "export_timeout_ms": 1000, "max_queue_size": 512}"#
        let config = try Self.parse(block).tracing
        #expect(config.enabled && config.endpoint == "http://127.0.0.1:4318" && config.protocol == .httpJSON)
        #expect(config.serviceName == "gw-eu" && config.sampleRatio == 0.01)
        #expect(config.scheduleDelayMilliseconds == 200 && config.exportTimeoutMilliseconds == 1000 && config.maxQueueSize == 512)
        #expect(try GatewayConfig.parse(#"{"tenants": []}"#).tracing.enabled == false, "off by default")
    }

    @Test(arguments: [
        (#"{"enabeld": true}"#, "unknown key 'enabeld'"),
        (#"{"protocol": "grpc"}"#, "tracing.protocol"),
        (#"{"sample_ratio": 1.5}"#, "tracing.sample_ratio"),
        (#"{"max_queue_size": 0}"#, "tracing.max_queue_size"),
        (#"{"schedule_delay_ms": -1}"#, "tracing.schedule_delay_ms"),
        (#"{"endpoint": "ftp://collector:4318"}"#, "tracing.endpoint"),
        (#"{"endpoint": "http://user:hunter2@collector:4318"}"#, "tracing.endpoint"),
        (#"{"endpoint": "http://collector:4318/?key=hunter2"}"#, "tracing.endpoint"),
        (#"{"service_name": ""}"#, "tracing.service_name"),
    ])
    func badValuesAreRefusedWithoutRepeatingThem(_ block: String, _ named: String) {
        #expect {
            try Self.parse(block)
        } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return detail.contains(named) && !detail.contains("hunter2")
        }
    }

    @Test func theEnvironmentSwitchesItOnOrOff() {
        let off = TracingConfig(), on = TracingConfig(enabled: true)
        #expect(!off.isEnabled(environment: [:]))
        #expect(on.isEnabled(environment: [:]))
        #expect(off.isEnabled(environment: ["OTEL_TRACES_EXPORTER": "otlp"]))
        #expect(!on.isEnabled(environment: ["OTEL_TRACES_EXPORTER": "none"]))
        #expect(!on.isEnabled(environment: ["OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"]))
    }

    @Test func onlyAWellFormedStoredTraceparentIsRead() {
        #expect(TraceHeaders.isPlausible("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        for bad in ["", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",
                    "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01"] {
            #expect(!TraceHeaders.isPlausible(bad), "\(bad)")
        }
        // Off, nothing is read or written.
        #expect(GatewayTracer.off.context(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == nil)
        #expect(GatewayTracer.off.traceparent() == nil)
    }
}
