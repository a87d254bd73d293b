import Foundation
import Logging
import ParcelGateCore
import ParcelGateStore

/// One attempt at a claimed delivery: sign, send, classify, schedule, record (issue 15, "Delivery semantics").
/// The worker's scheduled attempts and the API's manual ones (retry-now, test) run this same code, so a
/// manual attempt is logged, counted and recorded exactly like a scheduled one.
struct DeliveryExecutor: Sendable {
    let store: any GatewayStore
    let sender: any WebhookSending
    let secrets: EndpointSecrets
    let urlPolicy: EndpointURLPolicy
    let classifier: DeliveryClassifier
    let circuitSettings: CircuitSettings
    let clock: any GatewayClock
    let logger: Logger
    let metrics: GatewayMetrics
    /// Each attempt is an HTTP client span that sends its `traceparent` (README, "Tracing").
    var tracer: GatewayTracer = .off

    /// Sends `claimed` once and records the attempt; the delivery as it is afterwards, or `nil` when the claim
    /// was lost meanwhile (another worker owns it now: nothing is recorded twice).
    @discardableResult
    func attempt(_ claimed: ClaimedDelivery, trigger: String) async -> DeliveryRecord? {
        guard tracer.isOn else { return await attempt(claimed, trigger: trigger, span: TraceSpan(nil)) }
        let delivery = claimed.delivery
        // A child of the API request for a manual attempt; else a root, linked to the change it notifies.
        return await tracer.span("parcelgate.webhook.attempt", kind: .client, links: delivery.traceParent.map { [$0] } ?? []) { span in
            span.set("http.request.method", "POST")
            span.set("parcelgate.tenant", delivery.tenant)
            span.set("webhook.delivery_id", delivery.id)
            span.set("webhook.endpoint_id", claimed.endpoint.id)
            span.set("webhook.event_type", delivery.eventType)
            span.set("webhook.attempt", delivery.attempts + 1)
            span.set("webhook.trigger", trigger)
            return await attempt(claimed, trigger: trigger, span: span)
        }
    }

    private func attempt(_ claimed: ClaimedDelivery, trigger: String, span: TraceSpan) async -> DeliveryRecord? {
        let endpoint = claimed.endpoint, delivery = claimed.delivery
        let startedAt = clock.now()
        let report = await send(delivery, to: endpoint, at: startedAt, span: span)
        let now = clock.now()
        let outcome = classifier.classify(report.result, now: now)
        let finish = Self.finish(outcome, delivery: delivery, endpoint: endpoint, now: now)
        let settings = circuitSettings
        let succeeded = outcome == .success
        let gone: Bool = if case .permanent(true) = outcome { true } else { false }
        let record = AttemptRecord(attempt: delivery.attempts + 1, trigger: trigger, startedAt: startedAt,
                                   durationMilliseconds: report.durationMilliseconds, statusCode: report.statusCode,
                                   responseExcerpt: report.responseExcerpt, error: report.error)
        let result: String = switch outcome {
        case .success: "success"
        case .transient: "transient"
        case .permanent: "permanent"
        }
        var metadata: Logger.Metadata = [
            "tenant": "\(delivery.tenant)", "endpoint": "\(endpoint.id)", "delivery": "\(delivery.id)", "type": "\(delivery.eventType)",
            "attempt": "\(record.attempt)", "trigger": "\(trigger)", "result": "\(result)", "duration_ms": "\(report.durationMilliseconds)",
        ]
        if let code = report.statusCode { metadata["status_code"] = "\(code)" }
        if let error = report.error { metadata["error"] = "\(error)" }
        span.set("webhook.result", result)
        if let code = report.statusCode { span.set("http.response.status_code", code) }
        if !succeeded {
            span.set("error.type", report.statusCode.map(String.init) ?? report.result.spanErrorType)
            span.fail()
        }
        do {
            let finished = try await store.finishDelivery(id: delivery.id, claimToken: delivery.claimToken ?? "", attempt: record, succeeded: succeeded,
                                                          finish: finish, now: now) { stored in
                Self.circuitChange(stored, settings: settings, succeeded: succeeded, gone: gone, now: now)
            }
            metadata["status"] = "\(finished.status.rawValue)"
            logger.info("Webhook attempt", metadata: metadata)
            metrics.webhookAttempt(tenant: delivery.tenant, result: result, milliseconds: report.durationMilliseconds)
            if finished.status == .delivered || finished.status == .exhausted {
                metrics.webhookDelivery(tenant: delivery.tenant, outcome: finished.status.rawValue)
            }
            return finished
        } catch {
            metadata["detail"] = "\(error.detail)"
            logger.warning("Webhook attempt not recorded", metadata: metadata)
            return nil
        }
    }

