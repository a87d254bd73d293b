import Logging
import NIOCore
import ParcelGateCore
import PostgresNIO

/// How PostgreSQL runs a ``Statement`` and a ``Step`` chain: number the `?` placeholders, bind, run, decode
/// with the shared ``RowDecoder``. Nothing here decides anything.
extension PostgresConnection {
    func run(_ statement: Statement, logger: Logger) async throws -> StatementResult {
        let values = statement.postgresBinds ?? statement.binds
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            case .bool(let v): bindings.append(v)
            case .textArray(let v): bindings.append(v)
            }
        }
        if case .prepared(let prepared) = statement.postgres {
            return try await runPrepared(prepared, bindings: bindings, yield: statement.yield, logger: logger)
        }
        var sql = PostgresDialect.numbered(statement.postgres.string)
        // PostgreSQL reports no change count through PostgresNIO's row sequence: count the returned rows.
        if case .changes = statement.yield { sql += " RETURNING 1" }
        return try await Self.collect(try await query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger), yield: statement.yield)
    }

    /// Runs a fixed text by name: PostgresNIO prepares it on this connection at its first use.
    private func runPrepared<SQL: PreparedSQL>(_: SQL.Type, bindings: PostgresBindings, yield: Statement.Yield, logger: Logger) async throws -> StatementResult {
        try await Self.collect(try await execute(NamedStatement<SQL>(bindings: bindings), logger: logger), yield: yield)
    }

    /// A statement's rows as its ``Statement/Yield`` asks: none read, counted (a prepared text that counts says
    /// `RETURNING` itself), or decoded by the shared decoders.
    private static func collect<Rows: AsyncSequence>(_ rows: Rows, yield: Statement.Yield) async throws -> StatementResult where Rows.Element == PostgresRow {
        switch yield {
        case .nothing:
            for try await _ in rows {}
            return StatementResult()
        case .changes:
            var changed = 0
            for try await _ in rows { changed += 1 }
            return StatementResult(changes: changed)
        case .rows(let decoder):
            var decoded: [DecodedRow] = []
            for try await row in rows { decoded.append(try decoder.decode(PostgresRowReader(row: row.makeRandomAccess()))) }
            return StatementResult(rows: decoded)
        }
    }

    /// Runs a workflow's steps to the end, inside the caller's transaction.
    func drive<Output>(_ first: Step<Output>, logger: Logger) async throws -> Output {
        var cursor = StepCursor(first)
        while let statements = cursor.pending {
            var results: [StatementResult] = []
            for statement in statements { results.append(try await run(statement, logger: logger)) }
            try cursor.resume(with: results)
        }
        return try cursor.output()
    }
}

/// A ``PreparedSQL`` text as PostgresNIO's prepared statement: its name and text, this run's bindings, rows as they come.
private struct NamedStatement<SQL: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { SQL.name }
    static var sql: String { SQL.sql }
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

enum PostgresDialect {
    /// `?` placeholders as PostgreSQL's `$1`, `$2`...; text that numbers its own (a value used twice) passes unchanged.
    /// Runs over UTF-8 bytes, not Characters: `?` is ASCII and never part of a multi-byte sequence, and walking
    /// grapheme clusters made this 5 % of a PostgreSQL gateway's CPU per callback (perf, issue 19).
    static func numbered(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        var numbered: [UInt8] = []
        numbered.reserveCapacity(sql.utf8.count + 16)
        var next = 0
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "?") {
                next += 1
                numbered.append(UInt8(ascii: "$"))
                numbered.append(contentsOf: String(next).utf8)
            } else {
                numbered.append(byte)
            }
        }
        return String(decoding: numbered, as: UTF8.self)
    }
}

/// A PostgreSQL row, for the shared decoders. Decoding failures are damaged rows: internal errors.
struct PostgresRowReader: RowReader {
    let row: PostgresRandomAccessRow

    private func cell(_ column: Int) throws(GatewayError) -> PostgresCell {
        guard column >= 0, column < row.count else { throw .internalError("A query returned fewer columns than its decoder reads") }
        return row[column]
    }

    private func decode<T: PostgresDecodable>(_ type: T.Type, _ column: Int) throws(GatewayError) -> T {
        do {
            return try cell(column).decode(T.self)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .internalError("Cannot decode column \(column) as \(T.self)")
        }
    }

    func isNull(_ column: Int) throws(GatewayError) -> Bool { try cell(column).bytes == nil }
    func int(_ column: Int) throws(GatewayError) -> Int64 { try decode(Int64.self, column) }
    func double(_ column: Int) throws(GatewayError) -> Double { try decode(Double.self, column) }
    func text(_ column: Int) throws(GatewayError) -> String { try decode(String.self, column) }
    func blob(_ column: Int) throws(GatewayError) -> [UInt8] { Array(try decode(ByteBuffer.self, column).readableBytesView) }
    func bool(_ column: Int) throws(GatewayError) -> Bool { try decode(Bool.self, column) }
}
