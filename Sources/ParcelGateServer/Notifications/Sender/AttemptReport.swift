/// What one delivery attempt observed, ready to be stored as an attempt row and classified.
///
/// Every field is bounded and safe to show the platform: the excerpt is at most ``ResponseExcerpt/maxBytes``
/// of valid UTF-8, and `error` is a short description written by the sender (never the receiver's words,
/// never a header value, so never a signature).
package struct AttemptReport: Sendable, Hashable {
    /// The fact ``DeliveryClassifier`` decides on.
    package var result: AttemptResult
    /// From just before the request was handed to the client to the end of reading the answer.
    package var durationMilliseconds: Int64
    /// The receiver's status, when it sent one.
    package var statusCode: Int?
    /// The start of the response body (``ResponseExcerpt``); `nil` when there was none.
    package var responseExcerpt: String?
    /// Why the attempt failed, or what went wrong after the status arrived; `nil` for a clean answer.
    package var error: String?

    package init(result: AttemptResult, durationMilliseconds: Int64, statusCode: Int? = nil, responseExcerpt: String? = nil, error: String? = nil) {
        self.result = result
        self.durationMilliseconds = durationMilliseconds
        self.statusCode = statusCode
        self.responseExcerpt = responseExcerpt
        self.error = error
    }
}
