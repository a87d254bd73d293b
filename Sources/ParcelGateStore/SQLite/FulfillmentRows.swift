import ParcelGateCore

/// Reading and writing fulfillment, tracking-event and domain-event rows. The only place that knows their columns.
enum FulfillmentRows {
    static func load(_ connection: SQLiteConnection, tenant: String, id: String, withHistory: Bool) throws(GatewayError) -> Fulfillment? {
        let query = try connection.statement("""
            SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence
            FROM fulfillments WHERE tenant = ? AND id = ?
            """)
        query.bind(.text(tenant), .text(id))
        guard try query.step() else { return nil }
        var fulfillment = try decode(query, tenant: tenant)
        if withHistory { fulfillment.trackingEvents = try history(connection, tenant: tenant, id: id) }
        return fulfillment
    }

    /// A fulfillment from the current row of a query selecting `id, order_id, status, carrier, tracking_number,
    /// service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence`, in that order.
    private static func decode(_ query: SQLiteStatement, tenant: String) throws(GatewayError) -> Fulfillment {
        let id = query.text(0)
        guard let status = FulfillmentStatus(rawValue: query.text(2)) else {
            throw .internalError("Fulfillment '\(id)' has an unknown status in the database")
        }
        return Fulfillment(
            id: id, tenant: tenant, orderId: query.text(1), status: status,
            carrier: query.optionalText(3), trackingNumber: query.optionalText(4), serviceLevel: query.optionalText(5),
            actualDelivery: query.optionalInt(6).map(Timestamp.init(milliseconds:)),
            latestEventAt: query.optionalInt(7).map(Timestamp.init(milliseconds:)),
            createdAt: Timestamp(milliseconds: query.int(8)), updatedAt: Timestamp(milliseconds: query.int(9)), eventSequence: query.int(10)
        )
    }

    static func history(_ connection: SQLiteConnection, tenant: String, id: String) throws(GatewayError) -> [TrackingHistoryEntry] {
        let query = try connection.statement("""
            SELECT id, status, fulfillment_status, carrier_status_code, description,
                   location_city, location_region, location_postal_code, location_country_code, location_text,
                   occurred_at, received_at, applied
            FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? ORDER BY occurred_at, id
            """)
        query.bind(.text(tenant), .text(id))
        var entries: [TrackingHistoryEntry] = []
        while try query.step() { entries.append(historyEntry(query, from: 0)) }
        return entries
    }

    /// The fulfillments `filter` selects, oldest first, each with its history: two statements in all.
    static func list(_ connection: SQLiteConnection, tenant: String, filter: FulfillmentFilter) throws(GatewayError) -> [Fulfillment] {
        let query = try connection.statement(sql: """
            SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence
            FROM fulfillments WHERE tenant = ? AND \(filter.column) = ? ORDER BY created_at, id
            """)
        query.bind(.text(tenant), .text(filter.value))
        var found: [Fulfillment] = []
        while try query.step() { found.append(try decode(query, tenant: tenant)) }
        guard !found.isEmpty else { return [] }
        let events = try connection.statement(sql: """
            SELECT e.fulfillment_id, e.id, e.status, e.fulfillment_status, e.carrier_status_code, e.description,
                   e.location_city, e.location_region, e.location_postal_code, e.location_country_code, e.location_text,
                   e.occurred_at, e.received_at, e.applied
            FROM tracking_events e JOIN fulfillments f ON f.tenant = e.tenant AND f.id = e.fulfillment_id
            WHERE f.tenant = ? AND f.\(filter.column) = ? ORDER BY e.occurred_at, e.id
            """)
        events.bind(.text(tenant), .text(filter.value))
        var histories: [String: [TrackingHistoryEntry]] = [:]
        while try events.step() { histories[events.text(0), default: []].append(historyEntry(events, from: 1)) }
        return found.map { fulfillment in
            var fulfillment = fulfillment
            fulfillment.trackingEvents = histories[fulfillment.id] ?? []
            return fulfillment
        }
    }

