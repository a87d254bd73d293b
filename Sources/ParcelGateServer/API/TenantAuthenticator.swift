import Hummingbird
import ParcelGateCore

/// Resolves `Authorization: Bearer <tenant api key>` to the caller's tenant, or `unauthorized`.
struct TenantAuthenticator: Sendable {
    let directory: DirectoryProvider

    func tenant(for request: Request) throws(GatewayError) -> String {
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("An 'Authorization: Bearer <api key>' header is required")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("The Authorization header must be 'Bearer <api key>'")
        }
        guard let tenant = directory.current.tenant(forAPIKey: String(parts[1]).trimmingWhitespace()) else {
            throw .unauthorized("The API key is not valid")
        }
        return tenant
    }
}
