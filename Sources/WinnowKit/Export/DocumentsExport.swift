import CZlib
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// `export --format documents`: the layout datatrove's `JsonlReader` and Dolma read, for the
/// engines that run beyond one machine. The members, in uid order, cut into contiguous shards
/// `documents/00000.jsonl.gz`, `documents/00001.jsonl.gz`, …; one JSON object per line:
///
///     {"id":UID,"text":TEXT,"source":FILE,"metadata":{"kind":…,"label":…,"scenes":{…},"source":FILE,"split":…}}
///
/// `id` is the sample's uid (what `flags import` takes back), `source` the file of the import
/// that first brought the sample (Dolma's mandatory `source`; datatrove folds it into its
/// metadata), `split` the member's split in the scheme. `text` is the text of a text sample;
/// other kinds are flattened (`DocumentsExport.text`). The gzip members carry no file name and
/// no time, so the same snapshot and options give the same bytes. With `--data parquet` the
/// shards are `documents/NNNNN.parquet` of the same fields (`parquetSchema`).
public enum DocumentsExport {
    /// Rows per shard when neither `--shards` nor `--shard-size` is given.
    public static let defaultShardSize = 100_000

    /// Refuses options a documents export cannot honour (and shard options without it).
    static func check(_ options: ExportOptions) throws {
        if let shards = options.shards {
            guard options.format == .documents else { throw WinnowError.invalidArgument("--shards needs --format documents") }
            guard shards >= 1 else { throw WinnowError.invalidArgument("--shards takes 1 or more shards, got \(shards)") }
            if options.shardSize != nil { throw WinnowError.invalidArgument("pass --shards or --shard-size, not both") }
        }
        if let size = options.shardSize, size < 1 { throw WinnowError.invalidArgument("--shard-size takes 1 or more rows per shard, got \(size)") }
        guard options.format == .documents else { return }
        if options.resample != nil {
            throw WinnowError.invalidArgument(
                "--format documents writes every member once, for an engine to filter: it takes no --resample (export jsonl or hf to resample)")
        }
    }

    /// The shard file names, under the export folder (`--data parquet`: NNNNN.parquet).
    static func file(_ index: Int, parquet: Bool = false) -> String { "documents/" + name(index) + (parquet ? ".parquet" : ".jsonl.gz") }

    /// The Parquet form of a document (`--data parquet`): `id`, `text`, `source` and a
    /// `metadata` struct of kind, label, scenes (one optional string per dimension, sorted;
    /// left out when there are none: Parquet has no empty struct), source and split.
    static func parquetSchema(dimensions: [String]) -> [ParquetField] {
        var metadata: [ParquetField] = [.leaf("kind", .string, .required), .leaf("label", .string)]
        if !dimensions.isEmpty { metadata.append(.group("scenes", .required, dimensions.map { .leaf($0, .string) })) }
        metadata += [.leaf("source", .string), .leaf("split", .string, .required)]
        return [.leaf("id", .string, .required), .leaf("text", .string, .required), .leaf("source", .string), .group("metadata", .required, metadata)]
    }

    /// Writes one document as a Parquet row, in `parquetSchema`'s leaf order.
    static func writeRow(
        _ m: ExportMember, content: SampleContent, source: String, split: String, dimensions: [String], to w: ParquetWriter
    ) throws {
        w.string(0, m.uid)
        w.string(1, text(content))
        w.string(2, source)
        w.string(3, m.kind.rawValue)
        if let label = m.label { w.string(4, label) } else { w.null(4, def: 0) }
        let scenes = Dictionary(m.scenes, uniquingKeysWith: { a, _ in a })
        for (k, dimension) in dimensions.enumerated() {
            if let category = scenes[dimension] { w.string(5 + k, category) } else { w.null(5 + k, def: 0) }
        }
        w.string(5 + dimensions.count, source)
        w.string(6 + dimensions.count, split)
        try w.endRow()
    }

