import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The split files of one export, one `SplitWriter` each, in the scheme's order.
struct SplitFiles {
    let names: [String]
    let writers: [SplitWriter]
    private let byName: [String: SplitWriter]

    /// Creates the files in `folder` (hf: under data/), each starting with its `header`.
    init(_ splits: [String], in folder: URL, format: ExportFormat, header: (String) -> String?) throws {
        let dataDir = format == .hf ? "data/" : ""
        if format == .hf { try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true) }
        let ext = format == .csv ? "csv" : "jsonl"
        names = splits
        writers = try splits.map { split in
            let file = "\(dataDir)\(split).\(ext)"
            let writer = try SplitWriter(url: folder.appendingPathComponent(file), file: file)
            if let header = header(split) { try writer.write(header) }
            return writer
        }
        byName = Dictionary(uniqueKeysWithValues: zip(names, writers))
    }

    subscript(split: String) -> SplitWriter? { byName[split] }

    /// Closes every file; what the manifest says of each.
    func close() throws -> [ExportManifest.Split] {
        try zip(names, writers).map { name, w in
            try w.close()
            return ExportManifest.Split(name: name, file: w.file, count: w.count, bytes: w.bytes, sha256: w.digest, labels: w.labels)
        }
    }
}

extension Store {
    /// Step 3 of an export: streams the members, in uid order, into their split's file, hashing
    /// as it goes; for hf gathers the card's shape on the way. One content lookup per member, in
    /// the members' order: sorting the rows with their content in SQL would hold every text in
    /// the sorter.
    func writeSplits(
        _ plan: ExportPlan, into folder: URL, options: ExportOptions
    ) throws
        -> (splits: [ExportManifest.Split], shape: DatasetCard.Shape)
    {
        if options.writesParquet { return try writeParquetSplits(plan, into: folder, options: options) }
        let lines = LineWriter(options: options, labels: plan.metrics.labels)
        let resampling = plan.resampling
        // The field resampled lines carry, where the format has room for it.
        let field = resampling.flatMap { ExportResampling.carries(options.format) ? $0.fieldName : nil }
        let files = try SplitFiles(plan.splits.settings.ratios.map(\.0), in: folder, format: options.format) { split in
            lines.header(extra: resampling?.splits[split] != nil ? field : nil)
        }
        var shape = DatasetCard.Shape()
        if options.format == .hf {
            for member in plan.members { shape.add(member) }
            if let field { shape.resampleField = (field, field == "copy" ? .int64 : .float64) }
        }
        try read { db in
            try db.execute(sql: "PRAGMA mmap_size = \(Store.scanMapSize)")
            defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
            let statement = try db.makeStatement(
                sql: """
                    SELECT id, \(ContentColumns.selectList("")) FROM contents WHERE id = ?
                    """)
            let raw = RawStatement(statement)
            let stmt = raw.handle
            for (index, member) in plan.members.enumerated() {
                let split = plan.splits.splits[index]
                guard let writer = files[split] else {
                    throw WinnowError.writeFailed(path: options.out, detail: "\(member.uid) is assigned to split '\(split)', which this export does not write")
                }
                // A resampled split: the member's lines (0 when dropped), each with its copy
                // index or its weight; any other split: one line, as without --resample.
                let resampled = resampling?.splits[split]
                let copies = resampled.map { $0.multiplicity[index] ?? 1 } ?? 1
                if copies == 0 { continue }
                try Store.stepContent(raw, of: member, out: options.out)
                let direct = lines.writesTextDirectly(member) ? Store.columnBytes(stmt, 1) : nil
                let content = direct == nil ? ContentColumns.content(stmt) : nil
                if options.format == .hf, case .chat(let messages)? = content { shape.add(messages) }
                for copy in 0..<copies {
                    var extra: (String, String)?
                    if let resampled, let field {
                        extra = (field, field == "copy" ? "\(copy)" : jsonNumber(resampled.weight[index] ?? 1))
                    }
                    if let direct {
                        try writer.writeTextLine(member, text: direct, extra: extra)
                    } else if let content {
                        try writer.write(lines.line(member, content: content, extra: extra) + "\n")
                    }
                }
                writer.count += copies
                if let l = member.label { writer.labels[l, default: 0] += copies }
            }
            raw.reset()
        }
        return (try files.close(), shape)
    }

    /// Steps the content lookup to the member's content row.
    static func stepContent(_ raw: RawStatement, of member: ExportMember, out: String) throws {
        raw.reset()
        raw.bind(1, member.contentID)
        guard try raw.step() else {
            throw WinnowError.writeFailed(path: out, detail: "the content of \(member.uid) is missing from the store (run `winnow snapshot verify`)")
        }
    }
}

/// A split file written through 1 MiB buffers, counted and hashed on the way. Hashing and
/// writing run on a background queue (at most two buffers in flight), overlapping the
/// reading and formatting of the next records.
final class SplitWriter: @unchecked Sendable {
    let file: String
    private let handle: FileHandle
    private var buffer = [UInt8]()
    private var hasher = SHA256() // used on `queue` only
    private var failure: (any Error)? // set on `queue`, read after draining it
    private let queue = DispatchQueue(label: "winnow.export.split-writer")
    private let inFlight = DispatchSemaphore(value: 2)
    private(set) var bytes = 0
    private(set) var digest = ""
    var count = 0
    var labels: [String: Int] = [:]

    init(url: URL, file: String) throws {
        self.file = file
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw WinnowError.writeFailed(path: url.path, detail: "cannot create the file")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 21)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Bytes as they are (a Parquet file's pages and footer).
    func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// A jsonl/hf line of a text sample, escaped straight from the store's bytes; the same
    /// bytes as `LineWriter.jsonl` writes for it.
    func writeTextLine(_ m: ExportMember, text: UnsafeBufferPointer<UInt8>, extra: (String, String)? = nil) throws {
        buffer.append(contentsOf: #"{"uid":"#.utf8)
        var uid = m.uid
        uid.withUTF8 { JSONText.appendQuoted($0, to: &buffer) }
        buffer.append(contentsOf: #","kind":"text","text":"#.utf8)
        JSONText.appendQuoted(text, to: &buffer)
        buffer.append(contentsOf: #","label":"#.utf8)
        if var label = m.label { label.withUTF8 { JSONText.appendQuoted($0, to: &buffer) } } else { buffer.append(contentsOf: "null".utf8) }
        buffer.append(contentsOf: #","scenes":"#.utf8)
        buffer.append(contentsOf: jsonObject(m.scenes.map { ($0.0, JSONText.quote($0.1)) }).utf8)
        if let (key, value) = extra { buffer.append(contentsOf: ",\(JSONText.quote(key)):\(value)".utf8) }
        buffer.append(contentsOf: "}\n".utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        let chunk = buffer
        buffer = []
        buffer.reserveCapacity(1 << 21)
        bytes += chunk.count
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            guard failure == nil else { return }
            chunk.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            do { try handle.write(contentsOf: chunk) } catch { failure = error }
        }
        Faults.point("export")
    }

    func close() throws {
        try flush()
        let error = queue.sync { failure }
        if let error {
            try? handle.close()
            throw WinnowError.writeFailed(path: file, detail: "\(error.localizedDescription) (is the disk full?)")
        }
        try handle.synchronize()
        try handle.close()
        digest = queue.sync { ContentHash.hex(Array(hasher.finalize())) }
    }
}
