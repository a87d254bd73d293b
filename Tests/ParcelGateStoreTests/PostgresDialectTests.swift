@testable import ParcelGateStore
import Testing

/// `?` placeholders become PostgreSQL's `$1`, `$2`..., byte for byte elsewhere (non-ASCII text included).
@Suite struct PostgresDialectTests {
    @Test func placeholdersAreNumberedInOrder() {
        #expect(PostgresDialect.numbered("SELECT 1") == "SELECT 1")
        #expect(PostgresDialect.numbered("UPDATE t SET a = ?, b = ? WHERE c = ?") == "UPDATE t SET a = $1, b = $2 WHERE c = $3")
        #expect(PostgresDialect.numbered("SELECT 'é—ü' || ? FROM t WHERE x IN (" + Array(repeating: "?", count: 12).joined(separator: ", ") + ")")
            == "SELECT 'é—ü' || $1 FROM t WHERE x IN (" + (2...13).map { "$\($0)" }.joined(separator: ", ") + ")")
        #expect(PostgresDialect.numbered("SELECT $1, $1") == "SELECT $1, $1")
    }
}
