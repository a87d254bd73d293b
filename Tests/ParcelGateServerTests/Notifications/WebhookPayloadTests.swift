import Foundation
@testable import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// The delivery body: exact bytes in a fixed key order, one shape per event type.
@Suite struct WebhookPayloadTests {
    static let at = Timestamp(seconds: 1_800_000_000)
    static let fulfillment = FulfillmentFacts(id: "ful-1001", orderId: "order-1001", status: .exception, previousStatus: .inTransit, sequence: 7,
                                              carrier: "generic", trackingNumber: "PG1001", serviceLevel: nil)
    static let scan = TrackingFacts(status: .deliveryFailed, carrierStatusCode: "DF", description: "Address not found",
                                    location: TrackingLocation(city: "Chicago", region: "IL", countryCode: "US"), occurredAt: at.adding(milliseconds: -60_000))

    func text(_ input: NotificationInput) throws -> String { String(decoding: try WebhookPayload.body(for: input), as: UTF8.self) }

    @Test func statusChangedHasTheCommonFieldsInOrder() throws {
        let input = NotificationInput(type: .fulfillmentStatusChanged, eventId: "evt_01", occurredAt: Self.at, fulfillment: Self.fulfillment)
        #expect(try text(input) == #"{"type":"fulfillment.status_changed","id":"evt_01","timestamp":"2027-01-15T08:00:00Z","data":{"fulfillment_id":"ful-1001","order_id":"order-1001","status":"EXCEPTION","previous_status":"IN_TRANSIT","sequence":7,"carrier":"generic","tracking_number":"PG1001","service_level":null}}"#)
    }

    @Test func exceptionCarriesReasonLocationAndScan() throws {
        let input = NotificationInput(type: .deliveryException, eventId: "evt_02", occurredAt: Self.at, fulfillment: Self.fulfillment, trackingEvent: Self.scan,
                                      reason: "Address \"not\" found\n", location: TrackingLocation(text: "Chicago, IL"))
        let body = try text(input)
        #expect(body.hasSuffix(#""service_level":null,"reason":"Address \"not\" found\n","location":{"text":"Chicago, IL"},"tracking_event":{"status":"delivery_failed","carrier_status_code":"DF","description":"Address not found","location":{"city":"Chicago","region":"IL","country_code":"US"},"occurred_at":"2027-01-15T07:59:00Z"}}}"#))
    }

    @Test func trackingEventAndDeliveryShapes() throws {
        let scan = try text(NotificationInput(type: .trackingEventReceived, eventId: "evt_03", occurredAt: Self.at, fulfillment: Self.fulfillment, trackingEvent: Self.scan))
        #expect(scan.contains(#""service_level":null,"tracking_event":{"status":"delivery_failed""#))
        #expect(!scan.contains("reason"))
        let delivered = try text(NotificationInput(type: .deliveryConfirmed, eventId: "evt_04", occurredAt: Self.at, fulfillment: Self.fulfillment))
        #expect(delivered.hasSuffix(#""service_level":null,"location":null,"tracking_event":null}}"#))
    }

    @Test func retryExhaustedAndPing() throws {
        let dead = DeadLetterFacts(retryId: "rt_0123abcd", carrier: "ups", trackingNumber: "1Z999", reason: "unmatched", lastError: nil, attempts: 8)
        #expect(try text(NotificationInput(type: .retryExhausted, eventId: "evt_05", occurredAt: Self.at, deadLetter: dead))
            == #"{"type":"retry.exhausted","id":"evt_05","timestamp":"2027-01-15T08:00:00Z","data":{"retry_id":"rt_0123abcd","carrier":"ups","tracking_number":"1Z999","reason":"unmatched","last_error":null,"attempts":8}}"#)
        #expect(try text(NotificationInput(type: .ping, eventId: "evt_06", occurredAt: Self.at))
            == #"{"type":"ping","id":"evt_06","timestamp":"2027-01-15T08:00:00Z","data":{}}"#)
    }

    /// Every body is valid JSON whatever the text inside (control characters, quotes, non-ASCII).
    @Test func bodiesAreValidJSON() throws {
        var facts = Self.fulfillment
        facts.orderId = "o\u{0001}\u{001F}\"\\/é🚚"
        let data = try WebhookPayload.body(for: NotificationInput(type: .fulfillmentStatusChanged, eventId: "evt_07", occurredAt: Self.at, fulfillment: facts))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let inner = try #require(object["data"] as? [String: Any])
        #expect(inner["order_id"] as? String == facts.orderId)
        #expect(inner["sequence"] as? Int == 7)
    }

    @Test(arguments: [
        NotificationInput(type: .fulfillmentStatusChanged, eventId: "evt_1", occurredAt: WebhookPayloadTests.at),
        NotificationInput(type: .trackingEventReceived, eventId: "evt_1", occurredAt: WebhookPayloadTests.at, fulfillment: WebhookPayloadTests.fulfillment),
        NotificationInput(type: .retryExhausted, eventId: "evt_1", occurredAt: WebhookPayloadTests.at),
        NotificationInput(type: .ping, eventId: "msg_1", occurredAt: WebhookPayloadTests.at),
        NotificationInput(type: .ping, eventId: "evt_", occurredAt: WebhookPayloadTests.at),
        NotificationInput(type: .ping, eventId: "evt_a\"b", occurredAt: WebhookPayloadTests.at),
    ])
    func incompleteInputsAreRefused(input: NotificationInput) {
        #expect(throws: GatewayError.self) { try WebhookPayload.body(for: input) }
    }
}

/// Event types and the `event_types` rule.
@Suite struct EventTypeFilterTests {
    @Test func missingOrEmptyMeansEveryType() throws {
        for filter in [try EventTypeFilter(nil), try EventTypeFilter([]), EventTypeFilter.all] {
            #expect(WebhookEventType.allCases.allSatisfy(filter.matches))
            #expect(filter.names.isEmpty)
        }
    }

    @Test func aListSelectsThoseTypesAndPingAlways() throws {
        let filter = try EventTypeFilter(["delivery.confirmed", "delivery.exception", "delivery.confirmed"])
        #expect(filter.matches(.deliveryConfirmed) && filter.matches(.deliveryException) && filter.matches(.ping))
        #expect(!filter.matches(.fulfillmentStatusChanged) && !filter.matches(.trackingEventReceived) && !filter.matches(.retryExhausted))
        #expect(filter.names == ["delivery.exception", "delivery.confirmed"])
    }

    @Test(arguments: ["delivery.confirm", "DELIVERY.CONFIRMED", "*", ""])
    func unknownTypesAreRefusedWithTheKnownList(name: String) {
        #expect { try EventTypeFilter(["ping", name]) } throws: { error in
            let detail = (error as? GatewayError)?.detail ?? ""
            return detail.contains("event_types") && detail.contains("fulfillment.status_changed") && detail.contains("retry.exhausted")
        }
    }

    @Test func domainEventsMapOneToOne() {
        #expect(WebhookEventType(.fulfillmentStatusChanged) == .fulfillmentStatusChanged)
        #expect(WebhookEventType(.trackingEventReceived) == .trackingEventReceived)
        #expect(WebhookEventType(.deliveryException) == .deliveryException)
        #expect(WebhookEventType(.deliveryConfirmed) == .deliveryConfirmed)
        #expect(Set(WebhookEventType.allCases.map(\.rawValue)).count == 6)
    }
}
