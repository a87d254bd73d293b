import Logging
import ParcelGateCarriers
import ParcelGateCore
import Synchronization

/// Fetches the document at a JWKS URL: the one seam between the key cache and the network.
package protocol KeySetFetching: Sendable {
    /// The body of a successful (200) answer, at most `limit` bytes; anything else throws.
    func fetch(_ location: KeySetLocation, limit: Int) async throws(GatewayError) -> [UInt8]
}

/// The carriers' public signing keys fetched from their JWKS URLs (ShipEngine's `https://api.shipengine.com/jwks`),
/// shared by every source and request of the gateway.
///
/// - **Cached:** a set fetched once serves every callback until it is ``Settings/maxAgeSeconds`` old.
/// - **Refreshed when a callback names a key id no cached set holds** (the carrier rotated its key), but at most
///   once per ``Settings/minRefreshIntervalSeconds`` per URL, whatever the request: a forger sending random key ids
///   costs one fetch per interval, and is then answered `invalid_signature` from the cache.
/// - **Coalesced:** concurrent callbacks that need the same URL wait for one fetch.
/// - **Bounded:** a document is at most ``JSONWebKeySet/maximumBytes`` and 64 keys; the cache holds at most
///   ``Settings/maxEntries`` URLs (the least recently fetched goes first).
/// - **Stale rather than nothing:** a failed refresh keeps the set already held. Only when no set was ever
///   fetched does a callback get `503 keys_unavailable`, which tells the carrier to send it again; it is not
///   charged as a failed signature.
package final class KeySetCache: Sendable {
    package struct Settings: Sendable {
        package var maxAgeSeconds: Int64
        package var minRefreshIntervalSeconds: Int64
        package var maxEntries: Int

        package init(maxAgeSeconds: Int64 = 3_600, minRefreshIntervalSeconds: Int64 = 60, maxEntries: Int = 64) {
            self.maxAgeSeconds = maxAgeSeconds
            self.minRefreshIntervalSeconds = minRefreshIntervalSeconds
            self.maxEntries = maxEntries
        }
    }

    private struct Entry {
        var set: JSONWebKeySet?
        var fetchedAt: Timestamp?
        var lastAttempt: Timestamp?
        var inFlight: Task<JSONWebKeySet?, Never>?
    }

    private let fetcher: any KeySetFetching
    /// The gateway's clock (a test's manual clock): intervals are measured on it.
    private let clock: any GatewayClock
    private let settings: Settings
    private let logger: Logger
    private let entries = Mutex<[KeySetLocation: Entry]>([:])
    private let fetchCount = Atomic<Int>(0)

    package init(fetcher: any KeySetFetching, clock: any GatewayClock, settings: Settings = Settings(), logger: Logger) {
        self.fetcher = fetcher
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// How many fetches were started since the cache was made (for tests and logs).
    package var fetches: Int { fetchCount.load(ordering: .relaxed) }

    /// The sets at `locations` to verify a callback naming `keyId` with: from the cache when it can, after one
    /// (coalesced, rate-limited) fetch when no fresh set holds the key. Throws `keys_unavailable` only when not
    /// one of the locations has ever yielded a set.
    package func keySets(for locations: [KeySetLocation], keyId: String?) async throws(GatewayError) -> [JSONWebKeySet] {
        let now = clock.now()
        let (cached, awaiting) = entries.withLock { entries in plan(locations, keyId: keyId, now: now, entries: &entries) }
        var sets = cached
        for task in awaiting {
            if let set = await task.value { sets.append(set) }
        }
        guard !sets.isEmpty else {
            throw .keysUnavailable("The carrier's signing keys could not be fetched; send the callback again later")
        }
        return sets
    }

    /// Decides, under the lock, which sets serve as they are and which are fetched, and starts those fetches
    /// (recorded as in flight before the lock is released), so concurrent callers agree on one fetch per URL.
    private func plan(_ locations: [KeySetLocation], keyId: String?, now: Timestamp,
                      entries: inout [KeySetLocation: Entry]) -> ([JSONWebKeySet], [Task<JSONWebKeySet?, Never>]) {
        let held = locations.contains { location in
            guard let entry = entries[location], let set = entry.set, let fetchedAt = entry.fetchedAt else { return false }
            return !Self.elapsed(from: fetchedAt, to: now, atLeast: settings.maxAgeSeconds) && (keyId.map { set.contains(keyId: $0) } ?? true)
        }
        var cached: [JSONWebKeySet] = []
        var awaiting: [Task<JSONWebKeySet?, Never>] = []
        for location in locations {
            var entry = entries[location] ?? Entry()
            if held {
                if let set = entry.set { cached.append(set) }
            } else if let task = entry.inFlight {
                awaiting.append(task)
            } else if entry.lastAttempt.map({ Self.elapsed(from: $0, to: now, atLeast: settings.minRefreshIntervalSeconds) }) ?? true {
                let task = startFetch(location)
                entry.lastAttempt = now
                entry.inFlight = task
                entries[location] = entry
                awaiting.append(task)
            } else if let set = entry.set {
                cached.append(set)
            }
        }
        Self.evict(&entries, limit: settings.maxEntries)
        return (cached, awaiting)
    }

    /// The fetch of `location`, as a task that records its result and yields the set now held: the new one, or
    /// the one held before when the fetch fails.
    private func startFetch(_ location: KeySetLocation) -> Task<JSONWebKeySet?, Never> {
        fetchCount.add(1, ordering: .relaxed)
        return Task {
            var fetched: JSONWebKeySet?
            do throws(GatewayError) {
                let set = try JSONWebKeySet(document: try await fetcher.fetch(location, limit: JSONWebKeySet.maximumBytes))
                logger.info("Fetched a JWKS", metadata: ["url": "\(location)", "key_ids": "\(set.keyIds.joined(separator: ","))"])
                fetched = set
            } catch {
                logger.warning("Could not fetch a JWKS; the keys already held, if any, still serve", metadata: ["url": "\(location)", "error": "\(error.detail)"])
            }
            let finished = clock.now()
            return entries.withLock { entries in
                var entry = entries[location] ?? Entry()
                entry.inFlight = nil
                if let fetched {
                    entry.set = fetched
                    entry.fetchedAt = finished
                }
                entries[location] = entry
                return entry.set
            }
        }
    }

    /// Keeps at most `limit` URLs: the ones tried least recently (never one in flight) go.
    private static func evict(_ entries: inout [KeySetLocation: Entry], limit: Int) {
        while entries.count > max(limit, 1) {
            let victim = entries.filter { $0.value.inFlight == nil }
                .min { ($0.value.lastAttempt?.milliseconds ?? .min) < ($1.value.lastAttempt?.milliseconds ?? .min) }?.key
            guard let victim else { return }
            entries[victim] = nil
        }
    }

    /// Whether `seconds` have passed from `start` to `now`; a clock stepped back counts as passed, so a wall-clock
    /// correction never freezes a refresh. Saturating arithmetic: no instant can trap.
    static func elapsed(from start: Timestamp, to now: Timestamp, atLeast seconds: Int64) -> Bool {
        let distance = now.milliseconds.subtractingSaturating(start.milliseconds)
        return distance < 0 || distance >= seconds.multipliedSaturating(by: 1000)
    }
}
