import ParcelGateCore

/// The retry queue's operations (docs/architecture.md, "The retry queue"), with the claim-token rule
/// (``RetryClaim``): a mark lands only while its claim still holds the pending entry.
enum RetryWorkflows {
    static func store(_ entry: RetryEntry) -> Workflow<String> {
        Workflow(.write, .run([RetryStatements.insert(entry)], finishing: entry.id))
    }

    /// Due entries, stamped with one fresh claim token and leased, oldest first.
    static func claimDue(limit: Int, leaseMilliseconds: Int64, now: Timestamp) -> Workflow<[RetryEntry]> {
        let claim = RetryStatements.claimDue(now: now, limit: limit, leaseUntil: now.adding(milliseconds: leaseMilliseconds), token: RetryClaim.newToken())
        return Workflow(.write, .run(claim) { claimed throws(GatewayError) in
            .done(claimed.retryEntries.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) })
        })
    }

    static func markSucceeded(id: String, claimToken: String, now: Timestamp) -> Workflow<Void> {
        // The attempt's audit row rides in the same batch: when the claim is lost the step throws and both roll back.
        Workflow(.write, .run([RetryStatements.markSucceeded(id: id, token: claimToken, now: now),
                               RetryStatements.insertAttempt(id: id, at: now, outcome: "succeeded", error: nil)]) { results throws(GatewayError) in
            try held(try results.result(0), id: id)
            return .done(())
        })
    }

    /// Counts a failed attempt: the next time from `policy`, or `exhausted` at its maximum (``RetryEntry/recordFailure``).
    static func markFailed(id: String, claimToken: String, error: String, policy: BackoffPolicy, now: Timestamp) -> Workflow<RetryEntry> {
        Workflow(.write, .run(RetryStatements.find(id: id, tenant: nil, lock: true)) { found throws(GatewayError) in
            guard var entry = found.retryEntries.first, entry.status == .pending, entry.claimToken == claimToken else { throw RetryClaim.lost(id) }
            entry.recordFailure(error, policy: policy, now: now)
            let failed = entry
            var writes = [RetryStatements.markFailed(failed, token: claimToken, error: error, now: now),
                          RetryStatements.insertAttempt(id: id, at: now, outcome: failed.status == .exhausted ? "exhausted" : "failed", error: error)]
            // A dead letter is announced to the tenant's endpoints (`retry.exhausted`), in the same transaction.
            if failed.status == .exhausted { writes.append(WebhookStatements.recordDeadLetter(failed, reason: error, at: now)) }
            return .run(writes) { results throws(GatewayError) in
                try held(try results.result(0), id: id)
                return .done(failed)
            }
        })
    }

    /// A permanent failure: a dead letter at once, announced to the tenant's endpoints (`retry.exhausted`).
    static func markExhausted(id: String, claimToken: String, reason: String, now: Timestamp) -> Workflow<Void> {
        Workflow(.write, .run([RetryStatements.markExhausted(id: id, token: claimToken, reason: reason, now: now),
                               RetryStatements.find(id: id, tenant: nil, lock: false),
                               RetryStatements.insertAttempt(id: id, at: now, outcome: "exhausted", error: reason)]) { results throws(GatewayError) in
            try held(try results.result(0), id: id)
            guard let entry = try results.result(1).retryEntries.first else { return .done(()) }
            return .run([WebhookStatements.recordDeadLetter(entry, reason: reason, at: now)], finishing: ())
        })
    }

    static func list(tenant: String, status: RetryStatus?, limit: Int) -> Workflow<[RetryEntry]> {
        Workflow(.read, .run(RetryStatements.list(tenant: tenant, status: status, limit: limit)) { rows throws(GatewayError) in .done(rows.retryEntries) })
    }

    static func find(tenant: String, id: String) -> Workflow<RetryEntry?> {
        Workflow(.read, .run(RetryStatements.find(id: id, tenant: tenant, lock: false)) { rows throws(GatewayError) in .done(rows.retryEntries.first) })
    }

    /// A pending or exhausted entry back to pending, due now, with a fresh count. Its claim is voided: an
    /// attempt still running under it no longer records anything.
    static func replay(tenant: String, id: String, now: Timestamp) -> Workflow<RetryEntry> {
        Workflow(.write, .run(RetryStatements.find(id: id, tenant: tenant, lock: true)) { found throws(GatewayError) in
            guard var entry = found.retryEntries.first else { throw .notFound("Retry entry '\(id)' not found") }
            guard entry.status != .succeeded else { throw .conflict("Retry entry '\(id)' has already succeeded") }
            entry.status = .pending
            entry.attempts = 0
            entry.nextAttemptAt = now
            entry.updatedAt = now
            entry.claimToken = nil
            return .run([RetryStatements.restart(id: id, now: now)], finishing: entry)
        })
    }

    static func counts() -> Workflow<[RetryStatus: Int]> {
        Workflow(.read, .run(RetryStatements.countByStatus) { rows throws(GatewayError) in
            var counts: [RetryStatus: Int] = [:]
            for (status, count) in rows.statusCounts {
                if let status = RetryStatus(rawValue: status) { counts[status] = Int(truncatingIfNeeded: count) }
            }
            return .done(counts)
        })
    }

    /// Dead letters older than the dead-letter retention, with their attempt logs.
    static func purgeExhausted(before: Timestamp) -> Workflow<Int> {
        Workflow(.write, .run(RetryStatements.purgeExhausted(before: before)) { deleted throws(GatewayError) in .done(deleted.changes) })
    }

    /// The operator's view: every tenant's entries, or one tenant's.
    static func listAll(tenant: String?, status: RetryStatus?, limit: Int) -> Workflow<[RetryEntry]> {
        Workflow(.read, .run(RetryStatements.listAll(tenant: tenant, status: status, limit: limit)) { rows throws(GatewayError) in .done(rows.retryEntries) })
    }

    /// The tenant's entry with its attempt log, or `nil`.
    static func findWithAttempts(tenant: String, id: String) -> Workflow<(RetryEntry, [RetryAttempt])?> {
        Workflow(.snapshot, .run([RetryStatements.find(id: id, tenant: tenant, lock: false), RetryStatements.attempts(tenant: tenant, id: id)]) {
            results throws(GatewayError) in
            guard let entry = try results.result(0).retryEntries.first else { return .done(nil) }
            return .done((entry, try results.result(1).retryAttempts))
        })
    }

    static func purgeSucceeded(before: Timestamp) -> Workflow<Int> {
        Workflow(.write, .run(RetryStatements.purgeSucceeded(before: before)) { deleted throws(GatewayError) in .done(deleted.changes) })
    }

    /// A mark changed no row: the claim no longer holds the pending entry.
    private static func held(_ updated: StatementResult, id: String) throws(GatewayError) {
        guard updated.changes == 1 else { throw RetryClaim.lost(id) }
    }
}
