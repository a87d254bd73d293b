import Hummingbird
import ParcelGateCarriers
import ParcelGateCore

/// Who a request was authenticated as. Set by ``TenantAuthMiddleware`` or ``OperatorAuthMiddleware`` on the
/// request context; a handler behind one of them reads it, and never parses credentials itself.
enum Caller: Sendable, Hashable {
    case tenant(String)
    case `operator`
}

/// A request context that carries what authentication learned.
protocol AuthenticatedRequestContext: RequestContext {
    var caller: Caller? { get set }
}

extension AuthenticatedRequestContext {
    /// The tenant this request acts for; `unauthorized` when the route is not behind the tenant middleware.
    func tenant() throws(GatewayError) -> String {
        guard case .tenant(let slug) = caller else { throw .unauthorized("An 'Authorization: Bearer <api key>' header is required") }
        return slug
    }
}

/// The one reader of `Authorization: Bearer <token>`: the scheme in any case, the token with surrounding
/// blanks removed; anything else is `unauthorized` with the given message.
enum BearerToken {
    static func parse(_ request: Request, missing: String) throws(GatewayError) -> String {
        guard let header = request.headers[.authorization] else { throw .unauthorized(missing) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("The Authorization header must be 'Bearer <token>'")
        }
        let token = parts[1].trimmingWhitespace()
        guard !token.isEmpty else { throw .unauthorized(missing) }
        return token
    }
}

/// The platform API's authentication: a tenant API key, found by its digest in the current directory.
struct TenantAuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let directory: DirectoryProvider

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key = try BearerToken.parse(request, missing: "An 'Authorization: Bearer <api key>' header is required")
        guard let tenant = directory.current.tenant(forAPIKey: key) else { throw GatewayError.unauthorized("The API key is not valid") }
        var context = context
        context.caller = .tenant(tenant)
        return try await next(request, context)
    }
}

/// `PARCELGATE_OPERATOR_KEY`, held as its SHA-256 digest; a presented key is compared digest to digest in
/// constant time. The operator API and the console's operator sign-in both ask it.
struct OperatorKey: Sendable {
    private let digest: [UInt8]?

    init(key: String?) throws(GatewayError) {
        digest = try key.flatMap { key throws(GatewayError) in key.isEmpty ? nil : try Crypto.sha256(Array(key.utf8)) }
    }

    /// Whether an operator key is configured at all.
    var isConfigured: Bool { digest != nil }

    func matches(_ key: String) -> Bool {
        guard let digest, let presented = try? Crypto.sha256(Array(key.utf8)) else { return false }
        return Crypto.constantTimeEquals(presented, digest)
    }
}

/// The operator API's authentication: ``OperatorKey``. Without a configured key the operator API is disabled.
struct OperatorAuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let key: OperatorKey

    init(key: OperatorKey) {
        self.key = key
    }

    init(key: String?) throws(GatewayError) {
        self.key = try OperatorKey(key: key)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard key.isConfigured else { throw GatewayError.unauthorized("The operator API is disabled: set PARCELGATE_OPERATOR_KEY") }
        let presented = try BearerToken.parse(request, missing: "A valid operator key is required")
        guard key.matches(presented) else {
            throw GatewayError.unauthorized("A valid operator key is required")
        }
        var context = context
        context.caller = .operator
        return try await next(request, context)
    }
}
