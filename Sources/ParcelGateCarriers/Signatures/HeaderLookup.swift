import ParcelGateCore

/// Read access to a callback's headers, case-insensitively, without tying this module to an HTTP library.
package protocol HeaderLookup {
    /// The first value of the header named `name` (any case), if present.
    func value(for name: String) -> String?
    /// Every value of the header named `name`, one per header line, in the order received.
    func values(for name: String) -> [String]
}

/// Headers as a plain list, for tests, the replay tool and stored retry entries.
package struct HeaderList: HeaderLookup, Sendable, Hashable, Codable {
    var fields: [StoredHeader]

    package init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { StoredHeader(name: $0.0, value: $0.1) }
    }

    package func value(for name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    package func values(for name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }
}

extension String {
    /// ASCII case-insensitive comparison, as HTTP header names are compared.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = self.utf8, b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 97 && (x | 0x20) <= 122) }
    }
}
