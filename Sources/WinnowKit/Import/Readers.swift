import Foundation

/// The input formats `winnow import` reads.
public enum InputFormat: String, CaseIterable, Sendable {
    case jsonl, json, csv, tsv, parquet

    /// The format a file name suggests (a `.gz` suffix is looked through), or nil.
    public static func guess(path: String) -> InputFormat? {
        var name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name = String(name.dropLast(3)) }
        switch (name as NSString).pathExtension {
        case "jsonl", "ndjson": return .jsonl
        case "json": return .json
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "parquet", "parq": return .parquet
        default: return nil
        }
    }
}

/// One item an input reader yields: a record's fields, or a malformed record's problem.
enum RawItem {
    case record(line: Int, fields: [String: Any])
    case bad(RecordProblem, raw: String?)
}

/// Yields the records of one input file in order.
protocol RecordReader: AnyObject {
    func next() throws -> RawItem?
    /// The input text of the record `next()` last returned, as written (for the rejects file
    /// when the record then fails a check); ask before calling `next()` again.
    var lastRaw: String? { get }
}

/// Opens a side file of records — annotations, outside scores — as JSONL, CSV or TSV
/// (optionally gzipped), refusing other formats with `expected` as the explanation.
func openRecordFile(_ path: String, expected: String, maxRecordBytes: Int = 16 << 20) throws -> RecordReader {
    guard let format = InputFormat.guess(path: path), format == .jsonl || format == .csv || format == .tsv else {
        throw WinnowError.unreadableInput(path: path, reason: expected)
    }
    let input = try InputFile(path: path)
    _ = try input.checkReadable()
    let lines = LineReader(source: try input.source(), maxLineBytes: maxRecordBytes)
    return try makeRecordReader(lines, format: format, maxRecordBytes: maxRecordBytes).reader
}

/// Reads a whole side file (see `openRecordFile`), turning each record into a value with
/// `make`, which throws a `RecordProblem` for a record it refuses. Returns the values with
/// their lines, and every problem: the file's malformed records and the refused ones, in order.
func readRecordFile<T>(
    _ path: String, expected: String,
    _ make: (_ line: Int, _ fields: [String: Any]) throws -> T
) throws -> (values: [(line: Int, value: T)], problems: [RecordProblem]) {
    let reader = try openRecordFile(path, expected: expected)
    var values: [(line: Int, value: T)] = []
    var problems: [RecordProblem] = []
    while let item = try reader.next() {
        switch item {
        case .bad(let problem, _):
            problems.append(problem)
        case .record(let line, let fields):
            do { values.append((line, try make(line, fields))) } catch let problem as RecordProblem { problems.append(problem) }
        }
    }
    return (values, problems)
}

/// `readRecordFile`, all or nothing: any problem throws `badRecords` naming every line at
/// fault, with `outcome` saying what was (not) done.
func readWholeRecordFile<T>(
    _ path: String, expected: String, outcome: String,
    _ make: (_ line: Int, _ fields: [String: Any]) throws -> T
) throws -> [(line: Int, value: T)] {
    let (values, problems) = try readRecordFile(path, expected: expected, make)
    if !problems.isEmpty {
        throw WinnowError.badRecords(path: path, problems: problems, total: problems.count, outcome: outcome)
    }
    return values
}

/// An input's records, opened for one pass: the reader, the header of a CSV/TSV file, and
/// what the pass has read so far of the file's bytes.
struct RecordInput {
    let reader: RecordReader
    let header: [String]?
    /// Bytes of the file read so far (as on disk), for progress.
    let rawBytes: () -> Int
    /// SHA-256 of the file's bytes, once the pass has read them all.
    let fileDigest: () throws -> String
    /// Whether the text was read through gzip.
    let compressed: Bool
}

