import ArgumentParser
import Foundation
import Hummingbird
import ParcelGateCarriers

/// `parcelgate baseline`: the yardstick for `parcelgate bench`, a bare Hummingbird route that only reads
/// the body and checks its HMAC, nothing else (no parsing, no database). ParcelGate's durable path is
/// compared against it.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "baseline", abstract: "Serve a bare HMAC-checking route, to compare bench figures against.")

    @Option var host: String = "127.0.0.1"
    @Option var port: Int = 8081
    @Option var secret: String = "demo-generic-secret"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let verifier = try SignatureVerifier(settings: GenericAdapter().defaultSignature, secrets: [secret])
        let router = Router()
        router.post("/v1/hooks/{tenant}/{carrier}") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let headers = HeaderList(request.headers.map { ($0.name.rawName, $0.value) })
            do {
                _ = try verifier.verify(body: Data(body.readableBytesView), headers: headers, now: .init(milliseconds: 0))
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
            } catch {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"code":"invalid_signature"}"#)))
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)))
        try await app.runService()
    }
}
