@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The classification matrix of issue 15, and `Retry-After` in both forms.
@Suite struct DeliveryClassifierTests {
    static let now = Timestamp(seconds: 1_800_000_000)  // 2027-01-15T08:00:00Z
    let classifier = DeliveryClassifier()

    @Test(arguments: [
        (AttemptResult.response(status: 200, retryAfter: nil), DeliveryOutcome.success),
        (.response(status: 204, retryAfter: nil), .success),
        (.response(status: 301, retryAfter: nil), .permanent(disablesEndpoint: false)),
        (.response(status: 307, retryAfter: "5"), .permanent(disablesEndpoint: false)),
        (.response(status: 400, retryAfter: nil), .permanent(disablesEndpoint: false)),
        (.response(status: 404, retryAfter: nil), .permanent(disablesEndpoint: false)),
        (.response(status: 408, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
        (.response(status: 410, retryAfter: nil), .permanent(disablesEndpoint: true)),
        (.response(status: 429, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
        (.response(status: 429, retryAfter: "120"), .transient(retryAfterMilliseconds: 120_000)),
        (.response(status: 500, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
        (.response(status: 503, retryAfter: "30"), .transient(retryAfterMilliseconds: 30_000)),
        (.response(status: 503, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
        (.timeout, .transient(retryAfterMilliseconds: nil)),
        (.connectionFailed, .transient(retryAfterMilliseconds: nil)),
        (.tlsFailed, .transient(retryAfterMilliseconds: nil)),
        (.addressRefused, .permanent(disablesEndpoint: false)),
        (.response(status: 102, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
        (.response(status: 600, retryAfter: nil), .transient(retryAfterMilliseconds: nil)),
    ])
    func matrix(result: AttemptResult, expected: DeliveryOutcome) {
        #expect(classifier.classify(result, now: Self.now) == expected)
    }

    /// `Retry-After` is honoured only where the status is transient, and clamped into the bounds.
    @Test(arguments: [
        ("0", 1_000 as Int64?),  // "now" still waits the lower bound
        ("86400", 3_600_000),  // a day is clamped to an hour
        ("99999999999", nil),  // more than 10 digits: unread, the policy decides
        ("-5", nil),
        ("5.5", nil),
        (" 7 ", 7_000),
        ("Fri, 15 Jan 2027 08:02:00 GMT", 120_000),  // an HTTP-date two minutes ahead
        ("Fri, 15 Jan 2027 07:00:00 GMT", 1_000),  // in the past: as soon as the bound allows
        ("Friday, 15-Jan-27 08:02:00 GMT", nil),  // the obsolete RFC 850 form is not read
        ("Fri, 31 Feb 2027 08:02:00 GMT", nil),
        ("Fri, 15 Jan 2027 08:02:00 UTC", nil),
        ("soon", nil),
    ])
    func retryAfterIsBounded(header: String, expected: Int64?) {
        #expect(classifier.classify(.response(status: 503, retryAfter: header), now: Self.now) == .transient(retryAfterMilliseconds: expected))
    }

    @Test func boundsAreTheClassifiers() {
        let tight = DeliveryClassifier(retryAfterBounds: 10...60)
        #expect(tight.classify(.response(status: 429, retryAfter: "1"), now: Self.now) == .transient(retryAfterMilliseconds: 10_000))
        #expect(tight.classify(.response(status: 429, retryAfter: "600"), now: Self.now) == .transient(retryAfterMilliseconds: 60_000))
    }

    @Test func httpDateParsesTheIMFFixdateForm() {
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == CivilDateTime(year: 1994, month: 11, day: 6, hour: 8, minute: 49, second: 37).timestamp())
        #expect(RetryAfter.httpDate("Xyz, 06 Nov 1994 08:49:37 GMT") == nil)
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT ") == nil)
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 24:49:37 GMT") == nil)
    }
}
