import Crypto
import Foundation
import Testing
@testable import WinnowKit

/// `export --format parquet` and `--format hf --data parquet` on a small snapshot whose
/// figures can be checked by hand: 10 texts, labels a/b, scene colour on some.
@Suite struct ParquetExportTests {
    func store(_ dir: TempDir) throws -> Store {
        let store = try dir.store()
        let lines = (0..<10).map { i in
            #"{"id":"s\#(i)","text":"text \#(i)","label":"\#(i % 3 == 0 ? "a" : "b")"\#(i % 2 == 0 ? #","colour":"red""# : "")}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.path("in.jsonl"), atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(["scene.colour=colour"])
        _ = try Importer(store: store, options: options).importFile(dir.path("in.jsonl"))
        _ = try store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        return store
    }

    func files(_ dir: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir)
        while let f = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + f, isDirectory: &isDir), !isDir.boolValue { result[f] = FileManager.default.contents(atPath: dir + "/" + f) }
        }
        return result
    }

    @Test func oneFilePerSplitByteIdenticalTwice() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("a"))
        options.format = .parquet
        options.split = [("train", 0.8), ("test", 0.2)]
        let result = try store.export(snapshot: "v1", options: options)
        options.out = dir.path("b")
        _ = try store.export(snapshot: "v1", options: options)
        let a = try files(dir.path("a")), b = try files(dir.path("b"))
        #expect(a.keys.sorted() == ["manifest.json", "test.parquet", "train.parquet"])
        #expect(a == b)
        #expect(result.manifest.format == "parquet" && result.manifest.data == nil)
        #expect(result.manifest.splits.splits.map(\.count) == [8, 2])
        for split in result.manifest.splits.splits {
            let bytes = try #require(a[split.file])
            #expect(bytes.count == split.bytes && ContentHash.hex(Array(SHA256.hash(data: bytes))) == split.sha256)
            #expect(bytes.prefix(4) == Data("PAR1".utf8) && bytes.suffix(4) == Data("PAR1".utf8))
        }
        let text = String(decoding: try #require(a["manifest.json"]), as: UTF8.self)
        #expect(text.contains(#""splits":{"train":{"file":"train.parquet","count":8,"#))
    }

    @Test func theFooterHoldsTheSchemaAndRowCount() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("a"))
        options.format = .parquet
        _ = try store.export(snapshot: "v1", options: options)
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir.path("a/train.parquet"))))
        let meta = try Self.footer(bytes)
        #expect(meta.numRows == 10 && meta.rowGroups.count == 1 && meta.rowGroups[0].numRows == 10)
        #expect(meta.createdBy == "winnow version \(Winnow.version)")
        // root, uid, kind, text, label, scenes { colour }
        #expect(meta.schema.map(\.name) == ["schema", "uid", "kind", "text", "label", "scenes", "colour"])
        #expect(meta.schema.map(\.repetition) == [nil, .required, .required, .optional, .optional, .required, .optional])
        #expect(meta.rowGroups[0].columns.map(\.metaData.pathInSchema) == [["uid"], ["kind"], ["text"], ["label"], ["scenes", "colour"]])
        #expect(meta.rowGroups[0].columns.allSatisfy { $0.metaData.codec == .zstd && $0.metaData.numValues == 10 })
    }

    static func footer(_ bytes: [UInt8]) throws -> FileMetaData {
        let n = Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8 | Int(bytes[bytes.count - 6]) << 16 | Int(bytes[bytes.count - 5]) << 24
        return try bytes.withUnsafeBytes { raw in
            var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: raw[(raw.count - 8 - n)..<(raw.count - 8)]))
            return try FileMetaData(from: &r)
        }
    }

    @Test func shardsOfTheGivenSize() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("a"))
        options.format = .parquet
        options.shardSize = 4
        let result = try store.export(snapshot: "v1", options: options)
        let split = try #require(result.manifest.splits.splits.first)
        let shards = try #require(split.shards)
        #expect(shards.map(\.file) == ["train-00000-of-00003.parquet", "train-00001-of-00003.parquet", "train-00002-of-00003.parquet"])
        #expect(shards.map(\.count) == [4, 4, 2] && split.count == 10 && split.bytes == shards.reduce(0) { $0 + $1.bytes })
        #expect(split.labels == ["a": 4, "b": 6])
        for shard in shards {
            let bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir.path("a/" + shard.file))))
            #expect(bytes.count == shard.bytes && ContentHash.hex(Array(SHA256.hash(data: bytes))) == shard.sha256)
            #expect(try Self.footer(bytes).numRows == Int64(shard.count))
        }
        let text = String(decoding: try #require(FileManager.default.contents(atPath: dir.path("a/manifest.json"))), as: UTF8.self)
        #expect(text.contains(#""train":{"files":[{"file":"train-00000-of-00003.parquet","count":4,"#))
        // The Encodable form says what the file says.
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.manifest)) as? NSDictionary
        #expect(encoded == (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary))
        // --force replaces the sharded export (its shards are the manifest's files, not foreign).
        options.force = true
        options.shardSize = 5
        let again = try store.export(snapshot: "v1", options: options)
        #expect(again.manifest.splits.splits.first?.shards?.map(\.count) == [5, 5])
        #expect(try files(dir.path("a")).keys.sorted() == ["manifest.json", "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"])
    }

    @Test func hfWithParquetDataFiles() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("a"))
        options.format = .hf
        options.data = .parquet
        options.split = [("train", 0.8), ("test", 0.2)]
        let result = try store.export(snapshot: "v1", options: options)
        #expect(try files(dir.path("a")).keys.sorted() == ["README.md", "data/test.parquet", "data/train.parquet", "manifest.json"])
        #expect(result.manifest.format == "hf" && result.manifest.data == "parquet")
        let manifest = String(decoding: try #require(FileManager.default.contents(atPath: dir.path("a/manifest.json"))), as: UTF8.self)
        #expect(manifest.hasPrefix(#"{"snapshot":"v1","fingerprint":"#) && manifest.contains(#""format":"hf","data":"parquet","seed":0,"#))
        let card = String(decoding: try #require(FileManager.default.contents(atPath: dir.path("a/README.md"))), as: UTF8.self)
        #expect(card.contains("  - split: \"train\"\n    path: \"data/train.parquet\"\n"))
        // The card's features are the files' columns, the label a class label in its place.
        #expect(card.contains("  - name: \"text\"\n    dtype: string\n  - name: label\n    dtype:\n      class_label:"))
        #expect(card.contains("  - name: \"scenes\"\n    struct:\n    - name: \"colour\"\n      dtype: string\n"))
        #expect(result.warnings.isEmpty)

        // Resampled: the copy is a column of the Parquet files, and the manifest says so.
        options.out = dir.path("r")
        options.resample = ResampleOptions(subject: .labels)
        let resampled = try store.export(snapshot: "v1", options: options)
        #expect(resampled.manifest.resample?.field == "column")
        options.resample = nil

        // Sharded: the card lists each split's shards.
        options.out = dir.path("b")
        options.shardSize = 3
        _ = try store.export(snapshot: "v1", options: options)
        let sharded = String(decoding: try #require(FileManager.default.contents(atPath: dir.path("b/README.md"))), as: UTF8.self)
        #expect(
            sharded.contains(
                "  - split: \"train\"\n    path:\n    - \"data/train-00000-of-00003.parquet\"\n    - \"data/train-00001-of-00003.parquet\"\n    - \"data/train-00002-of-00003.parquet\"\n"
            ))
    }

    /// Messages with other keys: typed where their values have one scalar type, JSON text otherwise.
    @Test func chatSchemaFromTheMessagesKeys() throws {
        let dir = TempDir()
        let store = try dir.store()
        let lines = [
            #"{"id":"c1","messages":[{"role":"user","content":"hi","name":"ann","turn":1,"w":0.5},{"role":"assistant","content":null,"tool_calls":[{"id":"x"}],"turn":2,"w":1,"mixed":"a"}]}"#,
            #"{"id":"c2","messages":[{"role":"user","content":"yo","mixed":3,"ok":true}]}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.path("c.jsonl"), atomically: true, encoding: .utf8)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.path("c.jsonl"))
        _ = try store.createSnapshot(name: "c", message: nil, selection: SnapshotSelection())
        var options = ExportOptions(out: dir.path("a"))
        options.format = .parquet
        _ = try store.export(snapshot: "c", options: options)
        let meta = try Self.footer([UInt8](try #require(FileManager.default.contents(atPath: dir.path("a/train.parquet")))))
        let leaves = meta.schema.filter { $0.type != nil }.map { "\($0.name):\($0.type!.name)" }
        #expect(
            leaves == [
                "uid:BYTE_ARRAY", "kind:BYTE_ARRAY", "role:BYTE_ARRAY", "content:BYTE_ARRAY", "mixed:BYTE_ARRAY", "name:BYTE_ARRAY", "ok:BOOLEAN", "tool_calls:BYTE_ARRAY",
                "turn:INT64", "w:DOUBLE", "label:BYTE_ARRAY",
            ])
        #expect(meta.schema.map(\.name).prefix(6) == ["schema", "uid", "kind", "messages", "list", "element"])
        #expect(meta.schema[3].convertedType == .list && meta.schema[4].repetition == .repeated)
        #expect(meta.numRows == 2)
    }
    /// A value as canonical JSON with nulls dropped (a missing key and a null read the same).
    static func canonical(_ value: Any) throws -> String {
        func strip(_ v: Any) -> Any? {
            switch v {
            case is NSNull: return nil
            case let d as [String: Any]: return d.compactMapValues(strip)
            case let a as [Any]: return a.map { strip($0) ?? NSNull() }
            default: return v
            }
        }
        let data = try JSONSerialization.data(withJSONObject: strip(value) ?? NSNull(), options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// The lead's ParquetReader reads every row of the export as the jsonl export has it: the
    /// demo reviews (scenes), pairs (scores), chats, instructions, and chats with other keys.
    @Test func roundTripThroughTheReader() throws {
        let dir = TempDir()
        let store = try dir.store()
        var skip = ImportOptions()
        skip.onError = .skip
        skip.map = try FieldMapping.parseOverrides(["scene.domain=domain"])
        _ = try Importer(store: store, options: skip).importFile(repoRoot + "/demo/reviews.jsonl")
        for file in ["nli.csv", "chats.jsonl.gz", "instructions.json"] {
            _ = try Importer(store: store, options: ImportOptions()).importFile(repoRoot + "/demo/" + file)
        }
        let tools = #"{"id":"t1","messages":[{"role":"user","content":"hi","n":1},{"role":"assistant","content":null,"calls":[{"id":"x"}],"n":2}]}"#
        try (tools + "\n").write(toFile: dir.path("t.jsonl"), atomically: true, encoding: .utf8)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.path("t.jsonl"))
        _ = try store.createSnapshot(name: "all", message: nil, selection: SnapshotSelection())
        var options = ExportOptions(out: dir.path("j"))
        options.split = [("train", 0.8), ("test", 0.2)]
        let jsonl = try store.export(snapshot: "all", options: options)
        options.out = dir.path("p")
        options.format = .parquet
        options.split = nil
        _ = try store.export(snapshot: "all", options: options)
        for split in jsonl.manifest.splits.splits {
            let lines = try String(contentsOfFile: dir.path("j/" + split.file), encoding: .utf8).split(separator: "\n")
            let want = try lines.map { try Self.canonical(try JSONSerialization.jsonObject(with: Data($0.utf8))) }
            let bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir.path("p/\(split.name).parquet"))))
            let reader = try ParquetReader(.memory(bytes))
            var got: [String] = []
            for g in 0..<reader.rowGroupCount {
                for var row in try reader.records(inRowGroup: g) {
                    // calls is JSON text (winnow.json_fields): parse it back.
                    if var messages = row["messages"] as? [[String: Any]] {
                        for i in messages.indices {
                            if let text = messages[i]["calls"] as? String { messages[i]["calls"] = try JSONSerialization.jsonObject(with: Data(text.utf8)) }
                        }
                        row["messages"] = messages
                    }
                    if row["scenes"] == nil { row["scenes"] = [String: Any]() }
                    got.append(try Self.canonical(row))
                }
            }
            #expect(got.count == split.count && got == want, "\(split.name)")
        }
    }

    /// Row groups end at the row count given, pages at the byte size, and every row reads back.
    @Test func rowGroupsAndPagesEndWhereTheOptionsSay() throws {
        var options = ParquetWriterOptions()
        options.rowGroupRows = 3
        options.pageBytes = 10
        var out: [UInt8] = []
        let schema: [ParquetField] = [.leaf("id", .int64, .required), .leaf("ok", .boolean), .list("tags", element: .leaf("element", .string, .required))]
        let w = try ParquetWriter(schema: schema, options: options) { out += $0 }
        for i in 0..<10 {
            w.int64(0, Int64(i))
            if i % 4 == 0 { w.null(1, def: 0) } else { w.bool(1, i % 2 == 0) }
            if i % 5 == 0 {
                w.null(2, def: 0)
            } else {
                for k in 0..<(i % 3) { w.string(2, "t\(i)-\(k)", rep: k == 0 ? 0 : 1) }
                if i % 3 == 0 { w.null(2, def: 1) } // an empty list
            }
            try w.endRow()
        }
        try w.close()
        let reader = try ParquetReader(.memory(out))
        #expect(reader.rowCount == 10 && reader.rowGroupCount == 4)
        #expect(reader.metadata.rowGroups.map(\.numRows) == [3, 3, 3, 1])
        var rows: [String] = []
        for g in 0..<reader.rowGroupCount { rows += try reader.records(inRowGroup: g).map { try Self.canonical($0) } }
        let want = (0..<10).map { i -> String in
            let ok = i % 4 == 0 ? "" : #","ok":\#(i % 2 == 0)"#
            let tags = i % 5 == 0 ? "" : #","tags":["# + (0..<(i % 3)).map { #""t\#(i)-\#($0)""# }.joined(separator: ",") + "]"
            return #"{"id":\#(i)"# + ok + tags + "}"
        }
        #expect(rows == want)
    }
}
