import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateServer

/// Target `config`: the YAML config loader (``GatewayConfig/parse(_:origin:)``) over the bytes as a
/// config file's text, then what the gateway does with a loaded config before and while it serves:
/// every retry policy validated, stored as JSON and read back, and every attempt's due time computed;
/// rate limits validated and sized; database batching checked; every source's signature settings
/// resolved against its carrier's defaults and its verifier built.
///
/// Its own target (depending on ParcelGateServer) so ParcelGateFuzzing stays free of the server's
/// dependencies; `scripts/fuzz.sh` compiles only the config sources of ParcelGateServer, with Yams.
package enum FuzzConfig {
    /// A fixed clock, so an input always behaves the same way.
    static let now = Timestamp(milliseconds: 1_763_531_360_000)

    package static func run(_ raw: UnsafeRawBufferPointer) {
        // As `GatewayConfig.load(path:)` reads a file: lossy UTF-8.
        let text = String(decoding: raw, as: UTF8.self)
        guard let config = try? GatewayConfig.parse(text, origin: "fuzz") else { return }
        schedule(config.retry)
        _ = try? config.database.batching(crashAfterCommits: nil)
        _ = try? config.database.grouping()
        let registry = CarrierRegistry.standard
        for tenant in config.tenants {
            schedule(tenant.retry)
            _ = try? tenant.rateLimit?.validated().capacity
            for source in tenant.sources {
                guard let adapter = registry.adapter(for: source.carrier),
                    let settings = try? source.signatureSettings(defaults: adapter.defaultSignature)
                else { continue }
                if let zone = source.timezone { _ = TimeZoneResolver.zoneExists(zone) }
                if !source.secrets.isEmpty { _ = try? SignatureVerifier(settings: settings, secrets: source.secrets) }
            }
        }
    }

    /// A retry policy the way the gateway uses one: validated, stored with the tenant as JSON and read
    /// back (``RetryConfig/json``), then the due time of every attempt as `nextAttempt` computes it, with
    /// a seeded generator for the jitter so a crash reproduces.
    private static func schedule(_ retry: RetryConfig?) {
        guard let retry, let policy = try? retry.policy() else { return }
        _ = try? RetryConfig(json: retry.json).policy()
        var generator = SplitMix64(seed: 0x5EED)
        for attempt in 1...max(1, policy.maxAttempts) {
            // The due time, and how the retry API shows it.
            _ = now.adding(milliseconds: policy.delayMilliseconds(attempt: attempt, using: &generator)).rfc3339
        }
    }
}
