import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

/// The adapters' JSON reader: RFC 8259 as JSONSerialization reads it, and never a crash.
@Suite struct JSONValueTests {
    func parse(_ text: String) -> JSONValue? { JSONValue.parse(Array(text.utf8)) }

    @Test func readsEveryKindOfValue() {
        let value = parse(#" {"s":"a","n":-12.5e1,"t":true,"f":false,"z":null,"a":[1,{"b":[]}],"o":{}} "#)
        #expect(value == .object([
            "s": .string("a"), "n": .number("-12.5e1"), "t": .bool(true), "f": .bool(false), "z": .null,
            "a": .array([.number("1"), .object(["b": .array([])])]), "o": .object([:]),
        ]))
    }

    @Test func decodesEscapesAndSurrogatePairs() {
        #expect(parse(#""q\"b\\s\/n\nt\tu\u00e9\ud83d\udce6""#) == .string("q\"b\\s/n\nt\tu\u{e9}\u{1F4E6}"))
        #expect(parse(#""Zürich 📦""#) == .string("Zürich 📦"))
    }

    @Test func laterDuplicateNamesWin() {
        #expect(parse(#"{"a":1,"a":2}"#) == .object(["a": .number("2")]))
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        #""unterminated"#, "\"tab\there\"", #""\x""#, #""\u12""#, #""\ud83d""#, #""\ud83d\u0041""#, "{} {}", "[1] x",
        "NaN", "Infinity", "'single'",
    ])
    func rejectsMalformedDocuments(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue.parse([0x22, 0xFF, 0x22]) == nil)
    }

    @Test func refusesNestingPastTheLimitWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(parse(deep) == nil)
        let allowed = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect(parse(allowed) != nil)
    }

    @Test func toleratesAByteOrderMark() {
        #expect(JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[true]".utf8)) == .array([.bool(true)]))
    }

    /// Numeric ids are read as decimal text, the way JSONSerialization's NSNumber printed them.
    @Test func numbersReadAsStringsKeepTheirDigits() throws {
        let body = Data(#"{"tracking_number":123456789012345678,"status":"in_transit","event_id":2.50}"#.utf8)
        let context = NormalisationContext(tenant: "t", carrier: "generic", receivedAt: .init(seconds: 1_700_000_000))
        let result = try GenericAdapter().normalise(body, context: context)
        #expect(result.events.first?.trackingNumber == "123456789012345678")
        #expect(result.providerEventId == "2.5")
        // Past Double's range the literal is kept, never "inf".
        let huge = try GenericAdapter().normalise(Data(#"{"tracking_number":1e400,"status":"in_transit"}"#.utf8), context: context)
        #expect(huge.events.first?.trackingNumber == "1e400")
    }

    /// `\u0000` is valid JSON, but a field carrying it is refused by name, whichever backend stores it.
    @Test func aNulInAFieldIsInvalidPayload() {
        let context = NormalisationContext(tenant: "t", carrier: "generic", receivedAt: .init(seconds: 1_700_000_000))
        #expect(parse(#""a\u0000b""#) == .string("a\u{0}b"))
        #expect(throws: GatewayError.invalidPayload("tracking_number must not contain NUL characters")) {
            try GenericAdapter().normalise(Data(#"{"tracking_number":"A\u0000B","status":"in_transit"}"#.utf8), context: context)
        }
    }

    /// Agrees with Foundation on random documents built from a small grammar.
    @Test func agreesWithJSONSerialization() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let text = Self.randomDocument(depth: 0, using: &generator)
            let ours = parse(text)
            let foundation = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect((ours != nil) == (foundation != nil), "\(text)")
        }
    }

    static func randomDocument(depth: Int, using generator: inout SystemRandomNumberGenerator) -> String {
        let atoms = ["1", "-0", "2.5", "1e3", "true", "false", "null", #""x""#, #""\u00e9""#, #""a\"b""#, "01", "[", "}", #""\q""#, ","]
        switch depth < 3 ? Int.random(in: 0..<4, using: &generator) : 0 {
        case 1: return "[" + (0..<Int.random(in: 0..<3, using: &generator)).map { _ in randomDocument(depth: depth + 1, using: &generator) }.joined(separator: ",") + "]"
        case 2: return "{" + (0..<Int.random(in: 0..<3, using: &generator)).map { i in #""k\#(i)":"# + randomDocument(depth: depth + 1, using: &generator) }.joined(separator: ",") + "}"
        default: return atoms.randomElement(using: &generator)!
        }
    }
}
