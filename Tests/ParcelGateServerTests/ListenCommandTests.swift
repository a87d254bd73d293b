import Foundation
@testable import ParcelGateClient
import ParcelGateCore
@testable import ParcelGateServer
import Testing

/// `parcelgate listen` as a real process: what it answers, what it prints, how it stops, how it refuses flags.
@Suite(.timeLimit(.minutes(1))) struct ListenCommandTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A running `parcelgate listen` and its standard output, line by line.
    final class ListenProcess: @unchecked Sendable {
        let process = ChildProcess()
        private let output = Pipe()
        private var lines: AsyncStream<String>.AsyncIterator
        private(set) var port = 0

        init(arguments: [String]) throws {
            process.executableURL = try GatewayProcess.executable()
            process.arguments = ["listen"] + arguments
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let (lineStream, continuation) = AsyncStream<String>.makeStream()
            lines = lineStream.makeAsyncIterator()
            let handle = output.fileHandleForReading
            // A detached reader: availableData blocks a thread, never one of the cooperative pool's.
            Thread.detachNewThread {
                var pending = ""
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    pending += String(decoding: data, as: UTF8.self)
                    while let newline = pending.firstIndex(of: "\n") {
                        continuation.yield(String(pending[..<newline]))
                        pending = String(pending[pending.index(after: newline)...])
                    }
                }
                continuation.finish()
            }
            try process.run()
        }

        /// The next line printed; fails when the process closed its output.
        func nextLine() async throws -> String {
            guard let line = await lines.next() else { throw HTTPClientError.connectionClosed }
            return line
        }

        /// Waits for the `listen on` line and reads the port from it.
        func waitUntilListening() async throws {
            let line = try await nextLine()
            let prefix = "parcelgate listen on http://127.0.0.1:"
            #expect(line.hasPrefix(prefix), "\(line)")
            port = Int(line.dropFirst(prefix.count)) ?? 0
        }

        func post(_ body: String, headers: [(String, String)]) async throws -> Int {
            let connection = try await HTTPConnection.connect(host: "127.0.0.1", port: port)
            defer { Task { await connection.close() } }
            return try await connection.send(method: "POST", path: "/any/path", headers: headers + [("Content-Type", "application/json")], body: Array(body.utf8)).status
        }
    }

    static func signed(_ body: String, id: String, secret: String = secret) throws -> [(String, String)] {
        try WebhookSigner(secrets: [secret]).headers(messageId: id, timestamp: SystemClock().now(), body: Data(body.utf8))
    }

    @Test func verifiesPrintsFailsFirstAndCountsDuplicates() async throws {
        let listen = try ListenProcess(arguments: ["--secret", Self.secret, "--port", "0", "--fail-first", "1"])
        defer { if listen.process.isRunning { listen.process.terminate() } }
        try await listen.waitUntilListening()

        let body = #"{"type":"delivery.exception","id":"evt_1","timestamp":"2027-01-15T08:00:00.000Z","data":{"fulfillment_id":"ful-1001","sequence":4}}"#
        let headers = try Self.signed(body, id: "msg_listen_1")

        // First delivery: verified, failed on purpose; its retry is accepted; a third copy is a duplicate.
        #expect(try await listen.post(body, headers: headers) == 503)
        let first = try await listen.nextLine()
        #expect(first.contains(" delivery.exception fulfillment=ful-1001 sequence=4 webhook-id=msg_listen_1 verified -> 503"), "\(first)")
        #expect(try await listen.post(body, headers: headers) == 204)
        let second = try await listen.nextLine()
        #expect(second.hasSuffix("webhook-id=msg_listen_1 verified -> 204"), "\(second)")
        #expect(try await listen.post(body, headers: headers) == 204)
        let third = try await listen.nextLine()
        #expect(third.hasSuffix("webhook-id=msg_listen_1 verified duplicate -> 204"), "\(third)")

        // Signed with another secret: 401, not verified, and it spends no --fail-first.
        let forged = try Self.signed(body, id: "msg_listen_2", secret: WebhookSecret.generate())
        #expect(try await listen.post(body, headers: forged) == 401)
        let fourth = try await listen.nextLine()
        #expect(fourth.hasSuffix("webhook-id=msg_listen_2 NOT VERIFIED (Signature does not match) -> 401"), "\(fourth)")

        listen.process.terminate()  // SIGTERM: a graceful stop
        let summary = try await listen.nextLine()
        #expect(summary == "parcelgate listen stopped: received 4, verified 3, failed signatures 1, duplicates 1")
        listen.process.waitUntilExit()
        #expect(listen.process.terminationReason == .exit && listen.process.terminationStatus == 0)
    }

    @Test func statusFlagAnswersEveryVerifiedDelivery() async throws {
        let listen = try ListenProcess(arguments: ["--secret", Self.secret, "--port", "0", "--status", "410"])
        defer { if listen.process.isRunning { listen.process.terminate() } }
        try await listen.waitUntilListening()
        let body = #"{"type":"ping","id":"evt_2","timestamp":"2027-01-15T08:00:00.000Z","data":{}}"#
        #expect(try await listen.post(body, headers: try Self.signed(body, id: "msg_gone")) == 410)
        let line = try await listen.nextLine()
        #expect(line.hasSuffix(" ping fulfillment=- sequence=- webhook-id=msg_gone verified -> 410"), "\(line)")
        kill(listen.process.processIdentifier, SIGINT)
        #expect(try await listen.nextLine() == "parcelgate listen stopped: received 1, verified 1, failed signatures 0, duplicates 0")
    }

    @Test(arguments: [
        (["--port", "0"], "--secret is required"),
        (["--secret", secret, "--port", "abc"], "--port must be a whole number from 0 to 65535"),
        (["--secret", secret, "--port", "70000"], "--port must be a whole number"),
        (["--secret", secret, "--fail-first=-1"], "--fail-first must be a whole number"),
        (["--secret", secret, "--fail-first", "some"], "--fail-first must be a whole number"),
        (["--secret", secret, "--status", "99"], "--status must be a whole number from 200 to 599"),
        (["--secret", "whsec_!!!"], "--secret must be whsec_ followed by base64"),
        (["--secret", secret, "--bogus"], "unknown argument '--bogus'"),
    ])
    func badFlagsExitWithStatus2(_ arguments: [String], _ message: String) async throws {
        let (status, output) = try await GatewayProcess.runCLI(["listen"] + arguments)
        #expect(status == 2, "\(output)")
        #expect(output.contains("Error: \(message)"), "\(output)")
    }
}
