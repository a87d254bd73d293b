import Synchronization
import Tracing

/// How a traced write learns which commit group carried it (README, "Tracing").
///
/// The server sets a probe as a task local around a traced store call; ``SQLiteDatabase/write(_:)`` hands it to
/// the writer thread with the job, and ``IngestGroupCommitter`` (PostgreSQL) to its group. When a group holds at
/// least one probe, the group is recorded as a span of its own (`sqlite.commit_group` or
/// `postgresql.commit_group`: its size, from `BEGIN` to `COMMIT`, linked to every traced write in it) and each
/// probe is told that span's context, the group's size and how long it took, so the caller's store span can
/// link to it. Without a probe (tracing off) nothing here runs.
package final class CommitGroupProbe: Sendable {
    @TaskLocal package static var current: CommitGroupProbe?

    let tracer: any Tracer
    /// The caller's store span.
    let context: ServiceContext
    private let reported = Mutex<CommitGroupReport?>(nil)

    package init(tracer: any Tracer, context: ServiceContext) {
        self.tracer = tracer
        self.context = context
    }

    /// The group that committed this caller's write; `nil` until it did (or when the store has no groups).
    package var report: CommitGroupReport? { reported.withLock { $0 } }

    fileprivate func tell(_ report: CommitGroupReport) { reported.withLock { $0 = report } }
}

package struct CommitGroupReport: Sendable {
    /// The `sqlite.commit_group` or `postgresql.commit_group` span's context.
    package let context: ServiceContext
    /// `sqlite` or `postgresql`: the store's `db.system`.
    package let system: String
    /// Writes in the group.
    package let size: Int
    /// From `BEGIN` to the end of `COMMIT`.
    package let milliseconds: Double
}

/// One group's span, started at `BEGIN` when some write in the group is traced.
struct CommitGroupSpan {
    private let span: any Span
    private let probes: [CommitGroupProbe]
    private let started: ContinuousClock.Instant
    private let system: String

    /// `nil` (and nothing started) when no write of the group is traced.
    /// `system`: `sqlite` or `postgresql`, the span's name prefix and `db.system`.
    init?(probes: [CommitGroupProbe], system: String = "sqlite") {
        guard let first = probes.first else { return nil }
        self.probes = probes
        self.system = system
        started = ContinuousClock.now
        span = first.tracer.startSpan(system + ".commit_group", context: .topLevel, ofKind: .internal)
        span.attributes["db.system"] = system
        for probe in probes.prefix(64) { span.addLink(SpanLink(context: probe.context, attributes: [:])) }
    }

    /// The group committed (`error == nil`) or was abandoned; ends the span and tells every probe.
    func finish(size: Int, error: String?) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        span.attributes["db.commit_group.size"] = size
        span.attributes["db.commit_group.duration_ms"] = milliseconds
        if let error {
            span.attributes["error.type"] = error
            span.setStatus(SpanStatus(code: .error))
        }
        let report = CommitGroupReport(context: span.context, system: system, size: size, milliseconds: milliseconds)
        for probe in probes { probe.tell(report) }
        span.end()
    }
}

/// The W3C `traceparent` of the request a store call serves, for the domain events a platform command records
/// (README, "Tracing"). A task local, so the `GatewayStore` methods keep their signatures; read when the
/// workflow is made, in the caller's task. `nil` when tracing is off.
package enum StoreTraceContext {
    @TaskLocal package static var traceParent: String?
}
