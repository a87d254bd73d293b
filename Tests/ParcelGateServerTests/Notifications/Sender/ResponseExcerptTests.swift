@testable import ParcelGateServer
import Testing

/// The attempt's response excerpt: at most 1 KiB of valid UTF-8, cut between characters.
@Suite struct ResponseExcerptTests {
    @Test func emptyBodyHasNoExcerpt() {
        #expect(ResponseExcerpt.make([UInt8]()) == nil)
    }

    @Test func shortBodyIsKeptWhole() {
        #expect(ResponseExcerpt.make(Array("{\"ok\":true}".utf8)) == "{\"ok\":true}")
    }

    @Test func longBodyIsCutAt1KiB() {
        let excerpt = ResponseExcerpt.make(Array(String(repeating: "x", count: 5_000).utf8))
        #expect(excerpt == String(repeating: "x", count: 1_024))
    }

    /// Two-, three- and four-byte characters across the boundary: never split, never over 1,024 bytes.
    @Test(arguments: ["é", "€", "𝄞"]) func multiByteCharacterOnTheBoundaryIsLeftOut(_ character: String) {
        for lead in 1_018...1_024 {
            let body = Array((String(repeating: "a", count: lead) + String(repeating: character, count: 10)).utf8)
            let excerpt = ResponseExcerpt.make(body) ?? ""
            let width = character.utf8.count
            let fits = (1_024 - lead) / width
            #expect(excerpt == String(repeating: "a", count: lead) + String(repeating: character, count: fits), "lead \(lead)")
            #expect(excerpt.utf8.count <= 1_024)
        }
    }

    /// Invalid UTF-8 and NUL become U+FFFD, counted at their encoded size.
    @Test func invalidBytesAndNulAreReplaced() {
        #expect(ResponseExcerpt.make([0x61, 0xFF, 0x00, 0x62]) == "a\u{FFFD}\u{FFFD}b")
        let excerpt = ResponseExcerpt.make([UInt8](repeating: 0xFF, count: 4_096)) ?? ""
        #expect(excerpt.utf8.count <= 1_024)
        #expect(excerpt.unicodeScalars.count == 341)
        #expect(excerpt.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
    }
}
