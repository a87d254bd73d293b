import ParcelGateCarriers
import Testing

@Suite struct CryptoTests {
    /// RFC 4231 test cases 2 (a short key) and 6 (a key longer than the block, hashed first).
    @Test func hmacMatchesRFC4231() {
        #expect(ByteEncoding.hex(HMACKey(Array("Jefe".utf8)).authenticate(Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(ByteEncoding.hex(HMACKey([UInt8](repeating: 0xAA, count: 131)).authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func sha256OfTheEmptyString() {
        #expect(ByteEncoding.hex(Crypto.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
