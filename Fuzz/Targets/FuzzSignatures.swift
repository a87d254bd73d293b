import Foundation
import ParcelGateCarriers
import ParcelGateCore

/// Target `signatures`: header parsing and verification of every signature scheme.
///
/// The input is text-shaped so a regression file can be read and written by hand:
///
///     <setup name>\n<value of header 1>\n<value of header 2>\n...<body>
///
/// The first line picks a setup: a carrier slug (that adapter's default settings and its sample secret)
/// or a scheme's raw value (that scheme with plain settings, the only way to reach `standard-webhooks`).
/// A name that matches none still picks one, by a hash, so every mutation exercises a verifier. The next
/// lines give the setup's header values in ``Setup/headerNames`` order (an empty line leaves the header
/// out); whatever follows is the body. The clock is fixed, so an input always behaves the same way.
package enum FuzzSignatures {
    struct Setup: Sendable {
        let name: String
        let verifier: SignatureVerifier
        /// The headers the input's lines give values for, in order: the scheme's fixed names for
        /// `standard-webhooks`, otherwise `header` then every alternative location.
        let headerNames: [String]
    }

    /// 60 s after the first Shippo sample's `t=`, so that sample (in the seed corpus) verifies end to end
    /// and the fuzzer starts from an accepted signature as well as from rejected ones.
    static let now = Timestamp(milliseconds: 1_763_531_360_000)

    /// Secrets of the carrier samples (`../shared/carrier-samples/signatures.json`), so the seeds made from
    /// them carry signatures that match; a second secret per setup exercises rotation (any key may match).
    static let sampleSecrets: [String: String] = [
        "ups": "ups_test_fixture_credential", "fedex": "fdx_test_fixture_token", "dhl": "dhl_test_fixture_token",
        "easypost": "ep_test_\u{FB01}xture_secret", "shippo": "shippo_test_fixture_secret", "aftership": "as_test_fixture_secret",
        "seventeentrack": "0F1E2D3C4B5A69788796A5B4C3D2E1F0",
        "shipengine": shipEngineJWKS,
    ]

    /// ShipEngine's test JWKS (`_test_secrets.shipengine_jwks`): its samples verify with it. A source of the
    /// `rsa-sha256-jwks` scheme holds a JWKS as its secret.
    static let shipEngineJWKS = #"{"keys":[{"kty":"RSA","kid":"se-fixture-test-key-2025-11","use":"sig","alg":"RS256","n":"rux30zGsH_ObNEo6cXDT5Zc6R9cC7I8KMu1AbItC53NmFCeY_D9Mbq2OuRVtXUPoY-V-Rt0Kh8bc2YSh2z6F63cf1ADST0muw-Id9d9uNzzBadeRcT0wQ_Ruf7MA3D0Px6xs7Wr2QC97sNxbcBm5rv4-jVnkFm7uXncsRZBrO7-kCqCMeu1eTRXFjZasm4dbRmTjvtD50jKtHNDKmSvkTfqyZp6bgViZCuzQ_LtarR35qQYUtN3faaGo7Xvd7m3fun8E_eUbpH9Ysu498Cx1SPnqcSAg900P-Q7kCkS9-MJwrf_zg026G9VBFVI3EktpT-wErb2qM9tDHPjm5lY7UQ","e":"AQAB"}]}"#

    /// Every adapter's default settings, then every scheme on its own. Built once: verifiers derive keys.
    static let setups: [Setup] = {
        var setups: [Setup] = []
        let registry = CarrierRegistry.standard
        for slug in registry.slugs {
            guard let adapter = registry.adapter(for: slug) else { continue }
            setups.append(contentsOf: setup(slug, adapter.defaultSignature, secret: sampleSecrets[slug] ?? "\(slug)_fuzz_secret"))
        }
        for scheme in SignatureScheme.allCases {
            let secret = switch scheme {
            case .standardWebhooks: "whsec_" + Data("fuzz-standard-webhooks-key".utf8).base64EncodedString()
            case .rsaSHA256JWKS: shipEngineJWKS
            default: "fuzz_secret"
            }
            setups.append(contentsOf: setup(scheme.rawValue, SignatureSettings(scheme: scheme, header: "X-Fuzz-Signature"), secret: secret))
        }
        return setups
    }()

    /// The names the first line can give, for the regression test's check that no setup failed to build.
    package static var setupNames: [String] { setups.map(\.name) }
    package static var expectedSetupCount: Int { CarrierRegistry.standard.slugs.count + SignatureScheme.allCases.count }

    private static func setup(_ name: String, _ settings: SignatureSettings, secret: String) -> [Setup] {
        // A JWKS holds public keys: its rotation is a second set, here the same one (a JWKS is not text to prefix).
        let rotated = switch settings.scheme {
        case .standardWebhooks: "whsec_" + Data("rotated-key".utf8).base64EncodedString()
        case .rsaSHA256JWKS: secret
        default: "rotated_" + secret
        }
        guard let verifier = try? SignatureVerifier(settings: settings, secrets: [rotated, secret]) else { return [] }
        typealias H = SignatureSettings.StandardWebhooksHeader
        typealias R = SignatureSettings.RSAKeyHeader
        let names = switch settings.scheme {
        case .standardWebhooks: [H.id, H.timestamp, H.signature]
        case .rsaSHA256JWKS: [settings.header, R.keyId, R.timestamp]
        default: [settings.header] + settings.alternatives.map(\.header)
        }
        return [Setup(name: name, verifier: verifier, headerNames: names)]
    }

    package static func run(_ raw: UnsafeRawBufferPointer) {
        let bytes = raw.uint8
        guard !setups.isEmpty else { return }
        var start = 0
        /// The next line (without its `\n`); the last line runs to the end of the input.
        func line() -> UnsafeBufferPointer<UInt8>.SubSequence {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { start = min(end + 1, bytes.count) }
            return bytes[start..<end]
        }
        let nameBytes = line()
        let name = String(decoding: nameBytes, as: UTF8.self)
        let hash = nameBytes.reduce(0) { ($0 &* 31) &+ Int($1) }
        let setup = setups.first { $0.name == name } ?? setups[Int(hash.magnitude % UInt(setups.count))]
        var fields: [(String, String)] = []
        for header in setup.headerNames {
            guard start < bytes.count else { break }
            let value = line()
            if !value.isEmpty { fields.append((header, String(decoding: value, as: UTF8.self))) }
        }
        let body = Data(UnsafeRawBufferPointer(rebasing: raw[start...]))
        _ = try? setup.verifier.verify(body: body, headers: HeaderList(fields), now: now)
    }
}
