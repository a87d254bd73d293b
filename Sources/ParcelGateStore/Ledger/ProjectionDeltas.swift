import ParcelGateCore

/// What one transaction adds to the projections (docs/architecture.md, "Projections"), decided without I/O from
/// the changes it records: a fulfillment created, and its domain events. Written last in the transaction, as
/// one upsert per counter row, merged (a callback that moves SHIPPED -> IN_TRANSIT -> DELIVERED writes
/// SHIPPED -1 and DELIVERED +1, nothing for IN_TRANSIT) and sorted, so concurrent transactions on PostgreSQL
/// take the rows' locks in one order and cannot deadlock on them. A tracking scan that keeps the status writes
/// nothing.
///
/// Every counter row is one of ``shards`` per group, chosen by a stable hash of the fulfillment id: two
/// callbacks of one tenant rarely wait for the same row. Reads sum the shards; a rebuild writes shard 0.
struct ProjectionDeltas {
    static let shards = 8

    private var status: [StatusKey: Int64] = [:]
    private var carrier: [CarrierKey: (exceptions: Int64, deliveries: Int64)] = [:]
    private var transit: [TransitKey: Int64] = [:]
    private var daily: [DailyKey: (shipments: Int64, deliveries: Int64, exceptions: Int64)] = [:]

    struct StatusKey: Hashable, Comparable {
        var tenant: String, status: String, shard: Int
        static func < (a: Self, b: Self) -> Bool { (a.tenant, a.status, a.shard) < (b.tenant, b.status, b.shard) }
    }
    struct CarrierKey: Hashable, Comparable {
        var tenant: String, carrier: String, serviceLevel: String, shard: Int
        static func < (a: Self, b: Self) -> Bool { (a.tenant, a.carrier, a.serviceLevel, a.shard) < (b.tenant, b.carrier, b.serviceLevel, b.shard) }
    }
    struct TransitKey: Hashable, Comparable {
        var tenant: String, carrier: String, serviceLevel: String, bucket: Int, shard: Int
        static func < (a: Self, b: Self) -> Bool {
            (a.tenant, a.carrier, a.serviceLevel, a.bucket, a.shard) < (b.tenant, b.carrier, b.serviceLevel, b.bucket, b.shard)
        }
    }
    struct DailyKey: Hashable, Comparable {
        var tenant: String, day: Int64, shard: Int
        static func < (a: Self, b: Self) -> Bool { (a.tenant, a.day, a.shard) < (b.tenant, b.day, b.shard) }
    }

    /// FNV-1a over the id's bytes: the same shard in every process and on every replica.
    static func shard(_ fulfillmentId: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in fulfillmentId.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int(hash % UInt32(shards))
    }

    /// A new fulfillment, in PENDING.
    mutating func created(tenant: String, fulfillmentId: String) {
        status[StatusKey(tenant: tenant, status: FulfillmentStatus.pending.rawValue, shard: Self.shard(fulfillmentId)), default: 0] += 1
    }

    /// One recorded domain event; `event.fulfillment` is the fulfillment after the change.
    mutating func record(_ event: LedgerPlan.DomainEvent) {
        let f = event.fulfillment
        let shard = Self.shard(f.id)
        if event.from != f.status {
            status[StatusKey(tenant: f.tenant, status: event.from.rawValue, shard: shard), default: 0] -= 1
            status[StatusKey(tenant: f.tenant, status: f.status.rawValue, shard: shard), default: 0] += 1
        }
        let group = CarrierKey(tenant: f.tenant, carrier: f.carrier ?? "", serviceLevel: f.serviceLevel ?? "", shard: shard)
        let day = DailyKey(tenant: f.tenant, day: UTCDay.day(of: event.occurredAt), shard: shard)
        switch event.type {
        case .deliveryException:
            carrier[group, default: (0, 0)].exceptions += 1
            daily[day, default: (0, 0, 0)].exceptions += 1
        case .deliveryConfirmed:
            carrier[group, default: (0, 0)].deliveries += 1
            daily[day, default: (0, 0, 0)].deliveries += 1
            if let shipped = f.shippedAt, let delivered = f.actualDelivery {
                let (elapsed, overflow) = delivered.milliseconds.subtractingReportingOverflow(shipped.milliseconds)
                let bucket = TransitHistogram.bucket(milliseconds: overflow ? (delivered < shipped ? .min : .max) : elapsed)
                transit[TransitKey(tenant: f.tenant, carrier: group.carrier, serviceLevel: group.serviceLevel, bucket: bucket, shard: shard), default: 0] += 1
            }
        case .fulfillmentStatusChanged:
            if f.status == .shipped && event.from != .shipped { daily[day, default: (0, 0, 0)].shipments += 1 }
        case .trackingEventReceived:
            break
        }
    }

    /// The upserts, sorted by table and key, without the ones that net to nothing.
    var statements: [Statement] {
        var writes: [Statement] = []
        for (key, delta) in status.sorted(by: { $0.key < $1.key }) where delta != 0 {
            writes.append(ProjectionStatements.addStatus(tenant: key.tenant, status: key.status, shard: key.shard, delta: delta))
        }
        for (key, delta) in carrier.sorted(by: { $0.key < $1.key }) where delta != (0, 0) {
            writes.append(ProjectionStatements.addCarrier(tenant: key.tenant, carrier: key.carrier, serviceLevel: key.serviceLevel, shard: key.shard,
                                                          exceptions: delta.exceptions, deliveries: delta.deliveries))
        }
        for (key, delta) in transit.sorted(by: { $0.key < $1.key }) where delta != 0 {
            writes.append(ProjectionStatements.addTransit(tenant: key.tenant, carrier: key.carrier, serviceLevel: key.serviceLevel, bucket: key.bucket,
                                                          shard: key.shard, delta: delta))
        }
        for (key, delta) in daily.sorted(by: { $0.key < $1.key }) where delta != (0, 0, 0) {
            writes.append(ProjectionStatements.addDaily(tenant: key.tenant, day: key.day, shard: key.shard,
                                                        shipments: delta.shipments, deliveries: delta.deliveries, exceptions: delta.exceptions))
        }
        return writes
    }

    /// The upserts for `events` alone.
    static func statements(for events: [LedgerPlan.DomainEvent]) -> [Statement] {
        var deltas = ProjectionDeltas()
        for event in events { deltas.record(event) }
        return deltas.statements
    }
}
