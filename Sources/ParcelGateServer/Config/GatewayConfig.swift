import Foundation
import ParcelGateCore
import Yams

/// The configuration file (DESIGN §8): YAML, of which JSON is a subset.
public struct GatewayConfig: Sendable, Decodable {
    public var tenants: [TenantConfig]
    public var server: ServerConfig

    public init(tenants: [TenantConfig], server: ServerConfig = ServerConfig()) {
        self.tenants = tenants
        self.server = server
    }

    enum CodingKeys: String, CodingKey { case tenants, server }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tenants = try container.decodeIfPresent([TenantConfig].self, forKey: .tenants) ?? []
        server = try container.decodeIfPresent(ServerConfig.self, forKey: .server) ?? ServerConfig()
    }

    /// Reads and decodes a config file; errors name the file and what is wrong with it.
    public static func load(path: String) throws(GatewayError) -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badRequest("Cannot read config file '\(path)'")
        }
        return try parse(String(decoding: data, as: UTF8.self), origin: path)
    }

    public static func parse(_ text: String, origin: String = "config") throws(GatewayError) -> GatewayConfig {
        do {
            return try YAMLDecoder().decode(GatewayConfig.self, from: text)
        } catch let error as DecodingError {
            throw .badRequest("Invalid config '\(origin)': \(error.summary)")
        } catch {
            throw .badRequest("Invalid config '\(origin)': \(error)")
        }
    }
}

public struct ServerConfig: Sendable, Decodable {
    public var maxBodyBytes: Int = 1_048_576

    public init(maxBodyBytes: Int = 1_048_576) { self.maxBodyBytes = maxBodyBytes }

    enum CodingKeys: String, CodingKey { case maxBodyBytes = "max_body_bytes" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? 1_048_576
    }
}

public struct TenantConfig: Sendable, Decodable {
    public var slug: String
    public var apiKeys: [String]
    public var sources: [SourceConfig]

    public init(slug: String, apiKeys: [String], sources: [SourceConfig]) {
        self.slug = slug
        self.apiKeys = apiKeys
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey {
        case slug, sources
        case apiKeys = "api_keys"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        slug = try container.decode(String.self, forKey: .slug)
        apiKeys = try container.decodeIfPresent([String].self, forKey: .apiKeys) ?? []
        sources = try container.decodeIfPresent([SourceConfig].self, forKey: .sources) ?? []
    }
}

/// A carrier source: what is left out comes from the carrier adapter's defaults.
public struct SourceConfig: Sendable, Decodable {
    public var carrier: String
    public var scheme: String?
    public var header: String?
    public var prefix: String?
    public var secrets: [String]
    public var toleranceSeconds: Int?
    public var timezone: String?

    public init(carrier: String, scheme: String? = nil, header: String? = nil, prefix: String? = nil,
                secrets: [String], toleranceSeconds: Int? = nil, timezone: String? = nil) {
        self.carrier = carrier
        self.scheme = scheme
        self.header = header
        self.prefix = prefix
        self.secrets = secrets
        self.toleranceSeconds = toleranceSeconds
        self.timezone = timezone
    }

    enum CodingKeys: String, CodingKey {
        case carrier, scheme, header, prefix, secrets, timezone
        case toleranceSeconds = "tolerance_s"
    }
}
