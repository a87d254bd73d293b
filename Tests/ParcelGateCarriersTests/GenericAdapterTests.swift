import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

@Suite struct GenericAdapterTests {
    let context = NormalisationContext(tenant: "t", carrier: "generic", receivedAt: Timestamp(seconds: 1_800_000_000))

    func normalise(_ json: String, context: NormalisationContext? = nil) throws(GatewayError) -> NormalisedCallback {
        try GenericAdapter().normalise(Data(json.utf8), context: context ?? self.context)
    }

    @Test func fullPayload() throws {
        let result = try normalise(#"{"fulfillment_id":"f1","tracking_number":" 1Z9 ","status":"Out For Delivery","location":{"city":"Austin","region":"TX","postal_code":"78701","country_code":"us"},"description":"On the truck","occurred_at":"2026-11-20T08:00:00-06:00","event_id":"ev-1"}"#)
        #expect(result.providerEventId == "ev-1")
        let event = try #require(result.events.first)
        #expect(event.trackingNumber == "1Z9")
        #expect(event.fulfillmentId == "f1")
        #expect(event.status == .outForDelivery)
        #expect(event.carrierStatusCode == "Out For Delivery")
        #expect(event.description == "On the truck")
        #expect(event.occurredAt.rfc3339 == "2026-11-20T14:00:00Z")
        #expect(event.location == TrackingLocation(city: "Austin", region: "TX", postalCode: "78701", countryCode: "US"))
        #expect(event.scanKey == "id:ev-1")
    }

    @Test func defaultsForOptionalFields() throws {
        let event = try #require(try normalise(#"{"tracking_number":"T","status":"in_transit"}"#).events.first)
        #expect(event.occurredAt == context.receivedAt)
        #expect(event.description == "in_transit")
        #expect(event.location == nil)
        #expect(event.providerEventId == nil)
        #expect(event.scanKey.hasPrefix("fp:"))
    }

    @Test func naiveTimesUseTheSourceZone() throws {
        let zoned = NormalisationContext(tenant: "t", carrier: "generic", receivedAt: context.receivedAt, defaultTimeZone: "America/Chicago")
        let winter = try normalise(#"{"tracking_number":"T","status":"x","occurred_at":"2026-01-15T08:00:00"}"#, context: zoned)
        #expect(winter.events.first?.occurredAt.rfc3339 == "2026-01-15T14:00:00Z")
        let summer = try normalise(#"{"tracking_number":"T","status":"x","occurred_at":"2026-07-15T08:00:00"}"#, context: zoned)
        #expect(summer.events.first?.occurredAt.rfc3339 == "2026-07-15T13:00:00Z")
        let utc = try normalise(#"{"tracking_number":"T","status":"x","occurred_at":"2026-07-15T08:00:00"}"#)
        #expect(utc.events.first?.occurredAt.rfc3339 == "2026-07-15T08:00:00Z")
    }

    @Test(arguments: [
        ("in_transit", TrackingStatus.inTransit), ("In Transit", .inTransit), ("delivered", .delivered),
        ("out-for-delivery", .outForDelivery), ("exception", .deliveryFailed), ("delayed", .deliveryDelayed),
        ("held", .onHold), ("returned", .returnToSender), ("label_created", .pending), ("picked_up", .pickedUp),
        ("available_for_pickup", .readyForPickup), ("canceled", .cancelled), ("zzz-custom-42", .unknown),
    ])
    func freeTextStatuses(text: String, status: TrackingStatus) throws {
        let event = try normalise(#"{"tracking_number":"T","status":"\#(text)"}"#).events.first
        #expect(event?.status == status)
        #expect(event?.carrierStatusCode == text)
    }

    @Test(arguments: [
        "", "null", "42", #""text""#, "[]", "{}", #"{"status":"in_transit"}"#, #"{"tracking_number":"T"}"#,
        #"{"tracking_number":"T","status":""}"#, #"{"tracking_number":"T","status":true}"#, #"{"tracking_number":["T"],"status":"x"}"#,
        #"{"tracking_number":"T","status":"x","occurred_at":12}"#, #"{"tracking_number":"T","status":"x","location":{"city":{}}}"#,
        #"{"tracking_number":"T","status":"x","occurred_at":"2026-02-30T00:00:00Z"}"#, "{\"a\":\"\u{0}\"",
        // A NUL in a free-text location goes through the same checked reader as every other text field.
        #"{"tracking_number":"T","status":"x","location":"Reno\u0000NV"}"#,
        // Dated past the allowed future skew (a day after the receipt).
        #"{"tracking_number":"T","status":"x","occurred_at":"9999-12-31T00:00:00Z"}"#,
    ])
    func malformedBodiesAreInvalidPayload(json: String) {
        #expect {
            try normalise(json)
        } throws: { error in
            (error as? GatewayError)?.code == "invalid_payload"
        }
    }

    @Test func numericIdsAreAcceptedButBooleansAreNot() throws {
        #expect(try normalise(#"{"tracking_number":12345,"status":"x"}"#).events.first?.trackingNumber == "12345")
        #expect(throws: GatewayError.self) { try normalise(#"{"tracking_number":true,"status":"x"}"#) }
    }
}
