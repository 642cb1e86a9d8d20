import Foundation

/// One split's Parquet files: a single NAME.parquet, or with `--shard-size N` the shards
/// NAME-00000-of-0000K.parquet of N rows each (the last holds the rest), the names `datasets`
/// reads as a split's shards. Each file goes through a `SplitWriter`, counted and hashed.
final class ParquetSplit {
    let name: String
    private let folder: URL
    private let prefix: String
    private let rows: ParquetRows
    private let options: ParquetWriterOptions
    private let shardSize: Int?
    let shardCount: Int
    private var current: (file: SplitWriter, parquet: ParquetWriter)?
    private var shards: [ExportManifest.Shard] = []
    var count = 0
    var labels: [String: Int] = [:]

    /// `total`: the rows the split will hold (its shard count is known before the first).
    init(_ name: String, in folder: URL, prefix: String, rows: ParquetRows, options: ParquetWriterOptions, shardSize: Int?, total: Int) {
        self.name = name
        self.folder = folder
        self.prefix = prefix
        self.rows = rows
        self.options = options
        self.shardSize = shardSize
        shardCount = shardSize.map { max(1, (total + $0 - 1) / $0) } ?? 1
    }

    /// The file name of shard `k`.
    static func fileName(_ split: String, shard k: Int, of n: Int, sharded: Bool) -> String {
        sharded ? "\(split)-\(String(format: "%05d", k))-of-\(String(format: "%05d", n)).parquet" : "\(split).parquet"
    }

    /// The writer for the next row, opening the next shard when the current one is full.
    func writer() throws -> ParquetWriter {
        if let current, shardSize.map({ current.parquet.rows < $0 }) ?? true { return current.parquet }
        try closeShard()
        let file = prefix + Self.fileName(name, shard: shards.count, of: shardCount, sharded: shardSize != nil)
        let out = try SplitWriter(url: folder.appendingPathComponent(file), file: file)
        let parquet = try ParquetWriter(schema: rows.fields, options: options) { try out.write(bytes: $0) }
        current = (out, parquet)
        return parquet
    }

    private func closeShard() throws {
        guard let (out, parquet) = current else { return }
        try parquet.close()
        try out.close()
        shards.append(ExportManifest.Shard(file: out.file, count: parquet.rows, bytes: out.bytes, sha256: out.digest))
        current = nil
    }

    /// Closes the last file (an empty split gets one file of no rows); what the manifest says.
    func close() throws -> ExportManifest.Split {
        if current == nil && shards.isEmpty { _ = try writer() }
        try closeShard()
        if shardSize == nil, let only = shards.first {
            return ExportManifest.Split(name: name, file: only.file, count: only.count, bytes: only.bytes, sha256: only.sha256, labels: labels)
        }
        return ExportManifest.Split(
            name: name, file: "", count: count, bytes: shards.reduce(0) { $0 + $1.bytes }, sha256: "", labels: labels, shards: shards)
    }
}

extension Store {
    /// Step 3 of a Parquet export (`--format parquet`, `hf --data parquet`): as `writeSplits`,
    /// into each split's Parquet files. The schema is the whole export's, so first the
    /// members' kinds, scene dimensions and (reading every chat's content once more) the keys
    /// of their messages.
    func writeParquetSplits(
        _ plan: ExportPlan, into folder: URL, options: ExportOptions
    ) throws
        -> (splits: [ExportManifest.Split], shape: DatasetCard.Shape)
    {
        let resampling = plan.resampling
        let field = resampling.flatMap { ExportResampling.carries(options.format) ? $0.fieldName : nil }
        var shape = DatasetCard.Shape()
        for member in plan.members { shape.add(member) }
        if let field { shape.resampleField = (field, field == "copy" ? .int64 : .float64) }
        let splitNames = plan.splits.settings.ratios.map(\.0)
        var totals: [String: Int] = [:]
        for index in plan.members.indices {
            let split = plan.splits.splits[index]
            totals[split, default: 0] += resampling?.splits[split].map { $0.multiplicity[index] ?? 1 } ?? 1
        }
        return try read { db in
            try db.execute(sql: "PRAGMA mmap_size = \(Store.scanMapSize)")
            defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
            let statement = try db.makeStatement(sql: "SELECT id, \(ContentColumns.selectList("")) FROM contents WHERE id = ?")
            let raw = RawStatement(statement)
            let stmt = raw.handle
            if shape.kinds.contains(.chat) {
                for member in plan.members where member.kind == .chat {
                    try Store.stepContent(raw, of: member, out: options.out)
                    if case .chat(let messages) = ContentColumns.content(stmt) { shape.add(messages) }
                }
            }
            let rows = ParquetRows(shape)
            shape.parquetFeatures = rows.features
            var writerOptions = ParquetWriterOptions()
            writerOptions.keyValueMetadata = rows.keyValueMetadata
            if options.format == .hf { try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true) }
            let files = splitNames.map { name in
                ParquetSplit(
                    name, in: folder, prefix: options.format == .hf ? "data/" : "", rows: rows, options: writerOptions,
                    shardSize: options.shardSize, total: totals[name] ?? 0)
            }
            let byName = Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0) })
            for (index, member) in plan.members.enumerated() {
                let split = plan.splits.splits[index]
                guard let file = byName[split] else {
                    throw WinnowError.writeFailed(path: options.out, detail: "\(member.uid) is assigned to split '\(split)', which this export does not write")
                }
                let resampled = resampling?.splits[split]
                let copies = resampled.map { $0.multiplicity[index] ?? 1 } ?? 1
                if copies == 0 { continue }
                try Store.stepContent(raw, of: member, out: options.out)
                let direct = member.kind == .text ? Store.columnBytes(stmt, 1) : nil
                let content = direct == nil ? ContentColumns.content(stmt) : nil
                for copy in 0..<copies {
                    var extra: (String, String)?
                    if let resampled, let field {
                        extra = (field, field == "copy" ? "\(copy)" : jsonNumber(resampled.weight[index] ?? 1))
                    }
                    try rows.write(member, content: content, text: direct, extra: extra, to: try file.writer())
                }
                file.count += copies
                if let l = member.label { file.labels[l, default: 0] += copies }
            }
            raw.reset()
            return (try files.map { try $0.close() }, shape)
        }
    }
}