    /// A history entry from the current row, its columns starting at `first`: `id, status, fulfillment_status,
    /// carrier_status_code, description, location_city, location_region, location_postal_code,
    /// location_country_code, location_text, occurred_at, received_at, applied`.
    private static func historyEntry(_ query: SQLiteStatement, from first: Int32) -> TrackingHistoryEntry {
        let location = TrackingLocation(
            city: query.optionalText(first + 5), region: query.optionalText(first + 6), postalCode: query.optionalText(first + 7),
            countryCode: query.optionalText(first + 8), text: query.optionalText(first + 9)
        )
        return TrackingHistoryEntry(
            id: query.int(first), status: TrackingStatus(rawValue: query.text(first + 1)) ?? .unknown,
            fulfillmentStatus: FulfillmentStatus(rawValue: query.text(first + 2)) ?? .pending,
            carrierStatusCode: query.optionalText(first + 3), description: query.text(first + 4),
            location: location.isEmpty ? nil : location,
            occurredAt: Timestamp(milliseconds: query.int(first + 10)), receivedAt: Timestamp(milliseconds: query.int(first + 11)),
            applied: query.int(first + 12) != 0
        )
    }

    static func update(_ connection: SQLiteConnection, _ f: Fulfillment) throws(GatewayError) {
        try connection.statement("""
            UPDATE fulfillments SET status = ?, carrier = ?, tracking_number = ?, service_level = ?, actual_delivery = ?,
                latest_event_at = ?, updated_at = ?, event_sequence = ? WHERE tenant = ? AND id = ?
            """)
            .bind(.text(f.status.rawValue), .optional(f.carrier), .optional(f.trackingNumber), .optional(f.serviceLevel),
                  .timestamp(f.actualDelivery), .timestamp(f.latestEventAt), .timestamp(f.updatedAt), .integer(f.eventSequence),
                  .text(f.tenant), .text(f.id))
            .run()
    }

    /// Writes what a carrier callback can change: status and timestamps, never the shipment's carrier or
    /// tracking number. Leaving those out of the SET list keeps SQLite from rewriting the tracking-number
    /// index entry on every callback.
    static func updateProgress(_ connection: SQLiteConnection, _ f: Fulfillment) throws(GatewayError) {
        try connection.statement("""
            UPDATE fulfillments SET status = ?, actual_delivery = ?, latest_event_at = ?, updated_at = ?, event_sequence = ?
            WHERE tenant = ? AND id = ?
            """)
            .bind(.text(f.status.rawValue), .timestamp(f.actualDelivery), .timestamp(f.latestEventAt), .timestamp(f.updatedAt),
                  .integer(f.eventSequence), .text(f.tenant), .text(f.id))
            .run()
    }

    /// Whether the fulfillment already holds this scan.
    static func hasScan(_ connection: SQLiteConnection, tenant: String, fulfillmentId: String, scanKey: String) throws(GatewayError) -> Bool {
        let query = try connection.statement("SELECT 1 FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? AND scan_key = ?")
        query.bind(.text(tenant), .text(fulfillmentId), .text(scanKey))
        return try query.step()
    }

