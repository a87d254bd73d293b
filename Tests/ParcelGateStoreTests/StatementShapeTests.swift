@testable import ParcelGateCore
import Testing

@testable import ParcelGateStore

/// How single-row inserts become one multi-row insert (`Statement.multiRow`): the tuple found by its balanced
/// parentheses, quoted text skipped, the rest of the text kept, the bindings in order.
@Suite struct StatementShapeTests {
    @Test func theTupleRepeatsWithItsSubqueryAndQuotedParentheses() throws {
        let one = Statement("INSERT INTO t (a, b, c) VALUES (?, '(', (SELECT 1 FROM u WHERE x = ?)) ON CONFLICT DO NOTHING", [.text("a"), .int(1)])
        let merged = try #require(Statement.multiRow([one, one, one]))
        #expect(merged.count == 1)
        #expect(merged[0].sqlite.string == """
            INSERT INTO t (a, b, c) VALUES (?, '(', (SELECT 1 FROM u WHERE x = ?)), (?, '(', (SELECT 1 FROM u WHERE x = ?)), \
            (?, '(', (SELECT 1 FROM u WHERE x = ?)) ON CONFLICT DO NOTHING
            """)
        #expect(merged[0].binds.count == 6)
    }

    /// The domain event insert selects from its `VALUES` row: the row repeats, the check written after it does not.
    @Test func aSelectFromValuesRepeatsOnlyItsRow() throws {
        let one = Statement("INSERT INTO t (a, b) SELECT v.column1, EXISTS (SELECT 1 FROM u WHERE u.a = v.column1) FROM (VALUES (?)) AS v", [.text("a")])
        let merged = try #require(Statement.multiRow([one, one]))
        #expect(merged.map(\.postgres.string) == ["INSERT INTO t (a, b) SELECT v.column1, EXISTS (SELECT 1 FROM u WHERE u.a = v.column1) FROM (VALUES (?), (?)) AS v"])
    }

    /// Text with a second `VALUES`, or no `INSERT`, is not a single-row insert: nothing is merged.
    @Test func otherShapesAreLeftAlone() {
        #expect(Statement.multiRow([Statement("INSERT INTO t VALUES (?) ON CONFLICT (a) DO UPDATE SET b = (VALUES (1))", [.int(1)])]) == nil)
        #expect(Statement.multiRow([Statement("UPDATE t SET a = ? WHERE b IN (VALUES (1))", [.int(1)])]) == nil)
        let unmerged = Statement.coalesced([Statement("DELETE FROM t WHERE a = ?", [.int(1)]), Statement("DELETE FROM t WHERE a = ?", [.int(2)])])
        #expect(unmerged.count == 2)
    }
}
