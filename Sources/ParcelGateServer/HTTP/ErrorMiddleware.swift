import Hummingbird
import Logging
import ParcelGateCore

/// Turns every failure under it, ours or the framework's (unknown route, bad method), into the
/// documented JSON error body with the request id, and logs it without request content.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return Self.response(for: error, context: context)
        } catch let error as HTTPError {
            return Self.response(for: Self.translate(error), context: context)
        } catch {
            context.logger.error("Unhandled error", metadata: ["error.type": "\(type(of: error))"])
            return Self.response(for: .internalError("Internal error"), context: context)
        }
    }

    static func response(for error: GatewayError, context: Context) -> Response {
        if error.httpStatus >= 500 {
            context.logger.error("Request failed", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
        } else {
            context.logger.info("Request rejected", metadata: ["code": "\(error.code)", "status": "\(error.httpStatus)"])
        }
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return JSONResponse.make(
            HTTPResponse.Status(code: error.httpStatus),
            ErrorBody(code: error.code, detail: error.detail, requestId: context.id),
            headers: headers
        )
    }

    /// The framework's own errors, in our vocabulary.
    static func translate(_ error: HTTPError) -> GatewayError {
        switch error.status.code {
        case 404: return .notFound("No route for this method and path")
        case 405: return .notFound("Method not allowed on this path")
        case 413: return .payloadTooLarge(limit: 0)
        case 400..<500: return .badRequest(error.body ?? error.status.reasonPhrase)
        default: return .internalError("Internal error")
        }
    }
}
