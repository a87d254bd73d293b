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
        var generator = SeededGenerator(state: 0x5EED)
        for attempt in 1...max(1, policy.maxAttempts) {
            // The due time, and how the retry API shows it.
            _ = now.adding(milliseconds: policy.delayMilliseconds(attempt: attempt, using: &generator)).rfc3339
        }
    }

    /// SplitMix64: deterministic jitter draws.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
