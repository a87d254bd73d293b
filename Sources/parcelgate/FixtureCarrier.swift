import Foundation
import ParcelGateCarriers

/// Which carrier wrote a fixture file: `--carrier` when given, else the file's folder (`fixtures/ups/x.json`
/// is `ups`), the layout the golden fixture tests and `parcelgate replay` have always used.
///
/// `replay` and `inspect` both ask here, so a file is read as the same carrier's payload by both.
enum FixtureCarrier {
    /// The lower-cased slug for `file`: `override` if given, else the name of the folder holding it.
    static func slug(of file: URL, override: String?) -> String {
        (override ?? file.deletingLastPathComponent().lastPathComponent).lowercased()
    }

    /// The registered adapter for `file`'s carrier, or a failure naming the slug and the known carriers.
    static func adapter(of file: URL, override: String?, registry: CarrierRegistry) throws(CommandFailure) -> any CarrierAdapter {
        let slug = slug(of: file, override: override)
        guard let adapter = registry.adapter(for: slug) else {
            throw CommandFailure("no carrier '\(slug)' (use --carrier; known: \(registry.slugs.joined(separator: ", ")))")
        }
        return adapter
    }
}
