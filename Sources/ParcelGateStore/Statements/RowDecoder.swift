import ParcelGateCore

/// The shared row decoders: the only code that turns a result row into a record, for every backend.
///
/// Each case names the columns its statements must select, in order; the statement factories select exactly
/// those (``FulfillmentStatements/fulfillmentColumns`` and friends), so a column list and its decoder change together.
indirect enum RowDecoder: Sendable {
    /// A leading text column (the fulfillment a set-based read's row belongs to), then `inner`'s columns.
    case keyed(RowDecoder)
    /// `count` text columns.
    case texts(Int)
    /// `fulfillmentColumns`, of a fulfillment of `tenant`.
    case fulfillment(tenant: String)
    /// `fulfillment_id` then `historyColumns`.
    case historyEntry
    /// `id, status, occurred_at, description, location_city, location_region, location_postal_code, location_country_code, location_text`.
    case refusedEvent
    /// One text column.
    case text
    /// One integer column.
    case integer
    /// `RetryStatements.columns`.
    case retryEntry
    /// `status, count(*)`.
    case statusCount
    /// `slug, rate_per_second, rate_burst, retry_policy, created_at`.
    case tenant
    /// `tenant, carrier, scheme, header, prefix, tolerance_s, timezone, created_at` (secrets come separately).
    case source
    /// `id, tenant, carrier, secret, encrypted, created_at`.
    case secret
    /// `id, tenant, digest, label, created_at`.
    case apiKey
    /// `WebhookStatements.endpointColumns`.
    case endpoint
    /// `WebhookStatements.deliveryColumns`.
    case delivery
    /// `attempt, trigger, started_at, duration_ms, status_code, response_excerpt, error`.
    case attempt
    /// `started_at, duration_ms, succeeded`.
    case attemptSample
    /// `id, tenant, fulfillment_id, type, from_status, to_status, tracking_status, carrier, service_level, tracking_number, order_id,
    /// sequence, reason, location, retry_id, occurred_at, recorded_at, retry_reason, retry_attempts, scan_code, scan_description`.
    case outboxEvent
    /// `carrier, service_level, exceptions, deliveries`.
    case carrierCount
    /// `carrier, service_level, bucket, count`.
    case transitBucket
    /// `day, shipments, deliveries, exceptions`.
    case dailyCount
    /// `tenant, minute, outcome, code, count`.
    case ingestCount
    /// `status, count, attempts, oldest created_at` (the last may be NULL).
    case queueStat
    /// `attempt, attempted_at, outcome, error`.
    case retryAttempt
    /// `digest, tenant, created_at, expires_at`.
    case consoleSession

    func decode(_ row: some RowReader) throws(GatewayError) -> DecodedRow {
        switch self {
        case .keyed(let inner): return .keyed(try row.text(0), try inner.decode(ShiftedRow(base: row, by: 1)))
        case .texts(let count):
            var texts: [String] = []
            for column in 0..<count { texts.append(try row.text(column)) }
            return .texts(texts)
        case .fulfillment(let tenant): return .fulfillment(try Self.fulfillment(row, tenant: tenant))
        case .historyEntry: return .historyEntry(fulfillmentId: try row.text(0), try Self.historyEntry(row, from: 1))
        case .refusedEvent:
            return .refused(RefusedEventRef(
                rowId: try row.int(0), status: TrackingStatus(rawValue: try row.text(1)) ?? .unknown, occurredAt: try row.timestamp(2),
                description: try row.text(3), location: try Self.location(row, from: 4)
            ))
        case .text: return .text(try row.text(0))
        case .integer: return .integer(try row.int(0))
        case .retryEntry: return .retryEntry(try Self.retryEntry(row))
        case .statusCount: return .statusCount(try row.text(0), try row.int(1))
        case .tenant:
            return .tenant(TenantRecord(
                slug: try row.text(0), ratePerSecond: try row.optionalDouble(1), rateBurst: try row.optionalInt(2).map { Int(truncatingIfNeeded: $0) },
                retryPolicyJSON: try row.optionalText(3), createdAt: try row.timestamp(4)
            ))
        case .source:
            return .source(SourceRecord(
                tenant: try row.text(0), carrier: try row.text(1), scheme: try row.optionalText(2), header: try row.optionalText(3),
                prefix: try row.optionalText(4), toleranceSeconds: try row.optionalInt(5).map { Int(truncatingIfNeeded: $0) },
                timezone: try row.optionalText(6), createdAt: try row.timestamp(7)
            ))
        case .secret:
            return .secret(tenant: try row.text(1), carrier: try row.text(2), SecretRecord(
                id: try row.text(0), bytes: try row.blob(3), encrypted: try row.bool(4), createdAt: try row.timestamp(5)
            ))
        case .apiKey:
            return .apiKey(APIKeyRecord(
                id: try row.text(0), tenant: try row.text(1), digest: try row.blob(2), label: try row.optionalText(3), createdAt: try row.timestamp(4)
            ))
        case .endpoint: return .endpoint(try Self.endpoint(row))
        case .delivery: return .delivery(try Self.delivery(row))
        case .attempt:
            return .attempt(AttemptRecord(
                attempt: try row.count(0), trigger: try row.text(1), startedAt: try row.timestamp(2), durationMilliseconds: try row.int(3),
                statusCode: try row.optionalInt(4).map { Int(truncatingIfNeeded: $0) }, responseExcerpt: try row.optionalText(5), error: try row.optionalText(6)
            ))
        case .attemptSample:
            return .attemptSample(AttemptSample(startedAt: try row.timestamp(0), durationMilliseconds: try row.int(1), succeeded: try row.bool(2)))
        case .outboxEvent:
            var event = OutboxEvent(
                id: try row.int(0), tenant: try row.text(1), fulfillmentId: try row.text(2), type: try row.text(3), fromStatus: try row.text(4),
                toStatus: try row.text(5), trackingStatus: try row.optionalText(6), carrier: try row.optionalText(7), serviceLevel: try row.optionalText(8),
                trackingNumber: try row.optionalText(9), orderId: try row.optionalText(10), sequence: try row.optionalInt(11) ?? 0,
                reason: try row.optionalText(12), location: try row.optionalText(13), retryId: try row.optionalText(14),
                occurredAt: try row.timestamp(15), recordedAt: try row.timestamp(16), retryReason: try row.optionalText(17),
                retryAttempts: try row.optionalInt(18).map { Int(truncatingIfNeeded: $0) },
                scanCode: try row.optionalText(19), scanDescription: try row.optionalText(20)
            )
            event.traceParent = try row.optionalText(21)
            return .outboxEvent(event)
        case .carrierCount:
            return .carrierCount(CarrierStats(carrier: try row.text(0), serviceLevel: try row.text(1), exceptions: try row.int(2), deliveries: try row.int(3)))
        case .transitBucket:
            guard let bucket = Int(exactly: try row.int(2)), (0..<TransitHistogram.bucketCount).contains(bucket) else {
                throw .internalError("A stored transit-time bucket is out of range")
            }
            return .transitBucket(carrier: try row.text(0), serviceLevel: try row.text(1), bucket: bucket, count: try row.int(3))
        case .dailyCount:
            return .dailyCount(DailyCounts(day: try row.int(0), shipments: try row.int(1), deliveries: try row.int(2), exceptions: try row.int(3)))
        case .ingestCount:
            return .ingestCount(IngestCount(tenant: try row.text(0), minute: try row.int(1), outcome: try row.text(2), code: try row.text(3), count: try row.int(4)))
        case .queueStat:
            return .queueStat(status: try row.text(0), count: try row.int(1), attempts: try row.int(2), oldest: try row.optionalTimestamp(3))
        case .retryAttempt:
            return .retryAttempt(RetryAttempt(attempt: try row.count(0), at: try row.timestamp(1), outcome: try row.text(2), error: try row.optionalText(3)))
        case .consoleSession:
            return .consoleSession(ConsoleSessionRecord(digest: try row.text(0), tenant: try row.optionalText(1), createdAt: try row.timestamp(2),
                                                        expiresAt: try row.timestamp(3)))
        }
    }

    private static func endpoint(_ row: some RowReader) throws(GatewayError) -> EndpointRecord {
        let created = try row.timestamp(19)
        let previous: SecretRecord? = try row.isNull(9) ? nil : SecretRecord(id: "previous", bytes: try row.blob(9), encrypted: try row.bool(10), createdAt: created)
        let types = try row.text(4)
        return EndpointRecord(
            id: try row.text(0), tenant: try row.text(1), url: try row.text(2), description: try row.optionalText(3),
            eventTypes: types.isEmpty ? [] : types.split(separator: ",").map(String.init), enabled: try row.bool(5), disabledReason: try row.optionalText(6),
            secret: SecretRecord(id: "current", bytes: try row.blob(7), encrypted: try row.bool(8), createdAt: created),
            previousSecret: previous, previousExpiresAt: try row.optionalTimestamp(11), retryPolicyJSON: try row.optionalText(12),
            ratePerSecond: try row.optionalDouble(13),
            circuit: CircuitRecord(state: try row.text(14), consecutiveFailures: try row.count(15), openedAt: try row.optionalTimestamp(16),
                                   openUntil: try row.optionalTimestamp(17), firstFailureAt: try row.optionalTimestamp(18)),
            createdAt: created, updatedAt: try row.timestamp(20), rateTokens: try row.optionalDouble(21), rateUpdatedAt: try row.optionalTimestamp(22)
        )
    }

    private static func delivery(_ row: some RowReader) throws(GatewayError) -> DeliveryRecord {
        let id = try row.text(0)
        guard let status = DeliveryStatus(rawValue: try row.text(8)) else { throw .internalError("Delivery '\(id)' has an unknown status in the database") }
        var delivery = DeliveryRecord(
            id: id, tenant: try row.text(1), endpointId: try row.text(2), eventId: try row.text(3), eventType: try row.text(4),
            fulfillmentId: try row.optionalText(5), sequence: try row.optionalInt(6), payload: try row.blob(7), status: status,
            attempts: try row.count(9), nextAttemptAt: try row.timestamp(10), lastError: try row.optionalText(11),
            lastStatusCode: try row.optionalInt(12).map { Int(truncatingIfNeeded: $0) }, claimToken: try row.optionalText(13),
            createdAt: try row.timestamp(14), updatedAt: try row.timestamp(15)
        )
        delivery.traceParent = try row.optionalText(16)
        return delivery
    }

    private static func fulfillment(_ row: some RowReader, tenant: String) throws(GatewayError) -> Fulfillment {
        let id = try row.text(0)
        guard let status = FulfillmentStatus(rawValue: try row.text(2)) else {
            throw .internalError("Fulfillment '\(id)' has an unknown status in the database")
        }
        return Fulfillment(
            id: id, tenant: tenant, orderId: try row.text(1), status: status,
            carrier: try row.optionalText(3), trackingNumber: try row.optionalText(4), serviceLevel: try row.optionalText(5),
            actualDelivery: try row.optionalTimestamp(6), latestEventAt: try row.optionalTimestamp(7),
            createdAt: try row.timestamp(8), updatedAt: try row.timestamp(9), eventSequence: try row.int(10),
            shippedAt: try row.optionalTimestamp(11)
        )
    }

    /// `historyColumns` from column `first` on.
    private static func historyEntry(_ row: some RowReader, from first: Int) throws(GatewayError) -> TrackingHistoryEntry {
        TrackingHistoryEntry(
            id: try row.int(first), status: TrackingStatus(rawValue: try row.text(first + 1)) ?? .unknown,
            fulfillmentStatus: FulfillmentStatus(rawValue: try row.text(first + 2)) ?? .pending,
            carrierStatusCode: try row.optionalText(first + 3), description: try row.text(first + 4),
            location: try location(row, from: first + 5),
            occurredAt: try row.timestamp(first + 10), receivedAt: try row.timestamp(first + 11), applied: try row.bool(first + 12)
        )
    }

    /// `location_city, location_region, location_postal_code, location_country_code, location_text` from `first` on; `nil` when all are empty.
    private static func location(_ row: some RowReader, from first: Int) throws(GatewayError) -> TrackingLocation? {
        let location = TrackingLocation(
            city: try row.optionalText(first), region: try row.optionalText(first + 1), postalCode: try row.optionalText(first + 2),
            countryCode: try row.optionalText(first + 3), text: try row.optionalText(first + 4)
        )
        return location.isEmpty ? nil : location
    }

    private static func retryEntry(_ row: some RowReader) throws(GatewayError) -> RetryEntry {
        var entry = RetryEntry(
            id: try row.text(0), tenant: try row.text(1), carrier: try row.text(2), body: try row.blob(3),
            headers: RetryStatements.decodeHeaders(try row.text(4)),
            reason: RetryReason(rawValue: try row.text(5)) ?? .unmatched, receiptKey: try row.optionalText(6), matchKey: try row.optionalText(7),
            attempts: try row.count(8), nextAttemptAt: try row.timestamp(9),
            status: RetryStatus(rawValue: try row.text(10)) ?? .pending, lastError: try row.optionalText(11),
            createdAt: try row.timestamp(12), updatedAt: try row.timestamp(13), claimToken: try row.optionalText(14)
        )
        entry.traceParent = try row.optionalText(15)
        return entry
    }
}

