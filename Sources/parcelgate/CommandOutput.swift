import Foundation

/// A failure to report to the operator with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Text from the network made safe to print: control characters (a terminal's escape sequences among them)
/// shown as `\u{..}`, or for one table cell or line, as blanks, and cut to a length.
enum Printable {
    static func text(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar in
            scalar == "\n" || !isControl(scalar) ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
        }.joined())
    }

    static func line(_ text: String, limit: Int = 80) -> String {
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format
    }
}

/// A plain-text table with aligned columns.
struct Table {
    let header: [String]
    let rows: [[String]]

    var rendered: String {
        // Cells may hold text a receiver or a carrier sent: no control character reaches the terminal.
        let all = ([header] + rows).map { row in row.map { Printable.line($0, limit: .max) } }
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
