import AsyncHTTPClient
import Foundation
import NIOCore
@testable import ParcelGateServer
import Testing

/// The client's errors as attempt results, with descriptions that never repeat an error's own text.
@Suite struct TransportFailureTests {
    @Test func mapsTheClientsErrors() {
        #expect(TransportFailure.describe(AddressRefusedError(refusal: .privateNetwork, address: "10.1.2.3")) ==
            (.addressRefused, "connection refused by the SSRF policy: private address"))
        #expect(TransportFailure.describe(HTTPClientError.connectTimeout).result == .timeout)
        #expect(TransportFailure.describe(HTTPClientError.deadlineExceeded).result == .timeout)
        #expect(TransportFailure.describe(ChannelError.connectTimeout(.seconds(1))).result == .timeout)
        #expect(TransportFailure.describe(HTTPClientError.remoteConnectionClosed).result == .connectionFailed)
        #expect(TransportFailure.describe(IOError(errnoCode: ECONNRESET, reason: "read")) == (.connectionFailed, "connection failed: connection reset"))
    }

    /// An error that carries a header value (here a signature) is described by its kind only.
    @Test func descriptionsCarryNoValues() {
        let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        let described = TransportFailure.describe(HTTPClientError.invalidHeaderFieldValues([signature]))
        #expect(described.result == .connectionFailed)
        #expect(!described.description.contains("g0hM9SsE"))
    }
}
