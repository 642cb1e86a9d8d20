import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Random access to a Parquet file's bytes: a descriptor read with `pread`, or memory.
struct ParquetBytes: Sendable {
    let count: Int
    let read: @Sendable (_ offset: Int, _ length: Int) throws -> [UInt8]

    /// The bytes of the open file `fd` (`size` bytes long).
    static func file(fd: Int32, size: Int) -> ParquetBytes {
        ParquetBytes(count: size) { offset, length in
            var out = [UInt8](repeating: 0, count: length)
            var done = 0
            while done < length {
                let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ParquetError(reason: "cannot be read: \(String(cString: strerror(errno)))")
                }
                if n == 0 { throw ParquetError(reason: "ends at byte \(offset + done), before what its footer says (the file is truncated)") }
                done += n
            }
            return out
        }
    }

    static func memory(_ bytes: [UInt8]) -> ParquetBytes {
        ParquetBytes(count: bytes.count) { offset, length in
            guard offset >= 0, length >= 0, offset <= bytes.count - length else { throw ParquetError(reason: "ends early") }
            return Array(bytes[offset..<offset + length])
        }
    }
}

/// A Parquet file opened for reading: its footer, checked against its schema, and its rows a
/// row group at a time as records (a field per top-level column, lists and structs nested),
/// so memory is bounded by the largest row group.
final class ParquetReader {
    static let magic: [UInt8] = Array("PAR1".utf8)
    let metadata: FileMetaData
    let schema: ParquetSchema
    private let bytes: ParquetBytes
    /// Where the footer starts: every page lies before it.
    private let footerStart: Int
    let limits: ParquetLimits

    var rowGroupCount: Int { metadata.rowGroups.count }
    var rowCount: Int { Int(metadata.numRows) }
    /// The top-level fields, in the schema's order.
    var fieldNames: [String] { schema.root.children.map(\.name) }

    init(_ bytes: ParquetBytes, limits: ParquetLimits = .standard) throws {
        self.bytes = bytes
        self.limits = limits
        guard bytes.count >= 12 else { throw ParquetError(reason: "is \(bytes.count) bytes, too short to be Parquet (a file has at least 12)") }
        let head = try bytes.read(0, 4)
        let tail = try bytes.read(bytes.count - 8, 8)
        guard head == Self.magic else { throw ParquetError(reason: "does not start with PAR1, so it is not a Parquet file") }
        if Array(tail[4...]) == Array("PARE".utf8) {
            throw ParquetError(reason: "has an encrypted footer (Parquet modular encryption is not read); decrypt it first")
        }
        guard Array(tail[4...]) == Self.magic else {
            throw ParquetError(reason: "does not end with PAR1: it is truncated or still being written")
        }
        let length = Int(tail[0]) | Int(tail[1]) << 8 | Int(tail[2]) << 16 | Int(tail[3]) << 24
        guard length > 0, length <= bytes.count - 12 else {
            throw ParquetError(reason: "has a footer length of \(length) bytes in a file of \(bytes.count): the file is truncated or damaged")
        }
        footerStart = bytes.count - 8 - length
        let footer = try bytes.read(footerStart, length)
        do {
            metadata = try footer.withUnsafeBytes { b in
                var r = ThriftCompactReader(b)
                return try FileMetaData(from: &r)
            }
        } catch let e as ParquetError {
            throw ParquetError(reason: "has a damaged footer: it \(e.reason)")
        }
        schema = try ParquetSchema(metadata.schema)
        guard !schema.leaves.isEmpty else { throw ParquetError(reason: "has no columns") }
        for (g, group) in metadata.rowGroups.enumerated() {
            guard group.columns.count == schema.leaves.count else {
                throw ParquetError(reason: "has \(group.columns.count) columns in row group \(g + 1) where its schema has \(schema.leaves.count)")
            }
            for (chunk, leaf) in zip(group.columns, schema.leaves) where chunk.metaData.type != leaf.type {
                throw ParquetError(
                    reason: "row group \(g + 1), column '\(leaf.dottedPath)': the chunk is \(chunk.metaData.type.name) where the schema says \(leaf.type!.name)")
            }
        }
    }

