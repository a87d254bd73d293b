/// Sends one delivery attempt and reports what happened. Never throws: every failure is a fact about the
/// attempt (``AttemptReport/result``) for ``DeliveryClassifier`` to judge, so the delivery worker has one path.
///
/// ``AsyncHTTPWebhookSender`` is the real one; tests of the worker may stand in their own.
package protocol WebhookSending: Sendable {
    func send(_ request: OutboundRequest) async -> AttemptReport
}
