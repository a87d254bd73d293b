@testable import ParcelGateCore
import Testing

@Suite struct WhitespaceTests {
    @Test(arguments: [
        ("abc", "abc"), ("  abc ", "abc"), ("\t1Z9\r\n", "1Z9"), ("a b", "a b"), ("   ", ""), ("", ""),
        ("\u{00A0}x\u{2003}", "x"), ("é ", "é"), (" 📦", "📦"), ("x\u{0301}", "x\u{0301}"),
        ("abc \u{0301}", "abc \u{0301}"), ("x\u{0600} ", "x\u{0600}"), ("\r\nx\r\n", "x"),
    ])
    func trimsUnicodeWhitespaceAtBothEnds(input: String, expected: String) {
        #expect(input.trimmingWhitespace() == expected)
        #expect(input[...].trimmingWhitespace() == expected)
    }
}