    /// The byte range of a column chunk's pages, checked to lie inside the file's data.
    private func chunkRange(_ meta: ColumnMetaData) throws -> (start: Int, count: Int) {
        var start = Int(meta.dataPageOffset)
        if let d = meta.dictionaryPageOffset, d > 0, d < start { start = Int(d) }
        let count = Int(meta.totalCompressedSize)
        guard start >= 4, count >= 0, start <= footerStart, count <= footerStart - start else {
            throw ParquetError(reason: "the chunk lies outside the file (bytes \(start)…\(start + count) of \(bytes.count)): the file is truncated or damaged")
        }
        return (start, count)
    }

    /// Row group `g`'s rows as records, in order.
    func records(inRowGroup g: Int) throws -> [[String: Any]] {
        let group = metadata.rowGroups[g]
        // Every row has an entry in each column: more rows than a chunk may hold is a lie.
        guard group.numRows <= limits.entriesPerChunk else {
            throw ParquetError(
                reason:
                    "row group \(g + 1) of \(rowGroupCount) says it has \(group.numRows) rows, over this reader's limit of \(limits.entriesPerChunk); rewrite the file with smaller row groups"
            )
        }
        var columns: [DecodedColumn] = []
        columns.reserveCapacity(schema.leaves.count)
        for (chunk, leaf) in zip(group.columns, schema.leaves) {
            do {
                let (start, count) = try chunkRange(chunk.metaData)
                let raw = try bytes.read(start, count)
                let column = try raw.withUnsafeBytes { try ColumnChunkDecoder(leaf: leaf, meta: chunk.metaData, limits: limits).decode($0) }
                columns.append(column)
            } catch let e as ParquetError {
                throw ParquetError(reason: "row group \(g + 1) of \(rowGroupCount), column '\(leaf.dottedPath)': \(e.reason)")
            }
        }
        do {
            return try RecordAssembler(schema: schema, columns: columns).records(count: Int(group.numRows))
        } catch let e as ParquetError {
            throw ParquetError(reason: "row group \(g + 1) of \(rowGroupCount): \(e.reason)")
        }
    }

    /// The file offset where row group `g`'s data ends (for progress).
    func endOffset(ofRowGroup g: Int) -> Int {
        let ends = metadata.rowGroups[g].columns.compactMap { c -> Int? in
            guard let (start, count) = try? chunkRange(c.metaData) else { return nil }
            return start + count
        }
        return ends.max() ?? 0
    }
}

/// Builds records from a row group's decoded leaf columns (Dremel's record assembly): a
/// top-level field per root child; LIST-annotated groups become arrays, MAP-annotated ones
/// objects, other groups objects of their fields; an absent optional value is null.
struct RecordAssembler {
    let schema: ParquetSchema
    let columns: [DecodedColumn]
    /// For each nested leaf: the index of each entry's value among the present ones.
    private var valueIndex: [[Int32]]

    init(schema: ParquetSchema, columns: [DecodedColumn]) {
        self.schema = schema
        self.columns = columns
        valueIndex = Array(repeating: [], count: columns.count)
        for leaf in schema.leaves where leaf.repetitionLevel > 0 || leaf.path.count > 1 {
            let c = columns[leaf.leafIndex]
            var index: [Int32] = []
            index.reserveCapacity(c.definition.count)
            var n: Int32 = 0
            for d in c.definition {
                index.append(n)
                if Int(d) == leaf.definitionLevel { n += 1 }
            }
            valueIndex[leaf.leafIndex] = index
        }
    }

