@testable import ParcelGateCore
import Testing

@Suite struct TimestampTests {
    @Test func formatsRFC3339InUTC() {
        #expect(Timestamp(seconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(milliseconds: 1_763_521_200_123).rfc3339 == "2025-11-19T03:00:00.123Z")
        #expect(Timestamp(seconds: 951_782_400).rfc3339 == "2000-02-29T00:00:00Z")
        #expect(Timestamp(seconds: -1).rfc3339 == "1969-12-31T23:59:59Z")
    }

    @Test(arguments: [
        ("2025-11-19T03:15:00Z", "2025-11-19T03:15:00Z"),
        ("2025-11-18T22:15:00-05:00", "2025-11-19T03:15:00Z"),
        ("2025-11-19T04:15:00+0100", "2025-11-19T03:15:00Z"),
        ("2025-11-19T03:15:00.5Z", "2025-11-19T03:15:00.500Z"),
        ("2025-11-19T03:15:00.123456+00:00", "2025-11-19T03:15:00.123Z"),
        ("2025-11-19 03:15:00Z", "2025-11-19T03:15:00Z"),
        ("2025-11-19T03:15Z", "2025-11-19T03:15:00Z"),
    ])
    func parsesInstantsWithOffsets(text: String, expected: String) {
        #expect(ISO8601Parser.parse(text)?.instant?.rfc3339 == expected)
    }

    @Test func naiveTimesKeepTheirWallClockAndNoOffset() {
        let parsed = ISO8601Parser.parse("2025-11-18T22:15:00")
        #expect(parsed?.offsetSeconds == nil)
        #expect(parsed?.instant == nil)
        #expect(parsed?.civil == CivilDateTime(year: 2025, month: 11, day: 18, hour: 22, minute: 15))
        #expect(ISO8601Parser.parse("2025-11-18")?.civil == CivilDateTime(year: 2025, month: 11, day: 18))
    }

    @Test(arguments: ["", "yesterday", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-11-19T25:00:00Z",
                      "2025-11-19T03:15:00+99:00", "2025-11-19T03:15:00Zjunk", "2025-11-19T03:15:00.Z", "99999-01-01"])
    func rejectsMalformedText(text: String) {
        #expect(ISO8601Parser.parse(text) == nil)
    }

    @Test func civilRoundTripsOverFourCenturies() {
        var seconds: Int64 = -12_219_292_800 // 1582-10-15
        while seconds < 32_503_680_000 { // 3000-01-01
            let civil = CivilDateTime(epochSeconds: seconds)
            #expect(civil.timestamp().seconds == seconds)
            seconds += 86_400 * 37 + 3_607
        }
    }
}
