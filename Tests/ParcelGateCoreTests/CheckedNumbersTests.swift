@testable import ParcelGateCore
import Testing

/// Numbers from untrusted text are parsed strictly, and arithmetic on them saturates instead of trapping.
@Suite struct CheckedNumbersTests {
    @Test(arguments: ["", "-1", "+1", " 1", "1 ", "1_000", "0x10", "1e3", "١٢", "1234567890123456789"])
    func rejectsAnythingButPlainDigits(text: String) {
        #expect(StrictNumber.nonNegative(text) == nil)
    }

    @Test func readsDigitsWithinTheirBounds() {
        #expect(StrictNumber.nonNegative("0") == 0)
        #expect(StrictNumber.nonNegative("000123") == 123)
        #expect(StrictNumber.nonNegative("999999999999999999") == 999_999_999_999_999_999)
        #expect(StrictNumber.nonNegative("1234567890123", maxDigits: 12) == nil)
        #expect(StrictNumber.int("8080", in: 0...65535) == 8080)
        #expect(StrictNumber.int("65536", in: 0...65535) == nil)
    }

    @Test func doublesConvertWithoutTrapping() {
        #expect(Int64(saturating: 1e300) == .max)
        #expect(Int64(saturating: -1e300) == .min)
        #expect(Int64(saturating: .infinity) == .max)
        #expect(Int64(saturating: .nan) == 0)
        #expect(Int64(saturating: 9_223_372_036_854_775_807.0) == .max)
        #expect(Int64(saturating: 12.9) == 12)
        #expect(Int(saturating: -0.5) == 0)
    }

    @Test func timestampArithmeticSaturates() {
        #expect(Timestamp(seconds: .max).milliseconds == .max)
        #expect(Timestamp(seconds: .min).milliseconds == .min)
        #expect(Timestamp(milliseconds: .max).adding(milliseconds: 1).milliseconds == .max)
        #expect(Timestamp(milliseconds: .min).adding(milliseconds: -1).milliseconds == .min)
        #expect(Timestamp(milliseconds: .min).seconds == Int64.min / 1000 - 1)
        #expect(Timestamp(milliseconds: -1).seconds == -1)
        #expect(Timestamp(milliseconds: 1999).seconds == 1)
        // Formatting an extreme instant does not trap either.
        #expect(!Timestamp(milliseconds: .min).rfc3339.isEmpty)
        #expect(!Timestamp(milliseconds: .max).rfc3339.isEmpty)
    }
}