/// Opens a pass over `input`'s records as `format`: text formats through a line reader (gzip
/// looked through), Parquet a row group at a time.
func openRecords(_ input: InputFile, format: InputFormat, maxRecordBytes: Int) throws -> RecordInput {
    if format == .parquet {
        let parquet = try ParquetRecordReader(input: input)
        return RecordInput(
            reader: parquet, header: nil, rawBytes: { parquet.bytesRead }, fileDigest: { try input.sha256() }, compressed: false)
    }
    let source = try input.source()
    let lines = LineReader(source: source, maxLineBytes: maxRecordBytes)
    let (reader, header) = try makeRecordReader(lines, format: format, maxRecordBytes: maxRecordBytes)
    return RecordInput(
        reader: reader, header: header, rawBytes: { source.rawBytes }, fileDigest: { source.fileDigest() }, compressed: source.compressed)
}

/// The reader for a text input of `format` over `lines`, and for CSV/TSV the header's column names.
func makeRecordReader(_ lines: LineReader, format: InputFormat, maxRecordBytes: Int) throws -> (reader: RecordReader, header: [String]?) {
    switch format {
    case .parquet:
        throw WinnowError.unreadableInput(path: lines.source.path, reason: "a Parquet file is not read line by line")
    case .jsonl: return (JSONLinesReader(lines: lines), nil)
    case .json: return (JSONArrayReader(lines: lines, maxRecordBytes: maxRecordBytes), nil)
    case .csv, .tsv:
        let delimited = try DelimitedReader(lines: lines, delimiter: format == .csv ? UInt8(ascii: ",") : 9, maxRecordBytes: maxRecordBytes)
        return (delimited, delimited.header)
    }
}

// MARK: - Shared checks

enum ByteChecks {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Offset of the first byte that is not valid UTF-8, or nil when all are valid.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil { return nil }
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            var need = 0
            var minScalar: UInt32 = 0
            var scalar: UInt32 = 0
            if b < 0x80 {
                i += 1; continue
            } else if b & 0xE0 == 0xC0 {
                need = 1; minScalar = 0x80; scalar = UInt32(b & 0x1F)
            } else if b & 0xF0 == 0xE0 {
                need = 2; minScalar = 0x800; scalar = UInt32(b & 0x0F)
            } else if b & 0xF8 == 0xF0 {
                need = 3; minScalar = 0x10000; scalar = UInt32(b & 0x07)
            } else {
                return i
            }
            if i + need >= n { return i }
            for k in 1...need {
                guard i + k < n, bytes[i + k] & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += need + 1
        }
        return 0
    }

    /// Problems common to every text format: NUL bytes and invalid UTF-8 (`advice` ends the
    /// UTF-8 message: what to do; `augment --command` tells the generator's author).
    static func textProblem(_ bytes: UnsafeRawBufferPointer, advice: String = "re-encode the file as UTF-8") -> String? {
        if let base = bytes.baseAddress, let nul = memchr(base, 0, bytes.count) {
            return "NUL byte at column \(base.distance(to: UnsafeRawPointer(nul)) + 1); the line holds binary data, not text"
        }
        if let bad = firstInvalidUTF8(bytes) {
            return String(format: "invalid UTF-8 (byte 0x%02X at column %d); ", bytes[bad], bad + 1) + advice
        }
        return nil
    }

    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// The JSON parser's complaint, without Foundation's boilerplate.
    static func jsonReason(_ error: Error) -> String {
        let info = (error as NSError).userInfo
        if let detail = info["NSDebugDescription"] as? String { return "invalid JSON: \(detail)" }
        return "invalid JSON"
    }

    static func parseObject(_ bytes: UnsafeRawBufferPointer) -> Result<[String: Any], RecordError> {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            return .failure(RecordError(reason: jsonReason(error)))
        }
        guard let object = value as? [String: Any] else {
            return .failure(RecordError(reason: "the record is \(RecordBuilder.typeName(value)), expected a JSON object"))
        }
        return .success(object)
    }
}

// MARK: - JSON Lines