    /// A shard's name in the manifest's `splits`: its five-digit number.
    static func name(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The first member of each shard: `shards` shards of near-equal size (the first ones one
    /// longer), else shards of `shardSize` rows, the last one shorter. Always one shard at least.
    static func boundaries(count: Int, shards: Int?, shardSize: Int?) -> [Range<Int>] {
        if let shards, shards > 0 {
            let base = count / shards, extra = count % shards
            var start = 0
            return (0..<shards).map { i in
                let n = base + (i < extra ? 1 : 0)
                defer { start += n }
                return start..<(start + n)
            }
        }
        let size = max(1, shardSize ?? defaultShardSize)
        if count == 0 { return [0..<0] }
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// The text a document carries. A text sample: its text. A pair: `text_a`, a blank line,
    /// `text_b`. An instruction: the instruction, the input (when not empty), the output, a blank
    /// line between each. A chat: one paragraph per message, `ROLE: CONTENT`, a blank line between.
    public static func text(_ content: SampleContent) -> String {
        switch content {
        case .text(let t): return t
        case .pair(let a, let b): return a + "\n\n" + b
        case .instruction(let instruction, let input, let output):
            return ([instruction] + (input.isEmpty ? [] : [input]) + [output]).joined(separator: "\n\n")
        case .chat(let messages): return messages.map { $0.role + ": " + $0.content }.joined(separator: "\n\n")
        }
    }

    /// One document line (without its newline).
    static func line(_ m: ExportMember, content: SampleContent, source: String, split: String) -> String {
        let source = JSONText.quote(source)
        let metadata = jsonObject([
            ("kind", JSONText.quote(m.kind.rawValue)), ("label", m.label.map(JSONText.quote) ?? "null"),
            ("scenes", jsonObject(m.scenes.map { ($0.0, JSONText.quote($0.1)) })), ("source", source),
            ("split", JSONText.quote(split)),
        ])
        return jsonObject([("id", JSONText.quote(m.uid)), ("text", JSONText.quote(text(content))), ("source", source), ("metadata", metadata)])
    }
}

extension Store {
    /// Step 3 of a documents export: streams the members, in uid order, into their shards,
    /// compressing and hashing as it goes. One content lookup per member, as `writeSplits` does.
    func writeDocuments(_ plan: ExportPlan, into folder: URL, options: ExportOptions) throws -> [ExportManifest.Split] {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("documents"), withIntermediateDirectories: true)
        let shards = DocumentsExport.boundaries(count: plan.members.count, shards: options.shards, shardSize: options.shardSize)
        var written: [ExportManifest.Split] = []
        try read { db in
            var sources: [Int64: String] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT m.sample_id, src.name FROM snapshot_members m JOIN samples s ON s.id = m.sample_id
                    JOIN sources src ON src.id = s.source_id WHERE m.snapshot_id = ?
                    """, arguments: [plan.snapshot.id])
            while let row = try rows.next() { sources[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1) }
            try db.execute(sql: "PRAGMA mmap_size = \(Store.scanMapSize)")
            defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
            let statement = try db.makeStatement(sql: "SELECT id, \(ContentColumns.selectList("")) FROM contents WHERE id = ?")
            let raw = RawStatement(statement)
            if options.data == .parquet {
                let dimensions = Set(plan.members.flatMap { $0.scenes.map(\.0) }).sorted()
                let schema = DocumentsExport.parquetSchema(dimensions: dimensions)
                for (index, range) in shards.enumerated() {
                    let file = DocumentsExport.file(index, parquet: true)
                    let out = try SplitWriter(url: folder.appendingPathComponent(file), file: file)
                    let parquet = try ParquetWriter(schema: schema) { try out.write(bytes: $0) }
                    var labels: [String: Int] = [:]
                    for i in range {
                        let member = plan.members[i]
                        try Store.stepContent(raw, of: member, out: options.out)
                        try DocumentsExport.writeRow(
                            member, content: ContentColumns.content(raw.handle), source: sources[member.sampleID] ?? "", split: plan.splits.splits[i],
                            dimensions: dimensions, to: parquet)
                        if let l = member.label { labels[l, default: 0] += 1 }
                    }
                    try parquet.close()
                    try out.close()
                    written.append(
                        ExportManifest.Split(name: DocumentsExport.name(index), file: file, count: range.count, bytes: out.bytes, sha256: out.digest, labels: labels))
                }
                raw.reset()
                return
            }
            for (index, range) in shards.enumerated() {
                let file = DocumentsExport.file(index)
                let writer = try GzipFileWriter(url: folder.appendingPathComponent(file), file: file)
                var labels: [String: Int] = [:]
                for i in range {
                    let member = plan.members[i]
                    try Store.stepContent(raw, of: member, out: options.out)
                    let content = ContentColumns.content(raw.handle)
                    try writer.write(
                        DocumentsExport.line(member, content: content, source: sources[member.sampleID] ?? "", split: plan.splits.splits[i]) + "\n")
                    if let l = member.label { labels[l, default: 0] += 1 }
                }
                try writer.close()
                written.append(
                    ExportManifest.Split(
                        name: DocumentsExport.name(index), file: file, count: range.count, bytes: writer.bytes, sha256: writer.digest, labels: labels))
            }
            raw.reset()
        }
        return written
    }
}

/// A gzip file written through a 1 MiB buffer, its compressed bytes counted and hashed on the
/// way. The header is written by hand — no file name, modification time 0, operating system
/// "unknown" (255) — around zlib's raw deflate, so the bytes depend on the text alone.
final class GzipFileWriter {
    let file: String
    private let handle: FileHandle
    private var buffer = [UInt8]()
    private var out = [UInt8](repeating: 0, count: 1 << 16)
    private var stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var hasher = SHA256()
    private var crc: uLong = crc32(0, nil, 0)
    private var length: UInt32 = 0
    private var ended = false
    private(set) var bytes = 0
    private(set) var digest = ""

    init(url: URL, file: String) throws {
        self.file = file
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw WinnowError.writeFailed(path: url.path, detail: "cannot create the file")
        }
        self.handle = handle
        stream.initialize(to: z_stream())
        // -15: raw deflate with a 32 KiB window (the header and trailer are ours).
        guard deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            ended = true
            throw WinnowError.writeFailed(path: file, detail: "cannot start gzip compression")
        }
        buffer.reserveCapacity(1 << 21)
        try emit([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255])
    }

    deinit { end() }

    private func end() {
        guard !ended else { return }
        deflateEnd(stream)
        stream.deallocate()
        ended = true
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try compress(finish: false) }
    }

    private func emit(_ chunk: [UInt8]) throws {
        chunk.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        bytes += chunk.count
        do { try handle.write(contentsOf: chunk) } catch {
            throw WinnowError.writeFailed(path: file, detail: "\(error.localizedDescription) (is the disk full?)")
        }
        Faults.point("export")
    }

    private func compress(finish: Bool) throws {
        var produced: [UInt8] = []
        var status = Z_OK
        buffer.withUnsafeMutableBufferPointer { input in
            if input.count > 0 { crc = crc32(crc, input.baseAddress, uInt(input.count)) }
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            out.withUnsafeMutableBufferPointer { o in
                repeat {
                    stream.pointee.next_out = o.baseAddress
                    stream.pointee.avail_out = uInt(o.count)
                    status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    produced.append(contentsOf: UnsafeBufferPointer(rebasing: o[0..<(o.count - Int(stream.pointee.avail_out))]))
                } while status == Z_OK && (finish || stream.pointee.avail_out == 0)
            }
        }
        guard status == (finish ? Z_STREAM_END : Z_OK) || (!finish && status == Z_BUF_ERROR) else {
            throw WinnowError.writeFailed(path: file, detail: "gzip compression failed (zlib error \(status))")
        }
        length = length &+ UInt32(truncatingIfNeeded: buffer.count)
        buffer.removeAll(keepingCapacity: true)
        if !produced.isEmpty { try emit(produced) }
    }

    /// Ends the gzip member (CRC-32 and length, little-endian), syncs and closes the file.
    func close() throws {
        try compress(finish: true)
        end()
        let c = UInt32(truncatingIfNeeded: crc)
        try emit((0..<4).map { UInt8(truncatingIfNeeded: c >> (8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        try handle.synchronize()
        try handle.close()
        digest = ContentHash.hex(Array(hasher.finalize()))
    }
}
