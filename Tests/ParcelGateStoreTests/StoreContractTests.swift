import Foundation
@testable import ParcelGateCore
import Logging
@testable import ParcelGateStore
import Testing

func temporaryDatabase() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parcelgate-store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("store.sqlite").path
}

/// The ``GatewayStore`` contract, against a real SQLite file and, when configured, a real PostgreSQL server.
@Suite(.timeLimit(.minutes(3))) struct StoreContractTests {
    let t0 = Timestamp(seconds: 1_763_500_000)

    func event(_ status: TrackingStatus, tracking: String = "T1", at offset: Int64 = 0, id: String? = nil) -> TrackingEvent {
        TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: tracking, status: status, carrierStatusCode: status.rawValue,
                      description: status.rawValue, occurredAt: t0.adding(milliseconds: offset * 1000), providerEventId: id)
    }

    func shipped(_ store: any GatewayStore, id: String = "f1", tracking: String = "T1") async throws {
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: id, orderId: "o", createdAt: t0))
        for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: tracking, serviceLevel: nil)] {
            _ = try await store.apply(command, tenant: "acme", fulfillmentId: id, at: t0)
        }
    }

    func callback(_ key: String, _ events: [TrackingEvent]) -> IngestCallback {
        IngestCallback(tenant: "acme", carrier: "generic", receiptKey: key, events: events, receivedAt: t0)
    }

    @Test(arguments: StoreBackend.available)
    func dataSurvivesReopeningAndMigrationsRunOnce(backend: StoreBackend) async throws {
        let path = try await backend.newLocation()
        do {
            let store = try await backend.open(path)
            try await shipped(store)
            _ = try await store.ingest(callback("r1", [event(.inTransit)]))
            await store.close()
        }
        let reopened = try await backend.open(path)
        let fulfillment = try #require(try await reopened.fulfillment(tenant: "acme", id: "f1"))
        #expect(fulfillment.status == .inTransit)
        #expect(fulfillment.trackingEvents.count == 1)
        #expect(try await reopened.ingest(callback("r1", [event(.inTransit)])) == .duplicate)
        await reopened.close()
    }

    /// Listing by order id or tracking number returns every match, oldest first, each with its own history
    /// (read in two queries, not one per fulfillment).
    @Test(arguments: StoreBackend.available)
    func fulfillmentsAreListedByOrderOrTrackingNumber(backend: StoreBackend) async throws {
        let store = try await backend.open()
        for (id, order) in [("a", "order-1"), ("b", "order-1"), ("c", "order-2")] {
            _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: id, orderId: order, createdAt: t0.adding(milliseconds: Int64(id.utf8.first ?? 0))))
            for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "T-\(id)", serviceLevel: nil)] {
                _ = try await store.apply(command, tenant: "acme", fulfillmentId: id, at: t0)
            }
        }
        _ = try await store.ingest(callback("ra", [event(.inTransit, tracking: "T-a", at: 1), event(.outForDelivery, tracking: "T-a", at: 2)]))
        _ = try await store.ingest(callback("rb", [event(.inTransit, tracking: "T-b", at: 3)]))
        let order = try await store.fulfillments(tenant: "acme", where: .orderId("order-1"))
        #expect(order.map(\.id) == ["a", "b"])
        #expect(order.map { $0.trackingEvents.map(\.status) } == [[.inTransit, .outForDelivery], [.inTransit]])
        let single = try await store.fulfillments(tenant: "acme", where: .orderId("order-2"))
        #expect(single.map(\.id) == ["c"] && single.first?.trackingEvents.isEmpty == true)
        #expect(try await store.fulfillments(tenant: "acme", where: .trackingNumber("T-b")).map(\.id) == ["b"])
        #expect(try await store.fulfillments(tenant: "acme", where: .orderId("nope")).isEmpty)
        await store.close()
    }

    /// Domain events carry what a consumer needs: the order id, the old and new status, the carrier and
    /// service level, an exception's reason and place, and a per-fulfillment sequence number in order.
    @Test(arguments: StoreBackend.available)
    func domainEventsCarryWhatAConsumerNeeds(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "f1", orderId: "order-7", createdAt: t0))
        for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: "generic", trackingNumber: "T1", serviceLevel: "express")] {
            _ = try await store.apply(command, tenant: "acme", fulfillmentId: "f1", at: t0)
        }
        let failed = TrackingEvent(tenant: "acme", carrier: "generic", trackingNumber: "T1", status: .deliveryFailed, carrierStatusCode: "x",
                                   description: "Nobody home", occurredAt: t0.adding(milliseconds: 2000),
                                   location: TrackingLocation(city: "Reno", region: "NV", countryCode: "US"))
        _ = try await store.ingest(callback("r1", [event(.inTransit, at: 1), failed]))
        _ = try await store.apply(.deliver, tenant: "acme", fulfillmentId: "f1", at: t0.adding(milliseconds: 9000))
        let rows = try await StoreBackend.domainEvents(store, tenant: "acme", fulfillmentId: "f1")
        #expect(rows == [
            "1|FulfillmentStatusChanged|PENDING|PICKING|order-7|-|-|-|-",
            "2|FulfillmentStatusChanged|PICKING|PACKING|order-7|-|-|-|-",
            "3|FulfillmentStatusChanged|PACKING|READY_TO_SHIP|order-7|-|-|-|-",
            "4|FulfillmentStatusChanged|READY_TO_SHIP|SHIPPED|order-7|generic|express|-|-",
            "5|TrackingEventReceived|SHIPPED|IN_TRANSIT|order-7|generic|express|-|-",
            "6|DeliveryException|IN_TRANSIT|EXCEPTION|order-7|generic|express|Nobody home|Reno, NV, US",
            "7|DeliveryConfirmed|EXCEPTION|DELIVERED|order-7|generic|express|-|-",
        ])
        await store.close()
    }

    /// A platform's delivery confirmation sets the status and `actual_delivery` but adds no tracking event;
    /// an exception raised through the API does add one. The same on every backend (the rule is shared).
    @Test(arguments: StoreBackend.available)
    func platformDeliveryAddsNoTrackingEvent(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await shipped(store)
        _ = try await store.ingest(callback("r1", [event(.inTransit, at: 1)]))
        let excepted = try await store.apply(.exception(reason: "Damaged", location: "Reno", status: .onHold), tenant: "acme", fulfillmentId: "f1",
                                             at: t0.adding(milliseconds: 5000))
        #expect(excepted.trackingEvents.count == 2)
        let delivered = try await store.apply(.deliver, tenant: "acme", fulfillmentId: "f1", at: t0.adding(milliseconds: 9000))
        #expect(delivered.status == .delivered)
        #expect(delivered.actualDelivery == t0.adding(milliseconds: 9000))
        #expect(delivered.trackingEvents.count == 2)
        // The carrier's own delivered scan, dated before the confirmation and arriving after it, is history
        // (stale), not a refused transition out of DELIVERED.
        let late = try await store.ingest(callback("r-late", [event(.delivered, at: 8)]))
        #expect(late == .applied(fulfillmentId: "f1", status: .delivered, recorded: 1))
        let after = try #require(try await store.fulfillment(tenant: "acme", id: "f1"))
        #expect(after.trackingEvents.last?.applied == false)
        #expect(after.actualDelivery == t0.adding(milliseconds: 9000))
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func receiptsAndScansDeduplicate(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await shipped(store)
        #expect(try await store.ingest(callback("r1", [event(.inTransit, at: 1)])) == .applied(fulfillmentId: "f1", status: .inTransit, recorded: 1))
        #expect(try await store.ingest(callback("r1", [event(.delivered, at: 2)])) == .duplicate)
        // A new receipt carrying only a known scan records nothing.
        #expect(try await store.ingest(callback("r2", [event(.inTransit, at: 1)])) == .duplicate)
        // A multi-event callback records only its new scans.
        #expect(try await store.ingest(callback("r3", [event(.delivered, at: 3), event(.inTransit, at: 1), event(.outForDelivery, at: 2)]))
                == .applied(fulfillmentId: "f1", status: .delivered, recorded: 2))
        let history = try #require(try await store.fulfillment(tenant: "acme", id: "f1")).trackingEvents
        #expect(history.map(\.status) == [.inTransit, .outForDelivery, .delivered])
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func tenantsNeverSeeEachOther(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await shipped(store)
        #expect(try await store.fulfillment(tenant: "other", id: "f1") == nil)
        #expect(try await store.fulfillments(tenant: "other", where: .trackingNumber("T1")).isEmpty)
        #expect(try await store.fulfillments(tenant: "other", where: .orderId("o")).isEmpty)
        await #expect(throws: GatewayError.notFound("Fulfillment 'f1' not found")) {
            try await store.apply(.cancel, tenant: "other", fulfillmentId: "f1", at: t0)
        }
        var foreign = callback("r1", [event(.inTransit)])
        foreign.tenant = "other"
        foreign.events = foreign.events.map { var e = $0; e.tenant = "other"; return e }
        await #expect(throws: GatewayError.self) { try await store.ingest(foreign) }
        // The same id may exist for two tenants.
        _ = try await store.createFulfillment(NewFulfillment(tenant: "other", id: "f1", orderId: "theirs", createdAt: t0))
        #expect(try await store.fulfillment(tenant: "acme", id: "f1")?.orderId == "o")
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func unmatchedCallbackLeavesNoReceipt(backend: StoreBackend) async throws {
        let store = try await backend.open()
        await #expect(throws: GatewayError.self) { try await store.ingest(callback("r1", [event(.inTransit, tracking: "NOPE")])) }
        try await shipped(store, tracking: "NOPE")
        #expect(try await store.ingest(callback("r1", [event(.inTransit, tracking: "NOPE")])) == .applied(fulfillmentId: "f1", status: .inTransit, recorded: 1))
        await store.close()
    }

    @Test(arguments: StoreBackend.available)
    func trackingNumberTiesPreferTheSourceCarrier(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "by-generic", orderId: "o", createdAt: t0))
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "by-ups", orderId: "o", createdAt: t0.adding(milliseconds: 5)))
        for (id, carrier) in [("by-generic", "GENERIC"), ("by-ups", "ups")] {
            for command in [FulfillmentCommand.pick, .pack, .ready, .ship(carrier: carrier, trackingNumber: "SAME", serviceLevel: nil)] {
                _ = try await store.apply(command, tenant: "acme", fulfillmentId: id, at: t0)
            }
        }
        let outcome = try await store.ingest(callback("r", [event(.inTransit, tracking: "SAME")]))
        #expect(outcome == .applied(fulfillmentId: "by-generic", status: .inTransit, recorded: 1))
        await store.close()
    }

    /// Group commit: many concurrent writes share transactions, and a failing write fails alone.
    @Test(arguments: StoreBackend.available)
    func concurrentWritesCommitIndependently(backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: "taken", orderId: "o", createdAt: t0))
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<400 {
                group.addTask {
                    // Every fourth write collides with an existing id and must fail alone.
                    let id = index % 4 == 0 ? "taken" : "f-\(index)"
                    do {
                        _ = try await store.createFulfillment(NewFulfillment(tenant: "acme", id: id, orderId: "o", createdAt: self.t0))
                        return (index, true)
                    } catch {
                        #expect(error as? GatewayError == .conflict("A fulfillment with id 'taken' already exists"))
                        return (index, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        for (index, succeeded) in results { #expect(succeeded == (index % 4 != 0)) }
        for index in 0..<400 where index % 4 != 0 {
            #expect(try await store.fulfillment(tenant: "acme", id: "f-\(index)") != nil)
        }
        await store.close()
    }

    /// A NUL inside text (JSON allows `\u0000`): SQLite binds and reads text by length and keeps it whole;
    /// PostgreSQL cannot store it, which is the input's fault: `bad_request`, never a 500.
    @Test(arguments: StoreBackend.available)
    func textWithANulIsKeptOrRefusedAsBadInput(backend: StoreBackend) async throws {
        let store = try await backend.open()
        let new = NewFulfillment(tenant: "acme", id: "f\u{0}1", orderId: "o\u{0}x", createdAt: t0)
        switch backend {
        case .sqlite:
            _ = try await store.createFulfillment(new)
            let read = try #require(try await store.fulfillment(tenant: "acme", id: "f\u{0}1"))
            #expect(read.orderId == "o\u{0}x")
            #expect(try await store.fulfillment(tenant: "acme", id: "f") == nil)
        case .postgres:
            await #expect(throws: GatewayError.badRequest("Text contains a character the database cannot store (NUL)")) {
                _ = try await store.createFulfillment(new)
            }
        }
        await store.close()
    }

    /// Issue 14: a callback writes only what it may change (status, timestamps, the domain-event count),
    /// never the shipment's columns, on every backend. A trigger refuses any UPDATE that names those columns
    /// in its SET list, even with unchanged values: so the PostgreSQL copy that wrote the whole row, as it
    /// once did, fails here. The platform command at the end shows that the trigger does fire.
    @Test(arguments: StoreBackend.available)
    func aCallbackWritesOnlyTheColumnsItMayChange(backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await shipped(store, id: "f1", tracking: "T1")
        try await shipped(store, id: "f2", tracking: "T2")
        let shipmentColumns = "carrier, tracking_number, service_level, order_id, created_at"
        switch backend {
        case .sqlite:
            try await StoreBackend.execute(store, """
                CREATE TRIGGER callbacks_keep_shipment BEFORE UPDATE OF \(shipmentColumns) ON fulfillments
                BEGIN SELECT RAISE(ABORT, 'shipment columns written'); END
                """)
        case .postgres:
            try await StoreBackend.execute(store, """
                CREATE FUNCTION refuse_shipment_write() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'shipment columns written'; END $$
                """)
            try await StoreBackend.execute(store, """
                CREATE TRIGGER callbacks_keep_shipment BEFORE UPDATE OF \(shipmentColumns) ON fulfillments
                FOR EACH ROW EXECUTE FUNCTION refuse_shipment_write()
                """)
        }
        // Moves, an exception, a refused scan that a later one makes legal, and delivery.
        _ = try await store.ingest(callback("c1", [event(.inTransit, at: 10), event(.deliveryFailed, at: 20)]))
        _ = try await store.ingest(callback("c2", [event(.pending, at: 5), event(.outForDelivery, at: 30)]))
        let outcome = try await store.ingest(callback("c3", [event(.delivered, at: 40)]))
        #expect(outcome == .applied(fulfillmentId: "f1", status: .delivered, recorded: 1))
        let f1 = try #require(try await store.fulfillment(tenant: "acme", id: "f1"))
        #expect(f1.status == .delivered && f1.carrier == "generic" && f1.trackingNumber == "T1" && f1.actualDelivery == t0.adding(milliseconds: 40_000))
        // A platform command writes the whole row: the trigger refuses it, so it is not vacuous.
        await #expect(throws: GatewayError.self) {
            _ = try await store.apply(.deliver, tenant: "acme", fulfillmentId: "f2", at: t0)
        }
        #expect(try await store.fulfillment(tenant: "acme", id: "f2")?.status == .shipped)
        await store.close()
    }

    @Test func unopenableDatabaseIsAClearError() async {
        #expect(throws: GatewayError.self) { try SQLiteStore(path: "/nonexistent-dir/x/y.sqlite") }
        // A PostgreSQL server that is not there: a clear error naming where, not a hang or a crash loop.
        await #expect {
            _ = try await StoreLocation.open("postgres://parcelgate:secret-pw@127.0.0.1:1/none?connect_timeout=2", durability: .normal, poolSize: 2, logger: Logger(label: "t"))
        } throws: { error in
            guard let error = error as? GatewayError else { return false }
            return error.code == "store_unavailable" && error.detail.contains("127.0.0.1:1/none") && !error.detail.contains("secret-pw")
        }
    }
}
