/// Refuses keys a config block does not define, naming the key and where it is.
///
/// A misspelt optional key (`timout_ms`) would otherwise be ignored and its default used in silence, which for
/// a timeout or an SSRF allow-list is the wrong kind of surprise. Used by the blocks that opt in (today the
/// `notifications` block and its children); the older blocks still ignore unknown keys.
enum KnownKeys {
    /// Throws `DecodingError.dataCorrupted` (which ``DecodingError/summary`` turns into "unknown key 'x' at
    /// 'path'") for the first key of the mapping at `decoder` that `Keys` does not list.
    static func check<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let knownList = Keys.allCases.map(\.stringValue).joined(separator: ", ")
        throw DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath, debugDescription: "unknown key '\(first.prefix(64))' (known: \(knownList))")
        )
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        let intValue: Int? = nil
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