    static func insertEvent(_ connection: SQLiteConnection, tenant: String, fulfillmentId: String, entry e: HistoryInsert) throws(GatewayError) {
        try connection.statement("""
            INSERT INTO tracking_events (tenant, fulfillment_id, scan_key, carrier, status, fulfillment_status, carrier_status_code,
                description, location_city, location_region, location_postal_code, location_country_code, location_text,
                occurred_at, received_at, applied, outcome)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
            .bind(.text(tenant), .text(fulfillmentId), .text(e.scanKey), .optional(e.carrier), .text(e.status.rawValue),
                  .text(e.fulfillmentStatus.rawValue), .optional(e.carrierStatusCode), .text(e.description),
                  .optional(e.location?.city), .optional(e.location?.region), .optional(e.location?.postalCode),
                  .optional(e.location?.countryCode), .optional(e.location?.text),
                  .timestamp(e.occurredAt), .timestamp(e.receivedAt), .integer(e.applied ? 1 : 0), .text(e.outcome.rawValue))
            .run()
    }

    /// The fulfillment's refused events, oldest first.
    static func refusedEvents(_ connection: SQLiteConnection, tenant: String, fulfillmentId: String) throws(GatewayError) -> [RefusedEventRef] {
        let query = try connection.statement("""
            SELECT id, status, occurred_at, description,
                   location_city, location_region, location_postal_code, location_country_code, location_text
            FROM tracking_events WHERE tenant = ? AND fulfillment_id = ? AND outcome = 'refused' ORDER BY occurred_at, id
            """)
        query.bind(.text(tenant), .text(fulfillmentId))
        var events: [RefusedEventRef] = []
        while try query.step() {
            let location = TrackingLocation(city: query.optionalText(4), region: query.optionalText(5), postalCode: query.optionalText(6),
                                            countryCode: query.optionalText(7), text: query.optionalText(8))
            events.append(RefusedEventRef(rowId: query.int(0), status: TrackingStatus(rawValue: query.text(1)) ?? .unknown,
                                          occurredAt: Timestamp(milliseconds: query.int(2)), description: query.text(3),
                                          location: location.isEmpty ? nil : location))
        }
        return events
    }

    /// Marks a reconsidered event as applied.
    static func markApplied(_ connection: SQLiteConnection, rowId: Int64, fulfillmentStatus: FulfillmentStatus) throws(GatewayError) {
        try connection.statement("UPDATE tracking_events SET applied = 1, outcome = 'applied', fulfillment_status = ? WHERE id = ?")
            .bind(.text(fulfillmentStatus.rawValue), .integer(rowId)).run()
    }

    static func recordDomainEvent(_ connection: SQLiteConnection, _ d: LedgerPlan.DomainEvent, recordedAt: Timestamp) throws(GatewayError) {
        try connection.statement("""
            INSERT INTO domain_events (tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, occurred_at, recorded_at,
                                       order_id, sequence, reason, location)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
            .bind(.text(d.fulfillment.tenant), .text(d.fulfillment.id), .text(d.type.rawValue), .text(d.from.rawValue),
                  .text(d.fulfillment.status.rawValue), .optional(d.trackingStatus?.rawValue), .optional(d.fulfillment.carrier),
                  .optional(d.fulfillment.serviceLevel), .timestamp(d.occurredAt), .timestamp(recordedAt),
                  .text(d.fulfillment.orderId), .integer(d.sequence), .optional(d.reason), .optional(d.location?.summary))
            .run()
    }

    /// The fulfillment a callback's event belongs to (README, "HTTP contract"), without its history: by id when the payload
    /// names one, else by tracking number, preferring the fulfillment shipped with the source's carrier, then
    /// the newest. One query, returning the row itself: it runs for every callback.
    static func match(_ connection: SQLiteConnection, event: TrackingEvent, carrier: String) throws(GatewayError) -> Fulfillment? {
        if let id = event.fulfillmentId {
            return try load(connection, tenant: event.tenant, id: id, withHistory: false)
        }
        guard let trackingNumber = event.trackingNumber else { return nil }
        // The index is named: without statistics SQLite may prefer walking the primary key for the ORDER BY.
        let query = try connection.statement("""
            SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence
            FROM fulfillments INDEXED BY fulfillments_by_tracking WHERE tenant = ? AND tracking_number = ?
            ORDER BY (lower(coalesce(carrier, '')) = lower(?)) DESC, created_at DESC, id LIMIT 1
            """)
        query.bind(.text(event.tenant), .text(trackingNumber), .text(carrier))
        return try query.step() ? try decode(query, tenant: event.tenant) : nil
    }
}
