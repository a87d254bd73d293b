import Foundation
import Logging
import ParcelGateCore

/// Log lines as JSON objects, one per line (`PARCELGATE_LOG_FORMAT=json`), for log pipelines:
/// `{"timestamp","level","label","message", ...metadata}`. Metadata keys keep their names
/// (a request's lines carry `hb.request.id`).
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    /// Adds metadata to every line: with tracing on, the current span's `trace_id` and `span_id` (README, "Tracing").
    package var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                 write: @escaping @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data(line.utf8)) }) {
        self.metadataProvider = metadataProvider
        self.label = label
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("timestamp", SystemClock().now().rfc3339), ("level", event.level.rawValue), ("label", label), ("message", "\(event.message)"),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        for key in merged.keys.sorted() where !["timestamp", "level", "label", "message"].contains(key) {
            fields.append((key, "\(merged[key]!)"))
        }
        write("{" + fields.map { JSONText.quoted($0.0) + ":" + JSONText.quoted($0.1) }.joined(separator: ",") + "}\n")
    }
}
