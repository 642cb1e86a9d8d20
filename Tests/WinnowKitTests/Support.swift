import Foundation
@_exported import WinnowTestSupport
@testable import WinnowKit

/// All records a reader yields.
func readAll(_ path: String, format: InputFormat, maxRecordBytes: Int = 1 << 20) throws -> [RawItem] {
    if format == .parquet {
        let reader = try ParquetRecordReader(input: InputFile(path: path))
        var items: [RawItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }
    let lines = LineReader(source: try ByteSource(path: path), maxLineBytes: maxRecordBytes)
    let reader: RecordReader
    switch format {
    case .jsonl: reader = JSONLinesReader(lines: lines)
    case .json: reader = JSONArrayReader(lines: lines, maxRecordBytes: maxRecordBytes)
    case .csv: reader = try DelimitedReader(lines: lines, delimiter: 44, maxRecordBytes: maxRecordBytes)
    case .tsv: reader = try DelimitedReader(lines: lines, delimiter: 9, maxRecordBytes: maxRecordBytes)
    case .parquet: fatalError("read above")
    }
    var items: [RawItem] = []
    while let item = try reader.next() { items.append(item) }
    return items
}

extension RawItem {
    var line: Int {
        switch self {
        case .record(let line, _): return line
        case .bad(let problem, _): return problem.line
        }
    }
    var fields: [String: Any]? {
        if case .record(_, let fields) = self { return fields }
        return nil
    }
    var reason: String? {
        if case .bad(let problem, _) = self { return problem.reason }
        return nil
    }
}
