/// What an attempt's result means, as decided by ``DeliveryClassifier``.
package enum DeliveryOutcome: Sendable, Hashable {
    /// Delivered: a 2xx.
    case success
    /// Worth trying again later. `retryAfterMilliseconds` is the receiver's own `Retry-After`, already bounded by
    /// the classifier, or `nil` when the retry policy alone decides the wait.
    case transient(retryAfterMilliseconds: Int64?)
    /// Trying again will not help: the delivery is exhausted at once. `disablesEndpoint` when the receiver said
    /// the endpoint is gone for good (410).
    case permanent(disablesEndpoint: Bool)
}
