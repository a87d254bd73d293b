import ParcelGateCore

/// One store operation, written once for every backend (docs/architecture.md, "The store seam").
///
/// A workflow is a chain of steps. Each step names the statements to run next (``Statement`` values, from
/// `Statements/`) and a continuation that reads their results and decides: fail with a typed error, finish
/// with the output, or name the next statements. Every rule (what a duplicate is, when a callback is queued,
/// which messages a conflict carries) lives in these continuations, which are plain code a unit test can
/// reach. A backend only runs the statements, in one transaction, and feeds the results back: SQLite on its
/// writer thread synchronously, PostgreSQL asynchronously on one pooled connection. Neither decides anything.
///
/// A step's statements form a batch: a backend may send them together (they never depend on each other's
/// results), which is where PostgreSQL's round trips are saved.
struct Workflow<Output: Sendable>: Sendable {
    /// What the operation needs from its transaction.
    enum Access: Sendable {
        /// Reads that need no consistency across statements.
        case read
        /// Reads that must see one snapshot (a list and its histories).
        case snapshot
        /// Reads and writes that commit together, or not at all when a step throws.
        case write
    }

    var access: Access
    var first: Step<Output>

    init(_ access: Access, _ first: Step<Output>) {
        self.access = access
        self.first = first
    }
}

/// One step of a ``Workflow``.
indirect enum Step<Output: Sendable>: Sendable {
    /// Run `statements`, in order, then continue with their results (one per statement).
    case run([Statement], then: @Sendable ([StatementResult]) throws(GatewayError) -> Step<Output>)
    /// The operation's result.
    case done(Output)

    /// Runs one statement, then continues with its result.
    static func run(_ statement: Statement, then: @escaping @Sendable (StatementResult) throws(GatewayError) -> Step<Output>) -> Step<Output> {
        .run([statement]) { results throws(GatewayError) in try then(try results.result(0)) }
    }

    /// Runs `statements` and finishes with `output` (writes whose results nothing checks).
    static func run(_ statements: [Statement], finishing output: Output) -> Step<Output> {
        .run(statements) { _ in .done(output) }
    }
}

/// Walks a workflow's steps for a backend's driver loop: while ``pending`` names statements, the driver runs
/// them and hands their results to ``resume(with:)``; then ``output()`` is the operation's result.
struct StepCursor<Output: Sendable> {
    private var step: Step<Output>

    init(_ first: Step<Output>) { step = first }

    /// The statements to run now; `nil` once the workflow has finished.
    var pending: [Statement]? {
        if case .run(let statements, _) = step { return statements }
        return nil
    }

    /// Feeds the results of ``pending`` (one per statement, in order) to the step's continuation.
    mutating func resume(with results: [StatementResult]) throws(GatewayError) {
        guard case .run(_, let then) = step else { return }
        step = try then(results)
    }

    func output() throws(GatewayError) -> Output {
        guard case .done(let output) = step else { throw .internalError("A store workflow stopped before it finished") }
        return output
    }
}

/// What a backend tells the workflows about itself: facts, not decisions.
struct StoreDialect: Sendable {
    /// Whether rows must be locked explicitly for a read-modify-write (PostgreSQL, shared by replicas), or a
    /// single writer already serialises every write transaction (SQLite).
    var hasRowLocks: Bool

    static let sqlite = StoreDialect(hasRowLocks: false)
    static let postgres = StoreDialect(hasRowLocks: true)
}
