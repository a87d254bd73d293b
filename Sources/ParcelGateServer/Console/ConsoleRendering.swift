import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import ParcelGateCore

/// The console's templates, parsed once at start-up into one Mustache library.
struct ConsoleRenderer: Sendable {
    let library: MustacheLibrary

    init() throws(GatewayError) {
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all {
            do {
                try library.register(text, named: name)
            } catch {
                throw .internalError("The console template '\(name)' does not parse")
            }
        }
        self.library = library
    }

    func render(_ view: Any, _ template: String) -> String {
        library.render(view, withTemplate: template) ?? ""
    }
}

/// The console's responses: HTML with its security headers, redirects, and the two static assets.
enum ConsoleResponse {
    /// No inline script or style, nothing from another origin, no framing, forms only to this origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: secured(fields), body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// `303 See Other` to a path of the console.
    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        return Response(status: .seeOther, headers: secured(fields))
    }

    static func asset(_ text: String, type: String) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = type
        fields[.cacheControl] = "public, max-age=300"
        fields[.contentSecurityPolicy] = contentSecurityPolicy
        fields[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The headers every console page carries.
    static func secured(_ headers: HTTPFields) -> HTTPFields {
        var fields = headers
        fields[.contentSecurityPolicy] = contentSecurityPolicy
        fields[.xContentTypeOptions] = "nosniff"
        fields[.cacheControl] = "no-store"
        if let referrer = HTTPField.Name("Referrer-Policy") { fields[referrer] = "no-referrer" }
        if let frames = HTTPField.Name("X-Frame-Options") { fields[frames] = "DENY" }
        return fields
    }

    static func status(_ error: GatewayError) -> HTTPResponse.Status {
        HTTPResponse.Status(code: error.httpStatus)
    }
}
