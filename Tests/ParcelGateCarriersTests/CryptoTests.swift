@testable import ParcelGateCarriers
@testable import ParcelGateCore
import Testing

@Suite struct CryptoTests {
    /// RFC 4231 test cases 2 (a short key) and 6 (a key longer than the block, hashed first).
    @Test func hmacMatchesRFC4231() throws {
        #expect(ByteEncoding.hex(try HMACKey(Array("Jefe".utf8)).authenticate(Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(ByteEncoding.hex(try HMACKey([UInt8](repeating: 0xAA, count: 131)).authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func sha256OfTheEmptyString() throws {
        #expect(ByteEncoding.hex(try Crypto.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// A digest OpenSSL cannot compute is an error, never 32 zero bytes that a forged all-zero MAC would match.
    @Test func aFailingDigestIsAnErrorNotZeros() {
        #expect(throws: GatewayError.internalError("A SHA-256 digest failed in OpenSSL")) {
            try Crypto.digest(Array("body".utf8), using: nil)
        }
    }

    /// A static token is compared through fixed-size digests: a prefix, an extension or an empty value of the
    /// right token all fail, and the right token passes.
    @Test func staticTokensCompareByDigest() throws {
        let settings = SignatureSettings(scheme: .staticToken, header: "Authorization", prefix: "Bearer ")
        let verifier = try SignatureVerifier(settings: settings, secrets: ["s3cret-token"])
        let now = Timestamp(seconds: 1_800_000_000)
        _ = try verifier.verify(body: .init(), headers: HeaderList([("Authorization", "Bearer s3cret-token")]), now: now)
        for wrong in ["s3cret", "s3cret-token-and-more", "", "S3CRET-TOKEN"] {
            #expect(throws: GatewayError.self) {
                try verifier.verify(body: .init(), headers: HeaderList([("Authorization", "Bearer \(wrong)")]), now: now)
            }
        }
        let key = try SigningKey(secret: "s3cret-token", settings: settings)
        #expect(key.digest == (try Crypto.sha256(Array("s3cret-token".utf8))))
    }
}
