import Logging
import ParcelGateCore

/// Opens the backend a `--database` value names: a `postgres://` URL, or else a SQLite file path.
package enum StoreLocation {
    package static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    package static func open(_ location: String, durability: DurabilityMode, poolSize: Int?, batching: WriteBatching = WriteBatching(),
                            logger: Logger) async throws(GatewayError) -> any GatewayStore {
        if isPostgres(location) {
            return try await PostgresStore(settings: PostgresSettings(url: location, poolSize: poolSize), logger: logger)
        }
        return try SQLiteStore(path: location, durability: durability, batching: batching)
    }

    /// The location for messages and logs: a URL's password replaced.
    package static func redacted(_ location: String) -> String {
        isPostgres(location) ? PostgresSettings.redacted(location) : location
    }
}
