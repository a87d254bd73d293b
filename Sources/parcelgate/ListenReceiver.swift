import Foundation
import ParcelGateCarriers
import ParcelGateCore
import Synchronization

/// What `parcelgate listen` makes of each delivery: verify, describe, dedupe, pick the answer, count.
///
/// Kept apart from the HTTP server so the rules read in one place: a delivery whose signature does not verify
/// is answered 401 (what a correct receiver answers) and spends none of `--fail-first`; a verified one is
/// answered 503 while `--fail-first` lasts, then `--status`. A webhook-id counts as seen once a delivery
/// with it has been *accepted* (verified and answered 2xx), as a receiver's dedupe would: the retry that
/// follows a 503 is the first acceptance, and any later copy is a `duplicate`.
final class ListenReceiver: Sendable {
    /// Accepted webhook-ids remembered for the duplicate check; the oldest is forgotten past this.
    static let rememberedIds = 10_000
    /// The longest text shown for one field of a delivery (a type, an id): a receiver prints untrusted bytes.
    static let maxFieldLength = 80

    private struct State {
        var received = 0
        var verified = 0
        var failedSignatures = 0
        var duplicates = 0
        var failuresAnswered = 0
        var accepted = Set<String>()
        var acceptedOrder: [String] = []
        var acceptedStart = 0
    }

    private let verifier: SignatureVerifier
    private let failFirst: Int
    private let status: Int
    private let state = Mutex(State())

    init(verifier: SignatureVerifier, failFirst: Int, status: Int) {
        self.verifier = verifier
        self.failFirst = failFirst
        self.status = status
    }

    /// The status to answer and the line to print for one delivery.
    func receive(body: [UInt8], headers: HeaderList, now: Timestamp) -> (status: Int, line: String) {
        var why: String?
        do {
            _ = try verifier.verify(body: Data(body), headers: headers, now: now)
        } catch {
            why = error.detail
        }
        let id = headers.value(for: SignatureSettings.StandardWebhooksHeader.id)
        let (answer, duplicate) = state.withLock { state -> (Int, Bool) in
            state.received += 1
            guard why == nil else {
                state.failedSignatures += 1
                return (401, false)
            }
            state.verified += 1
            if state.failuresAnswered < failFirst {
                state.failuresAnswered += 1
                return (503, false)
            }
            let duplicate = id.map { state.accepted.contains($0) } ?? false
            if duplicate { state.duplicates += 1 }
            if let id, !duplicate, (200...299).contains(status) { Self.remember(id, in: &state) }
            return (status, duplicate)
        }
        let payload = JSONValue.parse(body)
        let data = payload?.member("data")
        var fields = [
            now.rfc3339,
            Self.shown(payload?.member("type")),
            "fulfillment=" + Self.shown(data?.member("fulfillment_id")),
            "sequence=" + Self.shown(data?.member("sequence")),
            "webhook-id=" + Self.printable(id ?? "-"),
            why.map { "NOT VERIFIED (\($0))" } ?? "verified",
        ]
        if duplicate { fields.append("duplicate") }
        fields.append("-> \(answer)")
        return (answer, fields.joined(separator: " "))
    }

    /// The line printed when the receiver stops.
    var summary: String {
        state.withLock { state in
            "parcelgate listen stopped: received \(state.received), verified \(state.verified), "
                + "failed signatures \(state.failedSignatures), duplicates \(state.duplicates)"
        }
    }

    private static func remember(_ id: String, in state: inout State) {
        state.accepted.insert(id)
        state.acceptedOrder.append(id)
        if state.acceptedOrder.count - state.acceptedStart > rememberedIds {
            state.accepted.remove(state.acceptedOrder[state.acceptedStart])
            state.acceptedStart += 1
            // Drop the forgotten half at once rather than shifting the array on every delivery.
            if state.acceptedStart >= rememberedIds {
                state.acceptedOrder.removeFirst(state.acceptedStart)
                state.acceptedStart = 0
            }
        }
    }

    /// A string or number member as printable text; `-` when absent or of another type.
    private static func shown(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text): return printable(text)
        case .number(let text): return printable(text)
        default: return "-"
        }
    }

    /// At most ``maxFieldLength`` characters, control characters and blanks as `?`: a line per delivery, and
    /// no escape sequence from an unverified sender reaches the terminal.
    static func printable(_ text: String) -> String {
        let shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxFieldLength).map { scalar in
            scalar.properties.generalCategory == .control || scalar.properties.isWhitespace ? "?" : scalar
        }))
        return shown.isEmpty ? "-" : shown
    }
}

extension JSONValue {
    /// The member `name` of an object; `nil` for anything else.
    fileprivate func member(_ name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[name]
    }
}
