import Foundation
import ParcelGateCarriers
import ParcelGateCore
import ParcelGateServer

/// One payload file read as the gateway would read the same bytes posted to its carrier's hook: through
/// ``CallbackNormaliser`` with the adapter from the standard registry, the gateway's default limits, a
/// source's default time zone and the receipt time `now`. No server, no database.
///
/// `parcelgate inspect` prints what this finds; `parcelgate replay --setup` uses it to learn which
/// fulfillments the files will need, so both agree with the gateway and with each other.
struct CallbackInspector {
    let registry: CarrierRegistry
    /// `--carrier`: every file is this carrier's payload. Otherwise each file's folder names it.
    let carrierOverride: String?
    /// `--timezone`: the zone a source would be configured with for naive local times; UTC when `nil`.
    let timezone: String?
    let clock: any GatewayClock

    /// A file the gateway would accept, as canonical events.
    struct Inspected {
        let file: URL
        let carrier: String
        let callback: NormalisedCallback
    }

    /// Why a file gives no events. Each case says what to tell the QA engineer.
    enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case unknownCarrier(CommandFailure)
        /// What the gateway would answer: the same code and detail, e.g. `400 invalid_payload`.
        case rejected(GatewayError)

        var description: String {
            switch self {
            case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
            case .unknownCarrier(let failure): return failure.description
            case .rejected(let error): return "the gateway would answer \(error.httpStatus) \(error.code): \(error.detail)"
            }
        }
    }

    /// The gateway's default body limit (`server.max_body_bytes`): a larger file would be refused with 413
    /// before the adapter saw it, and is not read into memory here either.
    static let maxBodyBytes = ServerConfig().maxBodyBytes

    func inspect(_ file: URL) throws(Failure) -> Inspected {
        let body = try read(file)
        let adapter: any CarrierAdapter
        do {
            adapter = try FixtureCarrier.adapter(of: file, override: carrierOverride, registry: registry)
        } catch {
            throw .unknownCarrier(error)
        }
        let normaliser = CallbackNormaliser(adapter: adapter, tenant: "inspect", carrier: adapter.slug, timezone: timezone)
        do {
            return Inspected(file: file, carrier: adapter.slug, callback: try normaliser.normalise(body, receivedAt: clock.now()))
        } catch {
            throw .rejected(error)
        }
    }

    private func read(_ file: URL) throws(Failure) -> Data {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        } catch {
            throw .unreadable(path: file.relativePath, reason: Self.reason(error))
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            throw .unreadable(path: file.relativePath, reason: "not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= Self.maxBodyBytes else { throw .rejected(.payloadTooLarge(limit: Self.maxBodyBytes)) }
        do {
            return try Data(contentsOf: file)
        } catch {
            throw .unreadable(path: file.relativePath, reason: Self.reason(error))
        }
    }

    /// The operating system's words for a file error ("No such file or directory"), not Foundation's dump.
    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain, let raw = Int32(exactly: underlying.code), let code = POSIXErrorCode(rawValue: raw) {
            return String(cString: strerror(code.rawValue))
        }
        if (error as NSError).code == NSFileReadNoSuchFileError || (error as NSError).code == NSFileNoSuchFileError {
            return "No such file or directory"
        }
        return (error as NSError).localizedDescription
    }
}
