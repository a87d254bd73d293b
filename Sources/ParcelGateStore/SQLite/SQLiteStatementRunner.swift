import ParcelGateCore

/// How SQLite runs a ``Statement`` and a ``Step`` chain: prepare (cached), bind, step, decode with the shared
/// ``RowDecoder``. Nothing here decides anything.
extension SQLiteConnection {
    func run(_ statement: Statement) throws(GatewayError) -> StatementResult {
        let prepared: SQLiteStatement
        switch statement.sqlite {
        case .literal(let sql): prepared = try self.statement(sql)
        case .built(let sql): prepared = try self.statement(sql: sql)
        case .prepared(let postgresOnly): throw .internalError("The PostgreSQL statement \(postgresOnly.name) has no SQLite text")
        }
        for (offset, value) in statement.binds.enumerated() {
            // Arrays are PostgreSQL's bindings only (`Statement.postgresBinds`): one here is a statement's mistake.
            if case .textArray = value { throw .internalError("An array was bound to a SQLite statement") }
            prepared.bind(value, at: Int32(offset + 1))
        }
        switch statement.yield {
        case .nothing:
            try prepared.run()
            return StatementResult()
        case .changes:
            try prepared.run()
            return StatementResult(changes: changes)
        case .rows(let decoder):
            var rows: [DecodedRow] = []
            let row = SQLiteRow(statement: prepared)
            while try prepared.step() { rows.append(try decoder.decode(row)) }
            return StatementResult(rows: rows)
        }
    }

    /// Runs a workflow's steps to the end, inside the caller's transaction.
    func drive<Output>(_ first: Step<Output>) throws(GatewayError) -> Output {
        var cursor = StepCursor(first)
        while let statements = cursor.pending {
            var results: [StatementResult] = []
            results.reserveCapacity(statements.count)
            for statement in statements { results.append(try run(statement)) }
            try cursor.resume(with: results)
        }
        return try cursor.output()
    }
}

/// The current row of a SQLite statement, for the shared decoders.
struct SQLiteRow: RowReader {
    let statement: SQLiteStatement

    func isNull(_ column: Int) -> Bool { statement.isNull(Int32(truncatingIfNeeded: column)) }
    func int(_ column: Int) -> Int64 { statement.int(Int32(truncatingIfNeeded: column)) }
    func double(_ column: Int) -> Double { statement.optionalDouble(Int32(truncatingIfNeeded: column)) ?? 0 }
    func text(_ column: Int) -> String { statement.text(Int32(truncatingIfNeeded: column)) }
    func blob(_ column: Int) -> [UInt8] { statement.blob(Int32(truncatingIfNeeded: column)) }
    func bool(_ column: Int) -> Bool { int(column) != 0 }
}