    /// The request, signed with the endpoint's secrets now; an endpoint whose URL the current policy refuses
    /// (the operator narrowed `allowed_networks`) is not contacted at all.
    private func send(_ delivery: DeliveryRecord, to endpoint: EndpointRecord, at now: Timestamp, span: TraceSpan) async -> AttemptReport {
        do {
            let url = try urlPolicy.validate(endpoint.url)
            // The endpoint's address without its query (which may carry a token of the platform's).
            span.set("url.full", "\(url.scheme)://\(url.host):\(url.port)\(url.pathAndQuery.prefix { $0 != "?" && $0 != "#" })")
            span.set("server.address", url.host)
            span.set("server.port", url.port)
            let body = Data(delivery.payload)
            // The W3C trace context goes with the request, so the platform's trace continues from this span.
            let headers = try secrets.signer(for: endpoint, now: now).headers(messageId: delivery.id, timestamp: now, body: body)
                + tracer.propagationHeaders(span)
            return await sender.send(OutboundRequest(endpoint: url, headers: headers, body: body))
        } catch {
            return AttemptReport(result: .addressRefused, durationMilliseconds: 0, error: error.detail)
        }
    }

    /// What the outcome does to the delivery: delivered, the next attempt by the endpoint's retry policy (a
    /// bounded `Retry-After` can only lengthen the wait), or exhausted.
    static func finish(_ outcome: DeliveryOutcome, delivery: DeliveryRecord, endpoint: EndpointRecord, now: Timestamp) -> DeliveryFinish {
        switch outcome {
        case .success:
            return .delivered
        case .permanent:
            return .exhausted
        case .transient(let retryAfter):
            let config = endpoint.retryPolicyJSON.flatMap { try? RetryConfig(json: $0) }
            let policy = (try? DeliveryRetryPolicy.policy(for: config)) ?? DeliveryRetryPolicy.default
            let failed = delivery.attempts.addingReportingOverflow(1).overflow ? Int.max : delivery.attempts + 1
            guard let next = DeliveryRetryPolicy.nextAttempt(policy: policy, failedAttempts: failed, retryAfterMilliseconds: retryAfter, now: now) else {
                return .exhausted
            }
            return .retry(at: next)
        }
    }

    /// The breaker's step for this attempt, from the circuit as stored now (another attempt may have moved it).
    static func circuitChange(_ stored: CircuitRecord, settings: CircuitSettings, succeeded: Bool, gone: Bool, now: Timestamp) -> CircuitChange? {
        let state = (try? stored.decoded()) ?? .closed(failures: 0, firstFailureAt: nil)
        var breaker = CircuitBreaker(settings: settings, state: state)
        let action = succeeded ? breaker.recordSuccess(now: now) : breaker.recordFailure(now: now, gone: gone)
        var change = CircuitChange(circuit: CircuitRecord(breaker.state))
        if case .disableEndpoint(let reason) = action {
            change.disableReason = switch reason {
            case .gone: "gone"
            case .failingSince: "failing"
            }
        }
        return change
    }

    /// How many of an endpoint's deliveries may start now (``EndpointAdmission``): up to the per-endpoint
    /// limit while its circuit is closed, one probe once an open circuit's cool-down has ended, none otherwise;
    /// and never more than its rate limit's bucket holds. The bucket (burst: one second's worth, at least one)
    /// is stored with the endpoint, so the limit holds across replicas.
    static func admission(_ endpoint: EndpointRecord, inFlight: Int, perEndpoint: Int, settings: CircuitSettings, now: Timestamp) -> EndpointAdmission {
        guard endpoint.enabled else { return EndpointAdmission(slots: 0) }
        let state = (try? endpoint.circuit.decoded()) ?? .closed(failures: 0, firstFailureAt: nil)
        var breaker = CircuitBreaker(settings: settings, state: state)
        var admission: EndpointAdmission
        switch breaker.attemptDecision(now: now) {
        case .proceed:
            admission = EndpointAdmission(slots: max(perEndpoint - inFlight, 0))
        case .probe:
            admission = inFlight == 0 ? EndpointAdmission(slots: 1, circuit: CircuitRecord(breaker.state)) : EndpointAdmission(slots: 0)
        case .wait:
            return EndpointAdmission(slots: 0)
        }
        // A rate from the database is used only when it is a sane number (the API bounds it; a row edited by hand
        // must not reach the arithmetic below as infinity or NaN).
        if let rate = endpoint.ratePerSecond, rate.isFinite, rate > 0, rate <= 1_000_000 {
            let burst = max(rate, 1)
            let elapsed = endpoint.rateUpdatedAt.map { Double(CircuitBreaker.length($0, now)) / 1000 } ?? .infinity
            let stored = endpoint.rateTokens.flatMap { $0.isFinite ? $0 : nil } ?? burst
            let tokens = max(0, min(burst, stored + elapsed * rate))
            admission.rateTokens = tokens
            admission.slots = min(admission.slots, Int(max(tokens.rounded(.down), 0)))
        }
        return admission
    }
}