    func records(count rows: Int) throws -> [[String: Any]] {
        // The first column's rows must be the row group's before a record is made for each.
        let first = columns[0]
        let firstRows = first.repetition.isEmpty ? first.entries : first.repetition.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        guard firstRows == rows else {
            throw ParquetError(reason: "column '\(schema.leaves[0].dottedPath)' has \(firstRows) rows where the row group has \(rows)")
        }
        var records = [[String: Any]](repeating: [:], count: rows)
        for field in schema.root.children {
            if field.isLeaf && field.repetitionLevel == 0 {
                try flat(field, rows: rows, into: &records)
                continue
            }
            // Row starts per leaf: entries whose repetition level is 0.
            var starts: [[Int]] = []
            for l in field.leaves {
                let c = columns[l]
                var s: [Int] = []
                s.reserveCapacity(rows + 1)
                if c.repetition.isEmpty {
                    s = Array(0...c.entries)
                } else {
                    for (i, r) in c.repetition.enumerated() where r == 0 { s.append(i) }
                    s.append(c.repetition.count)
                }
                guard s.count - 1 == rows else {
                    throw ParquetError(reason: "column '\(schema.leaves[l].dottedPath)' has \(s.count - 1) rows where the row group has \(rows)")
                }
                if !c.repetition.isEmpty, c.repetition.first != 0 {
                    throw ParquetError(reason: "column '\(schema.leaves[l].dottedPath)' does not start a row at its first value")
                }
                starts.append(s)
            }
            for row in 0..<rows {
                var ranges: [Int: Range<Int>] = [:]
                for (k, l) in field.leaves.enumerated() { ranges[l] = starts[k][row]..<starts[k][row + 1] }
                records[row][field.name] = field.repetition == .repeated ? try list(field, ranges) : try value(field, ranges)
            }
        }
        return records
    }

    /// A top-level primitive column: one entry per row.
    private func flat(_ leaf: ParquetNode, rows: Int, into records: inout [[String: Any]]) throws {
        let c = columns[leaf.leafIndex]
        if c.definition.isEmpty {
            guard c.values.count == rows else {
                throw ParquetError(reason: "column '\(leaf.dottedPath)' has \(c.values.count) values where the row group has \(rows) rows")
            }
            for row in 0..<rows { records[row][leaf.name] = c.values[row] }
            return
        }
        guard c.definition.count == rows else {
            throw ParquetError(reason: "column '\(leaf.dottedPath)' has \(c.definition.count) entries where the row group has \(rows) rows")
        }
        var next = 0
        for row in 0..<rows {
            if Int(c.definition[row]) == leaf.definitionLevel {
                guard next < c.values.count else { throw ParquetError(reason: "column '\(leaf.dottedPath)' has fewer values than its levels say") }
                records[row][leaf.name] = c.values[next]
                next += 1
            } else {
                records[row][leaf.name] = NSNull()
            }
        }
    }

    private func definition(_ leaf: Int, _ entry: Int) -> Int {
        let d = columns[leaf].definition
        return d.isEmpty ? schema.leaves[leaf].definitionLevel : Int(d[entry])
    }

    /// The value of a node that is not repeated (or one element of a repeated one) over the
    /// entry ranges of its leaves.
    private func value(_ node: ParquetNode, _ ranges: [Int: Range<Int>], asElement: Bool = false) throws -> Any {
        let first = node.leaves[0]
        guard let r = ranges[first], !r.isEmpty else { throw ParquetError(reason: "column '\(schema.leaves[first].dottedPath)' has an empty entry") }
        let d = definition(first, r.lowerBound)
        if !asElement && node.repetition == .optional && d < node.definitionLevel { return NSNull() }
        if node.isLeaf {
            guard d == node.definitionLevel else {
                throw ParquetError(reason: "column '\(node.dottedPath)' lacks a value its schema requires")
            }
            let c = columns[node.leafIndex]
            let i = valueIndex[node.leafIndex].isEmpty ? r.lowerBound : Int(valueIndex[node.leafIndex][r.lowerBound])
            guard i < c.values.count else { throw ParquetError(reason: "column '\(node.dottedPath)' has fewer values than its levels say") }
            return c.values[i]
        }
        if node.isList, node.children.count == 1, node.children[0].repetition == .repeated {
            let repeated = node.children[0]
            let elements = try list(repeated, ranges)
            // Three-level lists wrap each element in a one-field group; two-level ones do not.
            if !repeated.isLeaf && repeated.children.count == 1 && repeated.name != "array" && repeated.name != node.name + "_tuple" {
                let inner = repeated.children[0].name
                return elements.map { ($0 as? [String: Any])?[inner] ?? NSNull() }
            }
            return elements
        }
        if node.isMap, node.children.count == 1, node.children[0].repetition == .repeated, node.children[0].children.count >= 1 {
            let entry = node.children[0]
            var object: [String: Any] = [:]
            let keyName = entry.children[0].name
            let valueName = entry.children.count > 1 ? entry.children[1].name : nil
            for case let pair as [String: Any] in try list(entry, ranges) {
                let key = pair[keyName].map { ($0 as? String) ?? "\($0)" } ?? ""
                object[key] = valueName.flatMap { pair[$0] } ?? NSNull()
            }
            return object
        }
        var object: [String: Any] = [:]
        for child in node.children {
            object[child.name] = child.repetition == .repeated ? try list(child, ranges) : try value(child, ranges)
        }
        return object
    }

