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
        CSVExport.cell(s, raw: true) // the export's quoting (by scalar: "\r\n" is one Character)
    }
}

/// JSON output, configured in one place: keys as the types' `CodingKeys` name them (snake_case;
/// no key strategy, so user data such as labels and dimensions keeps its spelling), sorted,
/// slashes unescaped. One document pretty-printed, or compact one-line pieces of a streamed one.
enum JSONOutput {
    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return encoder
    }

    private static let document = encoder(pretty: true)
    private static let compact = encoder(pretty: false)

    /// One value as a whole JSON document on stdout.
    static func print<T: Encodable>(_ value: T) throws {
        StandardOutput.write(String(decoding: try document.encode(value), as: UTF8.self) + "\n")
    }

    /// One value as compact JSON on one line (no newline), for documents written piece by piece.
    static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try compact.encode(value), as: UTF8.self)
    }
}

/// Writes text to stdout (buffered; a failed write is reported when the command ends).
func emit(_ text: String) {
    StandardOutput.write(text)
}

/// A table written row by row in bounded memory: CSV rows go out at once; aligned text
/// takes its column widths from the first `alignedRows` rows and writes the rest at those widths.
struct StreamingTable {
    let headers: [String]
    let csv: Bool
    var rightAligned: Set<Int> = []
    var maxCellWidth = 60
    var alignedRows = 1000
    private var held: [[String]] = []
    private var widths: [Int]?
    private(set) var count = 0

    init(headers: [String], csv: Bool, maxCellWidth: Int = 60) {
        self.headers = headers
        self.csv = csv
        self.maxCellWidth = maxCellWidth
        if csv { emit(headers.map(CSVField.quote).joined(separator: ",") + "\n") }
    }

    /// Adds one row; throws when standard output failed (so a long listing stops early).
    mutating func add(_ row: [String]) throws {
        count += 1
        if csv {
            emit(row.map(CSVField.quote).joined(separator: ",") + "\n")
        } else if let widths {
            emit(line(clipped(row), widths))
        } else {
            held.append(clipped(row))
            if held.count >= alignedRows { flushHeld() }
        }
        if count % 1024 == 0 { try StandardOutput.check() }
    }

    /// Writes what is held (the whole table when it is short).
    mutating func finish() {
        if !csv && widths == nil { flushHeld() }
    }

    private mutating func flushHeld() {
        var w = headers.map(\.count)
        for row in held { for (i, cell) in row.enumerated() where i < w.count { w[i] = max(w[i], cell.count) } }
        widths = w
        emit(line(headers, w) + w.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n")
        for row in held { emit(line(row, w)) }
        held = []
    }

    private func clipped(_ row: [String]) -> [String] { row.map { Table.clip(Table.oneLine($0), maxCellWidth) } }

    private func line(_ row: [String], _ widths: [Int]) -> String {
        row.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : 0) - cell.count))
            return rightAligned.contains(i) ? pad + cell : cell + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
    }
}
