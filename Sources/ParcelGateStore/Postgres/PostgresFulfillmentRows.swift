import Logging
import ParcelGateCore
import PostgresNIO

/// Fulfillment, tracking-event and domain-event rows on PostgreSQL. The only place that knows their columns there.
enum PostgresFulfillmentRows {
    static func load(_ connection: PostgresConnection, tenant: String, id: String, withHistory: Bool, forUpdate: Bool, logger: Logger) async throws -> Fulfillment? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence
            FROM fulfillments WHERE tenant = $1 AND id = $2\(lock)
            """, binds: binds(tenant, id)), logger: logger)
        var found: Fulfillment?
        for try await (orderId, status, carrier, tracking, service, delivered, latest, created, updated, sequence)
            in rows.decode((String, String, String?, String?, String?, Int64?, Int64?, Int64, Int64, Int64).self) {
            guard let status = FulfillmentStatus(rawValue: status) else { throw GatewayError.internalError("Fulfillment '\(id)' has an unknown status in the database") }
            found = Fulfillment(
                id: id, tenant: tenant, orderId: orderId, status: status, carrier: carrier, trackingNumber: tracking, serviceLevel: service,
                actualDelivery: delivered.map(Timestamp.init(milliseconds:)), latestEventAt: latest.map(Timestamp.init(milliseconds:)),
                createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated), eventSequence: sequence
            )
        }
        if withHistory, found != nil { found?.trackingEvents = try await history(connection, tenant: tenant, id: id, logger: logger) }
        return found
    }

    static func history(_ connection: PostgresConnection, tenant: String, id: String, logger: Logger) async throws -> [TrackingHistoryEntry] {
        let rows = try await connection.query("""
            SELECT id, status, fulfillment_status, carrier_status_code, description,
                   location_city, location_region, location_postal_code, location_country_code, location_text,
                   occurred_at, received_at, applied
            FROM tracking_events WHERE tenant = \(tenant) AND fulfillment_id = \(id) ORDER BY occurred_at, id
            """, logger: logger)
        var entries: [TrackingHistoryEntry] = []
        for try await (rowId, status, fulfillmentStatus, code, description, city, region, postal, country, text, occurred, received, applied)
            in rows.decode((Int64, String, String, String?, String, String?, String?, String?, String?, String?, Int64, Int64, Bool).self) {
            let location = TrackingLocation(city: city, region: region, postalCode: postal, countryCode: country, text: text)
            entries.append(TrackingHistoryEntry(
                id: rowId, status: TrackingStatus(rawValue: status) ?? .unknown, fulfillmentStatus: FulfillmentStatus(rawValue: fulfillmentStatus) ?? .pending,
                carrierStatusCode: code, description: description, location: location.isEmpty ? nil : location,
                occurredAt: Timestamp(milliseconds: occurred), receivedAt: Timestamp(milliseconds: received), applied: applied
            ))
        }
        return entries
    }

    /// The fulfillments `filter` selects, oldest first, each with its history: two queries in all.
    static func list(_ connection: PostgresConnection, tenant: String, filter: FulfillmentFilter, logger: Logger) async throws -> [Fulfillment] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, order_id, status, carrier, tracking_number, service_level, actual_delivery, latest_event_at, created_at, updated_at, event_sequence
            FROM fulfillments WHERE tenant = $1 AND \(filter.column) = $2 ORDER BY created_at, id
            """, binds: binds(tenant, filter.value)), logger: logger)
        var found: [Fulfillment] = []
        for try await (id, orderId, status, carrier, tracking, service, delivered, latest, created, updated, sequence)
            in rows.decode((String, String, String, String?, String?, String?, Int64?, Int64?, Int64, Int64, Int64).self) {
            guard let status = FulfillmentStatus(rawValue: status) else { throw GatewayError.internalError("Fulfillment '\(id)' has an unknown status in the database") }
            found.append(Fulfillment(
                id: id, tenant: tenant, orderId: orderId, status: status, carrier: carrier, trackingNumber: tracking, serviceLevel: service,
                actualDelivery: delivered.map(Timestamp.init(milliseconds:)), latestEventAt: latest.map(Timestamp.init(milliseconds:)),
                createdAt: Timestamp(milliseconds: created), updatedAt: Timestamp(milliseconds: updated), eventSequence: sequence
            ))
        }
        guard !found.isEmpty else { return [] }
        let events = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT e.fulfillment_id, e.id, e.status, e.fulfillment_status, e.carrier_status_code, e.description,
                   e.location_city, e.location_region, e.location_postal_code, e.location_country_code, e.location_text,
                   e.occurred_at, e.received_at, e.applied
            FROM tracking_events e JOIN fulfillments f ON f.tenant = e.tenant AND f.id = e.fulfillment_id
            WHERE f.tenant = $1 AND f.\(filter.column) = $2 ORDER BY e.occurred_at, e.id
            """, binds: binds(tenant, filter.value)), logger: logger)
        var histories: [String: [TrackingHistoryEntry]] = [:]
        for try await (fulfillmentId, rowId, status, fulfillmentStatus, code, description, city, region, postal, country, text, occurred, received, applied)
            in events.decode((String, Int64, String, String, String?, String, String?, String?, String?, String?, String?, Int64, Int64, Bool).self) {
            let location = TrackingLocation(city: city, region: region, postalCode: postal, countryCode: country, text: text)
            histories[fulfillmentId, default: []].append(TrackingHistoryEntry(
                id: rowId, status: TrackingStatus(rawValue: status) ?? .unknown, fulfillmentStatus: FulfillmentStatus(rawValue: fulfillmentStatus) ?? .pending,
                carrierStatusCode: code, description: description, location: location.isEmpty ? nil : location,
                occurredAt: Timestamp(milliseconds: occurred), receivedAt: Timestamp(milliseconds: received), applied: applied
            ))
        }
        return found.map { fulfillment in
            var fulfillment = fulfillment
            fulfillment.trackingEvents = histories[fulfillment.id] ?? []
            return fulfillment
        }
    }

    static func update(_ connection: PostgresConnection, _ f: Fulfillment, logger: Logger) async throws {
        try await connection.query("""
            UPDATE fulfillments SET status = \(f.status.rawValue), carrier = \(f.carrier), tracking_number = \(f.trackingNumber),
                service_level = \(f.serviceLevel), actual_delivery = \(f.actualDelivery?.milliseconds), latest_event_at = \(f.latestEventAt?.milliseconds),
                updated_at = \(f.updatedAt.milliseconds), event_sequence = \(f.eventSequence)
            WHERE tenant = \(f.tenant) AND id = \(f.id)
            """, logger: logger)
    }

    /// Inserts a history row; a scan another replica stored first is skipped by the unique constraint.
    static func insertEvent(_ connection: PostgresConnection, tenant: String, fulfillmentId: String, entry e: HistoryInsert, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO tracking_events (tenant, fulfillment_id, scan_key, carrier, status, fulfillment_status, carrier_status_code,
                description, location_city, location_region, location_postal_code, location_country_code, location_text,
                occurred_at, received_at, applied, outcome)
            VALUES (\(tenant), \(fulfillmentId), \(e.scanKey), \(e.carrier), \(e.status.rawValue), \(e.fulfillmentStatus.rawValue),
                \(e.carrierStatusCode), \(e.description), \(e.location?.city), \(e.location?.region), \(e.location?.postalCode),
                \(e.location?.countryCode), \(e.location?.text), \(e.occurredAt.milliseconds), \(e.receivedAt.milliseconds), \(e.applied), \(e.outcome.rawValue))
            ON CONFLICT (tenant, fulfillment_id, scan_key) DO NOTHING
            """, logger: logger)
    }

    static func recordDomainEvent(_ connection: PostgresConnection, _ d: LedgerPlan.DomainEvent, recordedAt: Timestamp, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO domain_events (tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, occurred_at, recorded_at,
                                       order_id, sequence, reason, location)
            VALUES (\(d.fulfillment.tenant), \(d.fulfillment.id), \(d.type.rawValue), \(d.from.rawValue), \(d.fulfillment.status.rawValue),
                \(d.trackingStatus?.rawValue), \(d.fulfillment.carrier), \(d.fulfillment.serviceLevel), \(d.occurredAt.milliseconds), \(recordedAt.milliseconds),
                \(d.fulfillment.orderId), \(d.sequence), \(d.reason), \(d.location?.summary))
            """, logger: logger)
    }

    static func refusedEvents(_ connection: PostgresConnection, tenant: String, fulfillmentId: String, logger: Logger) async throws -> [RefusedEventRef] {
        let rows = try await connection.query("""
            SELECT id, status, occurred_at, description, location_city, location_region, location_postal_code, location_country_code, location_text
            FROM tracking_events WHERE tenant = \(tenant) AND fulfillment_id = \(fulfillmentId) AND outcome = 'refused' ORDER BY occurred_at, id
            """, logger: logger)
        var refs: [RefusedEventRef] = []
        for try await (id, status, occurred, description, city, region, postal, country, text)
            in rows.decode((Int64, String, Int64, String, String?, String?, String?, String?, String?).self) {
            let location = TrackingLocation(city: city, region: region, postalCode: postal, countryCode: country, text: text)
            refs.append(RefusedEventRef(rowId: id, status: TrackingStatus(rawValue: status) ?? .unknown, occurredAt: Timestamp(milliseconds: occurred),
                                        description: description, location: location.isEmpty ? nil : location))
        }
        return refs
    }

    static func knownScans(_ connection: PostgresConnection, tenant: String, fulfillmentId: String, scanKeys: [String], logger: Logger) async throws -> [String] {
        let rows = try await connection.query("""
            SELECT scan_key FROM tracking_events WHERE tenant = \(tenant) AND fulfillment_id = \(fulfillmentId) AND scan_key = ANY(\(scanKeys))
            """, logger: logger)
        var keys: [String] = []
        for try await key in rows.decode(String.self) { keys.append(key) }
        return keys
    }

    /// README, "HTTP contract" matching, as ``FulfillmentRows/match`` does on SQLite; the row is locked for the transaction.
    static func match(_ connection: PostgresConnection, event: TrackingEvent, carrier: String, logger: Logger) async throws -> String? {
        let rows: PostgresRowSequence
        if let id = event.fulfillmentId {
            rows = try await connection.query("SELECT id FROM fulfillments WHERE tenant = \(event.tenant) AND id = \(id)", logger: logger)
        } else if let trackingNumber = event.trackingNumber {
            rows = try await connection.query("""
                SELECT id FROM fulfillments WHERE tenant = \(event.tenant) AND tracking_number = \(trackingNumber)
                ORDER BY (lower(coalesce(carrier, '')) = lower(\(carrier))) DESC, created_at DESC, id LIMIT 1
                """, logger: logger)
        } else {
            return nil
        }
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }
}