/// A row as one of the store's records.
indirect enum DecodedRow: Sendable {
    case keyed(String, DecodedRow)
    case texts([String])
    case fulfillment(Fulfillment)
    case historyEntry(fulfillmentId: String, TrackingHistoryEntry)
    case refused(RefusedEventRef)
    case text(String)
    case integer(Int64)
    case retryEntry(RetryEntry)
    case statusCount(String, Int64)
    case tenant(TenantRecord)
    case source(SourceRecord)
    case secret(tenant: String, carrier: String, SecretRecord)
    case apiKey(APIKeyRecord)
    case endpoint(EndpointRecord)
    case delivery(DeliveryRecord)
    case attempt(AttemptRecord)
    case attemptSample(AttemptSample)
    case outboxEvent(OutboxEvent)
    case carrierCount(CarrierStats)
    case transitBucket(carrier: String, serviceLevel: String, bucket: Int, count: Int64)
    case dailyCount(DailyCounts)
    case ingestCount(IngestCount)
    case queueStat(status: String, count: Int64, attempts: Int64, oldest: Timestamp?)
    case retryAttempt(RetryAttempt)
    case consoleSession(ConsoleSessionRecord)
}

/// A row read from column `by` on: how ``RowDecoder/keyed(_:)`` hands the rest of a row to another decoder.
private struct ShiftedRow<Base: RowReader>: RowReader {
    let base: Base
    let by: Int

    func isNull(_ column: Int) throws(GatewayError) -> Bool { try base.isNull(column + by) }
    func int(_ column: Int) throws(GatewayError) -> Int64 { try base.int(column + by) }
    func double(_ column: Int) throws(GatewayError) -> Double { try base.double(column + by) }
    func text(_ column: Int) throws(GatewayError) -> String { try base.text(column + by) }
    func blob(_ column: Int) throws(GatewayError) -> [UInt8] { try base.blob(column + by) }
    func bool(_ column: Int) throws(GatewayError) -> Bool { try base.bool(column + by) }
}
