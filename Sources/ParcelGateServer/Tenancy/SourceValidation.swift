import ParcelGateCarriers
import ParcelGateCore

/// The checks a source passes before it is stored, from config or the operator API alike.
enum SourceValidation {
    /// The source's resolved signature settings (the adapter's defaults with its overrides).
    static func settings(_ source: SourceConfig, registry: CarrierRegistry) throws(GatewayError) -> SignatureSettings {
        guard let adapter = registry.adapter(for: source.carrier) else {
            throw .badRequest("unknown carrier '\(source.carrier)'; known: \(registry.slugs.joined(separator: ", "))")
        }
        return try source.signatureSettings(defaults: adapter.defaultSignature)
    }

    /// Throws unless the source loads as the directory would load it, with every one of `source.secrets`.
    static func check(_ source: SourceConfig, registry: CarrierRegistry) throws(GatewayError) {
        let settings = try settings(source, registry: registry)
        if let zone = source.timezone, TimeZoneResolver.zoneExists(zone) == false {
            throw .badRequest("unknown time zone '\(zone)'")
        }
        let secrets = source.effectiveSecrets(settings: settings)
        if !secrets.isEmpty { _ = try SignatureVerifier(settings: settings, secrets: secrets) }
    }
}
