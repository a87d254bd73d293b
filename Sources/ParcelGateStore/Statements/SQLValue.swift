import ParcelGateCore

/// A value bound to a statement's `?` placeholder, the same on every backend.
///
/// `bool` is its own case because PostgreSQL's `BOOLEAN` columns take no integer; SQLite stores it as 0 or 1.
enum SQLValue: Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    /// PostgreSQL's `text[]`, bound only to a prepared statement's array placeholder (``Statement/postgresBinds``).
    /// SQLite has no arrays; its text takes the same values as a list of placeholders.
    case textArray([String])

    static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func optional(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
    static func optional(_ value: Int?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
    static func optional(_ value: Double?) -> SQLValue { value.map { .real($0) } ?? .null }
    static func timestamp(_ value: Timestamp?) -> SQLValue { value.map { .integer($0.milliseconds) } ?? .null }
    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
}

/// One result row, read by column position: what a backend hands the row decoders (``RowDecoder``).
///
/// Each backend adapts its own row type (SQLite's statement, PostgresNIO's row); the decoders, written once
/// against this protocol, are the only code that knows which column holds what.
protocol RowReader {
    func isNull(_ column: Int) throws(GatewayError) -> Bool
    func int(_ column: Int) throws(GatewayError) -> Int64
    func double(_ column: Int) throws(GatewayError) -> Double
    func text(_ column: Int) throws(GatewayError) -> String
    func blob(_ column: Int) throws(GatewayError) -> [UInt8]
    /// SQLite has no booleans: a non-zero integer is true there.
    func bool(_ column: Int) throws(GatewayError) -> Bool
}

extension RowReader {
    func optionalInt(_ column: Int) throws(GatewayError) -> Int64? { try isNull(column) ? nil : try int(column) }
    func optionalDouble(_ column: Int) throws(GatewayError) -> Double? { try isNull(column) ? nil : try double(column) }
    func optionalText(_ column: Int) throws(GatewayError) -> String? { try isNull(column) ? nil : try text(column) }
    func timestamp(_ column: Int) throws(GatewayError) -> Timestamp { Timestamp(milliseconds: try int(column)) }
    func optionalTimestamp(_ column: Int) throws(GatewayError) -> Timestamp? { try optionalInt(column).map(Timestamp.init(milliseconds:)) }

    /// An `INTEGER` column that holds a small count (attempts, a burst): out of `Int`'s range is a damaged row.
    func count(_ column: Int) throws(GatewayError) -> Int {
        guard let value = Int(exactly: try int(column)) else { throw .internalError("A stored count is out of range") }
        return value
    }
}
