import Foundation
import WinnowKit

/// A table of strings, rendered aligned for people or as CSV for tools.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns aligned right (numbers).
    var rightAligned: Set<Int> = []

    /// Aligned columns with a rule under the header.
    func text(maxCellWidth: Int = 60) -> String {
        let cells = rows.map { $0.map { Table.clip(Table.oneLine($0), maxCellWidth) } }
        var widths = headers.map { $0.count }
        for row in cells {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(headers), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        out += cells.map(line)
        return out.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: CRLF-free, fields with a comma, quote or line break are quoted.
    func csv() -> String {
        ([headers] + rows).map { $0.map(CSVField.quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ s: String) -> String {
        s.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
    }

    static func clip(_ s: String, _ width: Int) -> String {
        s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }
}

/// CSV quoting for output cells.
enum CSVField {
    static func quote(_ s: String) -> String {
        CSVExport.cell(s, raw: true)   // the export's quoting (by scalar: "\r\n" is one Character)
    }
}

/// JSON output: one document, snake_case keys, stable order, no escaped slashes.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

/// Writes text to stdout.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
