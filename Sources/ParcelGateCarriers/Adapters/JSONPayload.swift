import Foundation
import ParcelGateCore

/// A parsed JSON body with typed, error-reporting accessors, shared by the adapters so each reports
/// malformed input the same way: `invalid_payload` naming the field.
package struct JSONPayload: Sendable {
    package let value: JSONValue
    /// Dotted path used in error details.
    let path: String

    package init(parsing body: Data) throws(GatewayError) {
        guard !body.isEmpty else { throw .invalidPayload("Body is empty") }
        guard let value = JSONValue.parse(body) else { throw .invalidPayload("Body is not valid JSON") }
        self.init(value: value, path: "$")
    }

    package init(value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    /// The body as an object, or `invalid_payload`.
    package func object() throws(GatewayError) -> JSONObject {
        guard case .object(let members) = value else { throw .invalidPayload("\(path) must be a JSON object") }
        return JSONObject(fields: members, path: path)
    }
}

/// A JSON object with accessors that name the offending field in their errors.
package struct JSONObject: Sendable {
    let fields: [String: JSONValue]
    let path: String

    func child(_ key: String) -> String { path == "$" ? key : "\(path).\(key)" }

    /// `nil` when absent or null.
    func raw(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    /// Whether the field is a JSON string (not a number, object or null).
    func isString(_ key: String) -> Bool {
        if case .string = fields[key] { return true }
        return false
    }

    /// A string field; numbers are accepted and written in decimal (carriers are loose about ids).
    /// A NUL (`\u0000`) is refused: no carrier sends one, and PostgreSQL cannot store it in text.
    package func string(_ key: String) throws(GatewayError) -> String? {
        switch fields[key] {
        case nil, .null: return nil
        case .string(let string):
            guard !string.utf8.contains(0) else { throw .invalidPayload("\(child(key)) must not contain NUL characters") }
            return string
        case .number(let literal): return JSONValue.decimalText(literal)
        default: throw .invalidPayload("\(child(key)) must be a string")
        }
    }

    func requiredString(_ key: String) throws(GatewayError) -> String {
        guard let value = try string(key)?.trimmingWhitespace(), !value.isEmpty else {
            throw .invalidPayload("\(child(key)) is required")
        }
        return value
    }

    package func object(_ key: String) throws(GatewayError) -> JSONObject? {
        switch fields[key] {
        case nil, .null: return nil
        case .object(let members): return JSONObject(fields: members, path: child(key))
        default: throw .invalidPayload("\(child(key)) must be an object")
        }
    }

    package func array(_ key: String) throws(GatewayError) -> [JSONPayload]? {
        switch fields[key] {
        case nil, .null: return nil
        case .array(let list): return list.enumerated().map { JSONPayload(value: $1, path: "\(child(key))[\($0)]") }
        default: throw .invalidPayload("\(child(key)) must be an array")
        }
    }

    /// A date-time field parsed as ISO 8601 (offset kept, naive allowed).
    package func dateTime(_ key: String) throws(GatewayError) -> ParsedDateTime? {
        guard let text = try string(key) else { return nil }
        guard let parsed = ISO8601Parser.parse(text) else {
            throw .invalidPayload("\(child(key)) must be an ISO 8601 date-time")
        }
        return parsed
    }
}

// Accessors added for the carrier adapters. They only read; the accessors above keep their behaviour.
extension JSONObject {
    /// The dotted path of `key` inside this object, for error details the adapters write themselves.
    func fieldPath(_ key: String) -> String { child(key) }

    /// A string field with surrounding blanks removed; `nil` when absent, null or blank.
    /// Carriers send `""` for "no value" (UPS `postalCode`, FedEx `exceptionCode`), so blank means absent.
    package func text(_ key: String) throws(GatewayError) -> String? {
        guard let value = try string(key)?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    /// A nested object that must be there.
    func requiredObject(_ key: String) throws(GatewayError) -> JSONObject {
        guard let nested = try object(key) else { throw .invalidPayload("\(child(key)) is required") }
        return nested
    }

    /// An array whose elements must all be objects; `nil` when absent or null.
    func objects(_ key: String) throws(GatewayError) -> [JSONObject]? {
        guard let items = try array(key) else { return nil }
        var objects: [JSONObject] = []
        objects.reserveCapacity(items.count)
        for item in items { objects.append(try item.object()) }
        return objects
    }

    /// An array of objects that must be there (it may be empty).
    func requiredObjects(_ key: String) throws(GatewayError) -> [JSONObject] {
        guard let objects = try objects(key) else { throw .invalidPayload("\(child(key)) is required") }
        return objects
    }
}
