import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ParcelGateCarriers
import ParcelGateCore
import ServiceLifecycle

/// `parcelgate listen`: a development receiver for platform notifications, as `stripe listen` or `svix listen`
/// are for theirs (README, "`parcelgate listen`"). It verifies each delivery with the inbound Standard
/// Webhooks verifier (the same code that checks carriers' callbacks, tolerance window included), prints one
/// line per delivery, and can fail on purpose to show the gateway's retries.
///
/// Flag values are read here rather than by the argument parser, so every bad flag (a value out of range, a
/// missing `--secret`, an unknown flag) is one clear message and exit status 2.
struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Receive platform notifications locally: verify and print each delivery.",
        discussion: """
            Register http://HOST:PORT/ (any path) as a webhook endpoint, with notifications.allow_http and the
            address in notifications.allowed_networks, and pass the endpoint's secret. Deliveries whose
            signature does not verify are answered 401; --fail-first answers the first N verified ones 503.
            """
    )

    @Option(help: "The endpoint's signing secret, whsec_... (shown when the endpoint is created or rotated).")
    var secret: String?

    @Option(help: "Port to listen on, 0 picks a free one (default 9000).")
    var port: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .customLong("fail-first"), help: "Answer the first N verified deliveries with 503 (default 0).")
    var failFirst: String?

    @Option(help: "Status for verified deliveries after the failures, 200-599 (default 204).")
    var status: String?

    /// Whatever the parser did not recognise, so it can be refused with exit status 2 like any other bad flag.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var unrecognized: [String] = []

    /// The largest delivery read; a notification is a few KiB.
    static let maxBodyBytes = 1 << 20

    func run() async throws {
        let settings: Settings
        do {
            settings = try Settings(self)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error.detail)\nUsage: parcelgate listen --secret whsec_... [--port 9000] [--host 127.0.0.1] [--fail-first N] [--status CODE]\n".utf8))
            throw ExitCode(2)
        }
        var logger = Logger(label: "parcelgate-listen")
        logger.logLevel = .warning
        let receiver = ListenReceiver(verifier: settings.verifier, failFirst: settings.failFirst, status: settings.status)
        let clock = SystemClock()
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                Self.say("\(clock.now().rfc3339) NOT VERIFIED (body larger than \(Self.maxBodyBytes) bytes) -> 413")
                return Response(status: .contentTooLarge)
            }
            let headers = HeaderList(request.headers.map { ($0.name.rawName, $0.value) })
            let delivery = receiver.receive(body: Array(buffer: body), headers: headers, now: clock.now())
            Self.say(delivery.line)
            return Response(status: HTTPResponse.Status(code: delivery.status))
        }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "parcelgate-listen"),
            onServerRunning: { channel in
                // Scripts and tests find the port in this line.
                Self.say("parcelgate listen on http://\(settings.host):\(channel.localAddress?.port ?? settings.port)")
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        Self.say(receiver.summary)
    }

    /// One line on standard output, written at once (a pipe would otherwise hold it in a buffer).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The flags, checked.
    struct Settings {
        let verifier: SignatureVerifier
        let host: String
        let port: Int
        let failFirst: Int
        let status: Int

        init(_ command: ListenCommand) throws(GatewayError) {
            if let first = command.unrecognized.first { throw .badRequest("unknown argument '\(ListenReceiver.printable(first))'") }
            guard let secret = command.secret, !secret.isEmpty else {
                throw .badRequest("--secret is required: the endpoint's signing secret, whsec_...")
            }
            do {
                verifier = try SignatureVerifier(settings: SignatureSettings(scheme: .standardWebhooks, header: SignatureSettings.StandardWebhooksHeader.signature),
                                                 secrets: [secret])
            } catch {
                throw .badRequest("--secret must be whsec_ followed by base64, as the gateway shows it")
            }
            host = command.host ?? "127.0.0.1"
            guard !host.isEmpty else { throw .badRequest("--host must not be empty") }
            port = try Self.number(command.port, "--port", in: 0...65_535, default: 9_000)
            failFirst = try Self.number(command.failFirst, "--fail-first", in: 0...1_000_000, default: 0)
            status = try Self.number(command.status, "--status", in: 200...599, default: 204)
        }

        private static func number(_ text: String?, _ flag: String, in range: ClosedRange<Int>, default value: Int) throws(GatewayError) -> Int {
            guard let text else { return value }
            guard let number = StrictNumber.int(text, in: range) else {
                throw .badRequest("\(flag) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(ListenReceiver.printable(text))'")
            }
            return number
        }
    }
}
