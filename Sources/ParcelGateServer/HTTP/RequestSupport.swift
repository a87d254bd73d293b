import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParcelGateCarriers
import ParcelGateCore

/// A request's headers as the carriers module reads them.
struct RequestHeaders: HeaderLookup, Sendable {
    let fields: HTTPFields

    init(fields: HTTPFields) { self.fields = fields }

    func value(for name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return fields[field]
    }

    func values(for name: String) -> [String] {
        guard let field = HTTPField.Name(name) else { return [] }
        return fields[values: field]
    }

    /// The headers to keep with a queued callback: all but `excluded` (lower-cased names).
    func storable(excluding excluded: Set<String>) -> [StoredHeader] {
        fields.compactMap { field in
            excluded.contains(field.name.canonicalName) ? nil : StoredHeader(name: field.name.rawName, value: field.value)
        }
    }
}

extension Request {
    /// The raw body, read up to `limit` bytes. A declared Content-Length over the limit is refused before
    /// reading; a chunked body is read only until it passes the limit.
    func collectBody(limit: Int) async throws(GatewayError) -> Data {
        if let declared = headers[.contentLength].flatMap({ StrictNumber.nonNegative($0) }), declared > Int64(limit) {
            throw .payloadTooLarge(limit: limit)
        }
        var collected = ByteBuffer()
        do {
            for try await chunk in body {
                guard collected.readableBytes + chunk.readableBytes <= limit else { throw GatewayError.payloadTooLarge(limit: limit) }
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .badRequest("The request body could not be read")
        }
        return Data(collected.readableBytesView)
    }

    /// The body decoded as `T`, or `nil` when the body is empty.
    func decodeOptionalJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws(GatewayError) -> T? {
        let data = try await collectBody(limit: limit)
        guard !data.isEmpty else { return nil }
        return try Self.decode(T.self, from: data)
    }

    /// The body decoded as the JSON object `T`, with an `invalid_payload`-style message naming the field.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws(GatewayError) -> T {
        let data = try await collectBody(limit: limit)
        guard !data.isEmpty else { throw .badRequest("A JSON body is required") }
        return try Self.decode(T.self, from: data)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(GatewayError) -> T {
        // One rule for text on both backends: no NUL anywhere (the carriers' payloads follow the same rule).
        if data.contains(UInt8(ascii: "\\")), JSONValue.parse(data)?.containsNUL == true {
            throw .badRequest("Invalid JSON body: text must not contain NUL characters")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw .badRequest("Invalid JSON body: \(error.summary)")
        } catch {
            throw .badRequest("Invalid JSON body")
        }
    }
}
