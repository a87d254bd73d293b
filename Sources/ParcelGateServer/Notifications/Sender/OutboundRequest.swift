import Foundation

/// One delivery attempt as the sender sees it: where, which headers, which bytes. Always a `POST`.
///
/// Built by the delivery worker from a stored delivery: `headers` are the Standard Webhooks headers of this
/// attempt (``WebhookSigner/headers(messageId:timestamp:body:)``); the sender adds `user-agent` and
/// `content-type` itself, so every delivery carries the same ones whoever builds the request.
package struct OutboundRequest: Sendable {
    /// The absolute URL, as the HTTP client reads it.
    package let url: String
    package let headers: [(String, String)]
    package let body: Data

    /// A URL that passed ``EndpointURLPolicy``: the normal way, so only a checked URL is ever sent to.
    package init(endpoint: EndpointURL, headers: [(String, String)], body: Data) {
        // An IPv6 host keeps the brackets it was written with (EndpointURLPolicy lower-cases `[..]` as a whole).
        self.init(url: "\(endpoint.scheme)://\(endpoint.host):\(endpoint.port)\(endpoint.pathAndQuery)", headers: headers, body: body)
    }

    /// A URL as text, unchecked: for tests and tools. The connected address is still checked by the sender's
    /// ``ConnectionAddressGuard``, whatever the text says.
    package init(url: String, headers: [(String, String)], body: Data) {
        self.url = url
        self.headers = headers
        self.body = body
    }
}