/// One JSON object per line; blank lines are skipped; a BOM is allowed on the first line only.
final class JSONLinesReader: RecordReader {
    private let lines: LineReader
    /// The last record's line: LineReader's bytes, valid until its next call (no copy is made).
    private var last: UnsafeRawBufferPointer?

    init(lines: LineReader) { self.lines = lines }

    var lastRaw: String? { last.map { String(decoding: $0, as: UTF8.self) } }

    func next() throws -> RawItem? {
        last = nil
        while let line = try lines.next() {
            let number = lines.lineNumber
            switch line {
            case .tooLong(let bytes):
                return .bad(RecordProblem(line: number, reason: "line is \(bytes) bytes, over the limit of \(lines.maxLineBytes) (--max-record-bytes)"), raw: nil)
            case .text(var bytes):
                if bytes.starts(with: ByteChecks.bom) {
                    if number != 1 {
                        return .bad(
                            RecordProblem(line: number, reason: "byte-order mark (BOM) at the start of the line; only the file's first line may carry one"),
                            raw: String(decoding: bytes, as: UTF8.self))
                    }
                    bytes = UnsafeRawBufferPointer(rebasing: bytes[3...])
                }
                if ByteChecks.isBlank(bytes) { continue }
                if let problem = ByteChecks.textProblem(bytes) {
                    return .bad(RecordProblem(line: number, reason: problem), raw: String(decoding: bytes, as: UTF8.self))
                }
                switch ByteChecks.parseObject(bytes) {
                case .success(let object):
                    last = bytes
                    return .record(line: number, fields: object)
                case .failure(let error): return .bad(RecordProblem(line: number, reason: error.reason), raw: String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        return nil
    }
}

// MARK: - JSON array

/// A file holding one JSON array of objects, read element by element so memory stays flat.
final class JSONArrayReader: RecordReader {
    private let lines: LineReader
    private let maxRecordBytes: Int
    private var current: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    private var position = 0
    private var opened = false
    private var closed = false
    private var last: [UInt8]?

    init(lines: LineReader, maxRecordBytes: Int) {
        self.lines = lines
        self.maxRecordBytes = maxRecordBytes
    }

    var lastRaw: String? { last.map { String(decoding: $0, as: UTF8.self) } }

    /// Next byte of the file (line breaks included), or nil at the end.
    private func nextByte() throws -> UInt8? {
        while position >= current.count {
            guard let line = try lines.next() else { return nil }
            switch line {
            case .tooLong(let bytes):
                throw WinnowError.unreadableInput(
                    path: lines.source.path, reason: "line \(lines.lineNumber) is \(bytes) bytes, over the limit of \(lines.maxLineBytes) (--max-record-bytes)")
            case .text(var bytes):
                if lines.lineNumber == 1 && bytes.starts(with: ByteChecks.bom) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
                current = bytes
                position = 0
            }
            // The line break before this line (it may sit inside a string or between tokens).
            if lines.lineNumber > 1 { return 0x0A }
        }
        let b = current[position]
        position += 1
        return b
    }

    private func skipSpace() throws -> UInt8? {
        while let b = try nextByte() {
            if b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 { return b }
        }
        return nil
    }

    func next() throws -> RawItem? {
        last = nil
        if closed { return nil }
        if !opened {
            guard let first = try skipSpace() else {
                throw WinnowError.unreadableInput(path: lines.source.path, reason: "the file holds no JSON; a .json file must hold one array of objects")
            }
            guard first == UInt8(ascii: "[") else {
                throw WinnowError.unreadableInput(
                    path: lines.source.path,
                    reason: "line \(lines.lineNumber): a .json file must hold one JSON array of objects (for one object per line, name it .jsonl or pass --format jsonl)")
            }
            opened = true
        }
        guard var b = try skipSpace() else {
            throw WinnowError.unreadableInput(path: lines.source.path, reason: "line \(lines.lineNumber): the JSON array is not closed (the file ends inside it)")
        }
        if b == UInt8(ascii: "]") { closed = true; return try trailing() }
        if b == UInt8(ascii: ",") {
            guard let after = try skipSpace() else {
                throw WinnowError.unreadableInput(path: lines.source.path, reason: "line \(lines.lineNumber): the JSON array is not closed (the file ends inside it)")
            }
            b = after
        }
        // Collect one element: track strings and nesting to find where it ends.
        let startLine = lines.lineNumber
        var element: [UInt8] = [b]
        var depth = (b == UInt8(ascii: "{") || b == UInt8(ascii: "[")) ? 1 : 0
        var inString = b == UInt8(ascii: "\"")
        var escaped = false
        var tooLong = false
        while depth > 0 || inString {
            guard let c = try nextByte() else {
                return .bad(RecordProblem(line: startLine, reason: "invalid JSON: the element starting here is not closed before the end of the file"), raw: nil)
            }
            if !tooLong { element.append(c) }
            if element.count > maxRecordBytes { tooLong = true; element = [] }
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        if depth == 0 && element.count == 1 && b != UInt8(ascii: "\"") {
            // A bare scalar (number, true, …): read up to the next separator.
            while position < current.count, current[position] != UInt8(ascii: ","), current[position] != UInt8(ascii: "]") {
                element.append(current[position]); position += 1
            }
        }
        if tooLong {
            return .bad(RecordProblem(line: startLine, reason: "the element is over the limit of \(maxRecordBytes) bytes (--max-record-bytes)"), raw: nil)
        }
        return element.withUnsafeBytes { bytes -> RawItem in
            if let problem = ByteChecks.textProblem(bytes) { return .bad(RecordProblem(line: startLine, reason: problem), raw: String(decoding: bytes, as: UTF8.self)) }
            switch ByteChecks.parseObject(bytes) {
            case .success(let object):
                last = element
                return .record(line: startLine, fields: object)
            case .failure(let error): return .bad(RecordProblem(line: startLine, reason: error.reason), raw: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    private func trailing() throws -> RawItem? {
        if let extra = try skipSpace() {
            throw WinnowError.unreadableInput(
                path: lines.source.path, reason: String(format: "line %d: unexpected byte 0x%02X after the closing ] of the JSON array", lines.lineNumber, extra))
        }
        return nil
    }
}

// MARK: - CSV and TSV

/// Records with a header row. CSV is RFC 4180: quoted fields may hold the delimiter, `""`
/// and newlines. TSV is IANA's text/tab-separated-values: one record per line, fields split
/// at tabs, no quoting (a `"` is an ordinary character). Each record reports the line it starts on.
final class DelimitedReader: RecordReader {
    private let lines: LineReader
    private let delimiter: UInt8
    /// CSV quoting; off for TSV.
    private let quoting: Bool
    private let maxRecordBytes: Int
    private(set) var header: [String] = []
    /// The lines of the record last read, as written (joined by line breaks).
    private var raw: [UInt8] = []

    var lastRaw: String? { raw.isEmpty ? nil : String(decoding: raw, as: UTF8.self) }

    init(lines: LineReader, delimiter: UInt8, maxRecordBytes: Int) throws {
        self.lines = lines
        self.delimiter = delimiter
        self.quoting = delimiter != 9
        self.maxRecordBytes = maxRecordBytes
        guard let first = try readRecord() else {
            throw WinnowError.unreadableInput(path: lines.source.path, reason: "the file has no header row; a CSV/TSV file starts with a row of column names")
        }
        switch first {
        case .failure(let problem):
            throw WinnowError.unreadableInput(path: lines.source.path, reason: "line \(problem.line): the header row is malformed: \(problem.reason)")
        case .success(let (_, fields)):
            header = fields
            var seen = Set<String>()
            for name in fields {
                if name.isEmpty {
                    throw WinnowError.unreadableInput(path: lines.source.path, reason: "line \(lines.lineNumber): the header row has an empty column name")
                }
                if !seen.insert(name).inserted {
                    throw WinnowError.unreadableInput(path: lines.source.path, reason: "line \(lines.lineNumber): the header row names column '\(name)' twice")
                }
            }
        }
    }

    func next() throws -> RawItem? {
        guard let result = try readRecord() else { return nil }
        switch result {
        case .failure(let problem):
            return .bad(problem, raw: nil)
        case .success(let (line, fields)):
            guard fields.count == header.count else {
                return .bad(
                    RecordProblem(
                        line: line,
                        reason:
                            "\(fields.count) fields, expected \(header.count) (the header has \(header.count) columns); \(delimiter == 9 ? "check for a stray tab (TSV has no quoting: a cell cannot hold a tab or a line break; use CSV or JSONL for such text)" : "check for a stray comma or an unquoted delimiter")"
                    ), raw: lastRaw)
            }
            var record: [String: Any] = [:]
            record.reserveCapacity(fields.count)
            for (name, value) in zip(header, fields) { record[name] = value }
            return .record(line: line, fields: record)
        }
    }

    /// One record's fields, or the problem of a malformed one; nil at the end of input.
    private func readRecord() throws -> Result<(Int, [String]), RecordProblem>? {
        raw.removeAll(keepingCapacity: true)
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false // just closed a quoted field
        var fieldStarted = false
        var startLine = 0
        var size = 0
        while true {
            guard let line = try lines.next() else {
                if startLine == 0 { return nil }
                return .failure(RecordProblem(line: startLine, reason: "unterminated quoted field: the file ends inside quotes opened on this record"))
            }
            let number = lines.lineNumber
            switch line {
            case .tooLong(let bytes):
                return .failure(
                    RecordProblem(line: startLine == 0 ? number : startLine, reason: "line is \(bytes) bytes, over the limit of \(lines.maxLineBytes) (--max-record-bytes)"))
            case .text(var bytes):
                if number == 1 && bytes.starts(with: ByteChecks.bom) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
                if startLine == 0 {
                    if ByteChecks.isBlank(bytes) { continue }
                    startLine = number
                } else {
                    field.append(0x0A) // the newline inside quotes
                }
                if let problem = ByteChecks.textProblem(bytes) {
                    return .failure(RecordProblem(line: number, reason: problem))
                }
                if number != startLine { raw.append(0x0A) }
                raw.append(contentsOf: bytes)
                size += bytes.count + 1
                if size > maxRecordBytes {
                    return .failure(RecordProblem(line: startLine, reason: "the record is over the limit of \(maxRecordBytes) bytes (--max-record-bytes)"))
                }
                var end = bytes.count
                if !inQuotes, end > 0, bytes[end - 1] == 0x0D { end -= 1 }
                var i = 0
                while i < end {
                    let b = bytes[i]
                    if inQuotes {
                        if b == UInt8(ascii: "\"") {
                            if i + 1 < end && bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 2; continue }
                            inQuotes = false
                            afterQuote = true
                        } else {
                            field.append(b)
                        }
                        i += 1
                        continue
                    }
                    if b == delimiter {
                        fields.append(String(decoding: field, as: UTF8.self))
                        field.removeAll(keepingCapacity: true)
                        afterQuote = false
                        fieldStarted = false
                    } else if afterQuote {
                        if b == 0x0D && i == end - 1 { i += 1; continue }
                        return .failure(
                            RecordProblem(
                                line: number,
                                reason:
                                    "unexpected character '\(Character(Unicode.Scalar(b)))' after a closing quote at column \(i + 1); inside a quoted field write a quote as \"\""))
                    } else if quoting && b == UInt8(ascii: "\"") && !fieldStarted {
                        inQuotes = true
                        fieldStarted = true
                    } else {
                        field.append(b)
                        fieldStarted = true
                    }
                    i += 1
                }
                if inQuotes {
                    if end < bytes.count { field.append(0x0D) }
                    continue // the quoted field goes on at the next line
                }
                fields.append(String(decoding: field, as: UTF8.self))
                return .success((startLine, fields))
            }
        }
    }
}