    /// A repeated node's elements over its leaves' entry ranges: empty when the first entry's
    /// definition level stops short of it, else one element per entry whose repetition level
    /// is the node's own (and the first).
    private func list(_ node: ParquetNode, _ ranges: [Int: Range<Int>]) throws -> [Any] {
        let first = node.leaves[0]
        guard let r = ranges[first], !r.isEmpty else { throw ParquetError(reason: "column '\(schema.leaves[first].dottedPath)' has an empty entry") }
        if definition(first, r.lowerBound) < node.definitionLevel { return [] }
        var splits: [[Range<Int>]] = []
        for l in node.leaves {
            guard let range = ranges[l], !range.isEmpty else { throw ParquetError(reason: "column '\(schema.leaves[l].dottedPath)' has an empty entry") }
            let rep = columns[l].repetition
            var parts: [Range<Int>] = []
            var start = range.lowerBound
            for e in range.dropFirst() where !rep.isEmpty && Int(rep[e]) <= node.repetitionLevel {
                parts.append(start..<e)
                start = e
            }
            parts.append(start..<range.upperBound)
            if let previous = splits.first, previous.count != parts.count {
                throw ParquetError(reason: "columns under '\(node.dottedPath)' disagree on how many elements a list has")
            }
            splits.append(parts)
        }
        var out: [Any] = []
        out.reserveCapacity(splits[0].count)
        for k in 0..<splits[0].count {
            var sub: [Int: Range<Int>] = [:]
            for (i, l) in node.leaves.enumerated() { sub[l] = splits[i][k] }
            out.append(try value(node, sub, asElement: true))
        }
        return out
    }
}

/// A Parquet input as the import readers yield it: a record per row, its row number in the
/// file as its "line", a row group decoded at a time.
final class ParquetRecordReader: RecordReader {
    private let reader: ParquetReader
    private let path: String
    private var group = 0
    private var rows: [[String: Any]] = []
    private var index = 0
    private var rowBase = 0
    private var last: [String: Any]?
    /// The file's bytes up to the end of the row groups decoded so far.
    private(set) var bytesRead = 0

    init(input: InputFile) throws {
        path = input.displayPath
        do {
            reader = try ParquetReader(.file(fd: input.fd, size: input.size))
        } catch let e as ParquetError {
            throw WinnowError.unreadableInput(path: path, reason: "the file \(e.reason)")
        }
    }

    /// The row as JSON (for the rejects file): Parquet has no text of its own.
    var lastRaw: String? {
        guard let last, JSONSerialization.isValidJSONObject(last),
            let data = try? JSONSerialization.data(withJSONObject: last, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func next() throws -> RawItem? {
        last = nil
        while index >= rows.count {
            guard group < reader.rowGroupCount else { return nil }
            rowBase += rows.count
            rows = []
            do {
                rows = try reader.records(inRowGroup: group)
            } catch let e as ParquetError {
                throw WinnowError.unreadableInput(
                    path: path, reason: "\(e.reason); the file is damaged or written by a tool this reader does not follow — re-create it from its source")
            }
            bytesRead = reader.endOffset(ofRowGroup: group)
            group += 1
            index = 0
        }
        let fields = rows[index]
        index += 1
        last = fields
        return .record(line: rowBase + index, fields: fields)
    }
}
