import Foundation
import ParcelGateCarriers

/// Target `json`: the JSON reader over the raw bytes, then every member of every object read back
/// through the typed accessors the adapters use (numbers as decimal text, NUL refused, date-times).
package enum FuzzJSON {
    package static func run(_ raw: UnsafeRawBufferPointer) {
        guard let value = JSONValue.parse(raw.uint8) else { return }
        // The adapters' entry point must accept what the reader accepts, and read the same value.
        guard let payload = try? JSONPayload(parsing: Data(raw)), payload.value == value else {
            fatalError("JSONPayload(parsing:) and JSONValue.parse disagree on the same bytes")
        }
        if case .object(let members) = value, let object = try? payload.object() { walk(members, object) }
        if case .array(let elements) = value { for element in elements { _ = element.hashValue } }
    }

    /// Reads every member through ``JSONObject``'s accessors, descending into objects and arrays of objects.
    private static func walk(_ members: [String: JSONValue], _ object: JSONObject) {
        for (key, member) in members {
            _ = try? object.string(key)
            _ = try? object.text(key)
            _ = try? object.dateTime(key)
            switch member {
            case .object(let nested):
                if let child = try? object.object(key) { walk(nested, child) }
            case .array(let elements):
                guard let items = try? object.array(key) else { continue }
                for (element, item) in zip(elements, items) {
                    if case .object(let nested) = element, let child = try? item.object() { walk(nested, child) }
                }
            default:
                continue
            }
        }
    }
}
