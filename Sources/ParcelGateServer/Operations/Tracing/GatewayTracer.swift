import OTel
import ParcelGateCore
import ParcelGateStore
import Tracing

/// The gateway's spans (README, "Tracing"), written against swift-distributed-tracing's API.
///
/// Off (the default) it holds no tracer: every helper below runs its body directly, starts nothing and
/// allocates nothing, so a gateway without tracing pays one `nil` check per would-be span. On, it holds the
/// tracer `parcelgate serve` made from the `tracing` block and the `OTEL_*` variables (swift-otel), or one a
/// test injects.
package struct GatewayTracer: Sendable {
    let tracer: (any Tracer)?

    package static let off = GatewayTracer(nil)

    package init(_ tracer: (any Tracer)?) { self.tracer = tracer }

    var isOn: Bool { tracer != nil }

    /// Runs `body` inside a new span: a child of the task's current context (or of `parent` when given), with a
    /// link to each stored W3C trace context in `links`. An error thrown through it marks the span failed.
    func span<T, Failure: Error>(
        _ name: String, kind: SpanKind = .internal, parent: ServiceContext? = nil, links: [String] = [],
        _ body: (TraceSpan) async throws(Failure) -> T
    ) async throws(Failure) -> T {
        guard let tracer else { return try await body(TraceSpan(nil)) }
        // Under a span the sampler dropped, a child would be dropped too (the samplers are parent-based): it is not
        // started at all, which saves its ids and context. Log lines keep the parent's trace_id.
        if parent == nil, let current = ServiceContext.current, current.otelTraceID != nil, !current.otelIsSampled {
            return try await body(TraceSpan(nil))
        }
        let span = tracer.startSpan(name, context: parent ?? ServiceContext.current ?? .topLevel, ofKind: kind)
        for link in links.prefix(Self.maxLinks) {
            if let context = self.context(traceparent: link) { span.addLink(SpanLink(context: context, attributes: [:])) }
        }
        defer { span.end() }
        // TaskLocal.withValue rethrows untyped: the body's typed error is carried through as a Result.
        let result: Result<T, Failure> = await ServiceContext.$current.withValue(span.context) {
            do throws(Failure) {
                return .success(try await body(TraceSpan(span)))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            // A gateway error names itself by its code (never its message); only a server-side failure (5xx)
            // marks the span failed: a rejected callback is an outcome, not a fault of ours.
            if let error = error as? GatewayError {
                span.attributes["error.type"] = error.code
                if error.httpStatus >= 500 { span.setStatus(SpanStatus(code: .error)) }
            } else {
                span.setStatus(SpanStatus(code: .error))
            }
            throw error
        }
    }

    /// A store call as a span (`parcelgate.store.<operation>`). It links to the commit group that carried the
    /// write (``CommitGroupProbe``: every SQLite write, a PostgreSQL callback) and records the group's size and time.
    func storeCall<T>(_ operation: String, _ body: () async throws(GatewayError) -> T) async throws(GatewayError) -> T {
        guard let tracer else { return try await body() }
        return try await span("parcelgate.store." + operation) { span throws(GatewayError) -> T in
            // A span the sampler dropped gets no commit group span either.
            guard span.isRecording, let context = span.context else { return try await body() }
            let probe = CommitGroupProbe(tracer: tracer, context: context)
            defer {
                if let report = probe.report {
                    span.link(report.context, ["link.kind": "commit_group"])
                    span.set("db.system", report.system)
                    span.set("db.commit_group.size", report.size)
                    span.set("db.commit_group.duration_ms", report.milliseconds)
                }
            }
            let result: Result<T, GatewayError> = await CommitGroupProbe.$current.withValue(probe) {
                do throws(GatewayError) {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            }
            return try result.get()
        }
    }

    /// At most this many links on one span (a fan-out round links to every event it fans out, up to this).
    static let maxLinks = 32

    /// The W3C `traceparent` of `context` (the current one by default), to store with a retry entry or a
    /// domain event, or to send with a request; `nil` when off or outside any span.
    func traceparent(of context: ServiceContext? = nil) -> String? {
        guard let tracer, let context = context ?? ServiceContext.current else { return nil }
        var headers = TraceHeaders()
        tracer.inject(context, into: &headers, using: TraceHeaders.Injector())
        return headers.traceparent
    }

    /// A context carrying a stored `traceparent`, or `nil` when it is absent or not well formed (the
    /// propagator parses it strictly; a stored value is never trusted to be valid).
    func context(traceparent: String) -> ServiceContext? {
        guard let tracer, TraceHeaders.isPlausible(traceparent) else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract(TraceHeaders(traceparent: traceparent), into: &context, using: TraceHeaders.Extractor())
        // Nothing extracted leaves the context empty.
        return context.isEmpty ? nil : context
    }

    /// The headers to add to an outbound request so its receiver's trace continues from `span`.
    func propagationHeaders(_ span: TraceSpan) -> [(String, String)] {
        guard let tracer, let inner = span.span else { return [] }
        var headers = TraceHeaders()
        tracer.inject(inner.context, into: &headers, using: TraceHeaders.Injector())
        return headers.fields
    }
}

/// A span, or nothing when tracing is off; setting an attribute on nothing does nothing.
struct TraceSpan: Sendable {
    let span: (any Span)?

    init(_ span: (any Span)?) { self.span = span }

    func set(_ key: String, _ value: String) { span?.attributes[key] = value }
    func set(_ key: String, _ value: Int) { span?.attributes[key] = value }
    func set(_ key: String, _ value: Int64) { span?.attributes[key] = value }
    func set(_ key: String, _ value: Double) { span?.attributes[key] = value }
    func set(_ key: String, _ value: Bool) { span?.attributes[key] = value }

    /// Marks the span failed (an outcome that is not an error thrown through it, such as a 5xx answer).
    func fail() { span?.setStatus(SpanStatus(code: .error)) }

    func link(_ context: ServiceContext, _ attributes: SpanAttributes = [:]) { span?.addLink(SpanLink(context: context, attributes: attributes)) }

    var context: ServiceContext? { span?.context }

    /// Sampled: its attributes and links will be exported.
    var isRecording: Bool { span?.isRecording ?? false }
}

/// The carrier of W3C trace context headers for inject and extract: only `traceparent` and `tracestate`.
struct TraceHeaders: Sendable {
    var traceparent: String?
    var tracestate: String?

    init(traceparent: String? = nil) { self.traceparent = traceparent }

    var fields: [(String, String)] {
        var fields: [(String, String)] = []
        if let traceparent { fields.append(("traceparent", traceparent)) }
        if let tracestate, !tracestate.isEmpty { fields.append(("tracestate", tracestate)) }
        return fields
    }

    /// `00-<32 hex>-<16 hex>-<2 hex>`: the only shape stored or read back (55 ASCII characters).
    static func isPlausible(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return false }
        for (index, byte) in bytes.enumerated() where index != 2 && index != 35 && index != 52 {
            let hex = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            if !hex { return false }
        }
        return true
    }

    struct Injector: Tracing.Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout TraceHeaders) {
            switch key.lowercased() {
            case "traceparent": carrier.traceparent = value
            case "tracestate": carrier.tracestate = value
            default: break
            }
        }
    }

    struct Extractor: Tracing.Extractor {
        func extract(key: String, from carrier: TraceHeaders) -> String? {
            switch key.lowercased() {
            case "traceparent": carrier.traceparent
            case "tracestate": carrier.tracestate
            default: nil
            }
        }
    }
}
