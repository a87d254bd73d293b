import Testing

/// The product story of the state machine (docs/architecture.md) over a real server and a real SQLite file: every row of it.
@Suite(.timeLimit(.minutes(2))) struct ProductStoryTests {
    @Test func happyPathThroughDelivery() async throws {
        try await TestGateway.run { gateway in
            let created = try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"order-1","id":"ful-1"}"#).expect(201)
            #expect(created["status"].string == "PENDING")
            #expect(created["order_id"].string == "order-1")
            for (command, status) in [("pick", "PICKING"), ("pack", "PACKING"), ("ready", "READY_TO_SHIP")] {
                let moved = try await gateway.api("PUT", "/v1/fulfillments/ful-1/\(command)").expect(200)
                #expect(moved["status"].string == status)
            }
            let shipped = try await gateway.api("PUT", "/v1/fulfillments/ful-1/ship", json: #"{"carrier":"generic","tracking_number":"TRK-1","service_level":"express"}"#).expect(200)
            #expect(shipped["status"].string == "SHIPPED")
            #expect(shipped["carrier"].string == "generic")
            #expect(shipped["tracking_number"].string == "TRK-1")
            #expect(shipped["service_level"].string == "express")

            // First tracking event: SHIPPED -> IN_TRANSIT.
            let first = try await gateway.callback(#"{"tracking_number":"TRK-1","status":"in_transit","location":"Memphis, TN","event_id":"e1"}"#).expect(200)
            #expect(first["status"].string == "applied")
            #expect(first["fulfillment_id"].string == "ful-1")
            #expect(first["fulfillment_status"].string == "IN_TRANSIT")

            // Second stays IN_TRANSIT, history grows.
            gateway.clock.advance(seconds: 60)
            let second = try await gateway.callback(#"{"tracking_number":"TRK-1","status":"in_transit","location":"Louisville, KY","event_id":"e2"}"#).expect(200)
            #expect(second["fulfillment_status"].string == "IN_TRANSIT")

            // Exception: IN_TRANSIT -> EXCEPTION with an EXCEPTION history entry.
            gateway.clock.advance(seconds: 60)
            let exception = try await gateway.api("PUT", "/v1/fulfillments/ful-1/exception", json: #"{"reason":"Address not found","location":"Chicago, IL"}"#).expect(200)
            #expect(exception["status"].string == "EXCEPTION")
            let exceptionEntry = exception["tracking_events"].array.last
            #expect(exceptionEntry?["fulfillment_status"].string == "EXCEPTION")
            #expect(exceptionEntry?["status"].string == "delivery_failed")
            #expect(exceptionEntry?["description"].string == "Address not found")

            // Tracking event in EXCEPTION auto-recovers to IN_TRANSIT.
            gateway.clock.advance(seconds: 60)
            let recovered = try await gateway.callback(#"{"tracking_number":"TRK-1","status":"in_transit","event_id":"e3"}"#).expect(200)
            #expect(recovered["fulfillment_status"].string == "IN_TRANSIT")

            // Deliver from IN_TRANSIT.
            gateway.clock.advance(seconds: 60)
            let delivered = try await gateway.callback(#"{"tracking_number":"TRK-1","status":"delivered","event_id":"e4"}"#).expect(200)
            #expect(delivered["fulfillment_status"].string == "DELIVERED")

            let final = try await gateway.fulfillment("ful-1")
            #expect(final["status"].string == "DELIVERED")
            #expect(final["actual_delivery"].string != nil)
            let history = final["tracking_events"].array
            #expect(history.map { $0["fulfillment_status"].string ?? "" } == ["IN_TRANSIT", "IN_TRANSIT", "EXCEPTION", "IN_TRANSIT", "DELIVERED"])
            #expect(history.allSatisfy { $0["applied"].bool == true })
            #expect(history.first?["location"]["text"].string == "Memphis, TN")
        }
    }

    @Test func deliverDirectlyFromException() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "ful-2", trackingNumber: "TRK-2")
            try await gateway.callback(#"{"tracking_number":"TRK-2","status":"in_transit"}"#).expect(200)
            gateway.clock.advance(seconds: 10)
            let failed = try await gateway.callback(#"{"tracking_number":"TRK-2","status":"delivery_failed","description":"No one home"}"#).expect(200)
            #expect(failed["fulfillment_status"].string == "EXCEPTION")
            gateway.clock.advance(seconds: 10)
            let delivered = try await gateway.api("PUT", "/v1/fulfillments/ful-2/deliver").expect(200)
            #expect(delivered["status"].string == "DELIVERED")
            #expect(delivered["actual_delivery"].string != nil)
            // A platform's delivery confirmation adds no tracking event: the history is the carrier's two scans.
            #expect(delivered["tracking_events"].array.map { $0["status"].string ?? "" } == ["in_transit", "delivery_failed"])
        }
    }

    @Test func repeatedExceptionsAndRecoveriesAccumulateHistory() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "ful-3", trackingNumber: "TRK-3")
            try await gateway.callback(#"{"tracking_number":"TRK-3","status":"in_transit"}"#).expect(200)
            for round in 1...3 {
                gateway.clock.advance(seconds: 10)
                let exception = try await gateway.callback(#"{"tracking_number":"TRK-3","status":"delivery_delayed","description":"Weather \#(round)"}"#).expect(200)
                #expect(exception["fulfillment_status"].string == "EXCEPTION")
                gateway.clock.advance(seconds: 10)
                let recovered = try await gateway.callback(#"{"tracking_number":"TRK-3","status":"in_transit","description":"Moving \#(round)"}"#).expect(200)
                #expect(recovered["fulfillment_status"].string == "IN_TRANSIT")
            }
            let history = try await gateway.fulfillment("ful-3")["tracking_events"].array
            #expect(history.count == 7)
            #expect(history.filter { $0["fulfillment_status"].string == "EXCEPTION" }.count == 3)
        }
    }

    @Test(arguments: [
        // (commands before, attempted command, from status, to status)
        ([String](), "exception", "PENDING", "EXCEPTION"),
        (["pick"], "exception", "PICKING", "EXCEPTION"),
        (["pick", "pack"], "exception", "PACKING", "EXCEPTION"),
        (["pick", "pack", "ready", "ship"], "exception", "SHIPPED", "EXCEPTION"),
        (["pick", "pack", "ready", "ship"], "cancel", "SHIPPED", "CANCELLED"),
        ([], "deliver", "PENDING", "DELIVERED"),
        ([], "pack", "PENDING", "PACKING"),
        (["cancel"], "pick", "CANCELLED", "PICKING"),
    ])
    func invalidPlatformTransitionsAre409(before: [String], command: String, from: String, to: String) async throws {
        try await TestGateway.run { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"f"}"#).expect(201)
            for step in before {
                let json = step == "ship" ? #"{"carrier":"generic","tracking_number":"T"}"# : nil
                try await gateway.api("PUT", "/v1/fulfillments/f/\(step)", json: json).expect(200)
            }
            let json = command == "exception" ? #"{"reason":"x"}"# : nil
            let body = try await gateway.api("PUT", "/v1/fulfillments/f/\(command)", json: json).expectError(409, "invalid_transition")
            #expect(body["detail"].string == "Cannot transition from \(from) to \(to)")
            #expect(try await gateway.fulfillment("f")["status"].string == from)
        }
    }

    @Test func cancelInExceptionIs409() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-EX")
            try await gateway.callback(#"{"tracking_number":"T-EX","status":"in_transit"}"#).expect(200)
            gateway.clock.advance(seconds: 5)
            try await gateway.api("PUT", "/v1/fulfillments/f/exception", json: #"{"reason":"Damaged","status":"on_hold"}"#).expect(200)
            let body = try await gateway.api("PUT", "/v1/fulfillments/f/cancel").expectError(409, "invalid_transition")
            #expect(body["detail"].string == "Cannot transition from EXCEPTION to CANCELLED")
        }
    }

    @Test(arguments: [[String](), ["pick"], ["pick", "pack"]])
    func trackingCallbackBeforeShippingIs409AndKeptUnapplied(before: [String]) async throws {
        try await TestGateway.run { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"o","id":"early"}"#).expect(201)
            for step in before { try await gateway.api("PUT", "/v1/fulfillments/early/\(step)").expect(200) }
            let status = try await gateway.fulfillment("early")["status"].string ?? ""
            let body = try await gateway.callback(#"{"fulfillment_id":"early","status":"in_transit"}"#).expectError(409, "invalid_transition")
            #expect(body["detail"].string == "Cannot transition from \(status) to IN_TRANSIT")
            let exception = try await gateway.callback(#"{"fulfillment_id":"early","status":"on_hold","event_id":"x2"}"#).expectError(409, "invalid_transition")
            #expect(exception["detail"].string == "Cannot transition from \(status) to EXCEPTION")
            let after = try await gateway.fulfillment("early")
            #expect(after["status"].string == status)
            let history = after["tracking_events"].array
            #expect(history.count == 2)
            #expect(history.allSatisfy { $0["applied"].bool == false && $0["fulfillment_status"].string == status })
        }
    }

    @Test func exceptionCallbackFromShippedIs409() async throws {
        try await TestGateway.run { gateway in
            try await gateway.shippedFulfillment(id: "f", trackingNumber: "T-S")
            let body = try await gateway.callback(#"{"tracking_number":"T-S","status":"delivery_failed"}"#).expectError(409, "invalid_transition")
            #expect(body["detail"].string == "Cannot transition from SHIPPED to EXCEPTION")
            let history = try await gateway.fulfillment("f")["tracking_events"].array
            #expect(history.count == 1)
            #expect(history.first?["applied"].bool == false)
        }
    }
}
