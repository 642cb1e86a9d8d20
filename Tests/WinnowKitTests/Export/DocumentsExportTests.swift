import Crypto
import Foundation
import Testing
@testable import WinnowKit

/// Issue 16 item 3: `export --format documents`, the shards datatrove and Dolma read.
@Suite struct DocumentsExportTests {
    /// A store with text samples (two labels, a scene) and the demo's chats, snapshot v1.
    func store(_ dir: TempDir) throws -> Store {
        let store = try dir.store()
        let lines = (0..<7).map { "{\"id\": \"t\($0)\", \"text\": \"text \($0) \\\"quoted\\\" ✓\", \"label\": \"\($0 % 2 == 0 ? "pos" : "neg")\", \"domain\": \"d\($0 % 3)\"}" }
        var options = ImportOptions()
        options.map[.scene("domain")] = "domain"
        _ = try Importer(store: store, options: options).importFile(dir.write("texts.jsonl", lines.joined(separator: "\n") + "\n"))
        _ = try Importer(store: store, options: ImportOptions()).importFile(repoRoot + "/demo/chats.jsonl.gz")
        _ = try store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        return store
    }

    /// The decompressed lines of a shard.
    func lines(_ path: String) throws -> [[String: Any]] {
        let reader = LineReader(source: try InputFile(path: path).source(), maxLineBytes: 1 << 24)
        var out: [[String: Any]] = []
        while case .text(let bytes)? = try reader.next() {
            out.append(try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]))
        }
        return out
    }

    /// `--data parquet`: documents/NNNNN.parquet shards whose rows, read back, are the jsonl.gz
    /// shards' lines field for field (the scenes a struct of every dimension, null where a
    /// document has none), the manifest's checksums those of the files, the same bytes twice.
    @Test func parquetShardsHoldTheSameDocuments() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("docs"))
        options.format = .documents
        options.shards = 2
        let jsonl = try store.export(snapshot: "v1", options: options).manifest.splits.splits
        options.out = dir.path("pq")
        options.data = .parquet
        let parquet = try store.export(snapshot: "v1", options: options).manifest.splits.splits
        #expect(parquet.map(\.file) == ["documents/00000.parquet", "documents/00001.parquet"])
        #expect(parquet.map(\.count) == jsonl.map(\.count))
        for (p, j) in zip(parquet, jsonl) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("pq/" + p.file)))
            #expect(p.sha256 == ContentHash.hex(Array(SHA256.hash(data: bytes))))
            #expect(p.labels == j.labels)
            let reader = try ParquetReader(.memory(Array(bytes)))
            let rows = try (0..<reader.rowGroupCount).flatMap { try reader.records(inRowGroup: $0) }
            let lines = try lines(dir.path("docs/" + j.file))
            #expect(rows.count == lines.count)
            for (row, line) in zip(rows, lines) {
                #expect(row["id"] as? String == line["id"] as? String)
                #expect(row["text"] as? String == line["text"] as? String)
                #expect(row["source"] as? String == line["source"] as? String)
                let rm = try #require(row["metadata"] as? [String: Any])
                let lm = try #require(line["metadata"] as? [String: Any])
                for key in ["kind", "source", "split"] { #expect(rm[key] as? String == lm[key] as? String, "\(key)") }
                #expect((rm["label"] as? String) == (lm["label"] as? String))
                let scenes = (rm["scenes"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
                #expect(scenes == (lm["scenes"] as? [String: String] ?? [:]))
            }
        }
        options.out = dir.path("pq2")
        let again = try store.export(snapshot: "v1", options: options).manifest.splits.splits
        #expect(again.map(\.sha256) == parquet.map(\.sha256))
    }

    @Test func shardsHoldEveryMemberOnceInUidOrderWithTheirMetadata() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("docs"))
        options.format = .documents
        options.shards = 3
        let result = try store.export(snapshot: "v1", options: options)
        let shards = result.manifest.splits.splits
        #expect(shards.map(\.name) == ["00000", "00001", "00002"])
        #expect(shards.map(\.file) == ["documents/00000.jsonl.gz", "documents/00001.jsonl.gz", "documents/00002.jsonl.gz"])
        let total = shards.map(\.count).reduce(0, +)
        #expect(shards.map(\.count).max()! - shards.map(\.count).min()! <= 1)
        var all: [[String: Any]] = []
        for shard in shards {
            let path = dir.path("docs/" + shard.file)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            // gzip, deflate, no flags, no time, no name, OS unknown.
            #expect(Array(bytes.prefix(10)) == [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255])
            #expect(shard.bytes == bytes.count)
            #expect(shard.sha256 == ContentHash.hex(Array(SHA256.hash(data: bytes))))
            let rows = try lines(path)
            #expect(rows.count == shard.count)
            var labels: [String: Int] = [:]
            for row in rows { if let l = (row["metadata"] as? [String: Any])?["label"] as? String { labels[l, default: 0] += 1 } }
            #expect(labels == shard.labels)
            all += rows
        }
        let ids = all.compactMap { $0["id"] as? String }
        #expect(ids.count == total && ids == ids.sorted() && Set(ids).count == ids.count)
        #expect(ids.contains("t0") && ids.contains("chat-01"))
        let t0 = try #require(all.first { $0["id"] as? String == "t0" })
        #expect(t0["text"] as? String == "text 0 \"quoted\" ✓")
        #expect(t0["source"] as? String == "texts.jsonl")
        let meta = try #require(t0["metadata"] as? [String: Any])
        #expect(meta["kind"] as? String == "text" && meta["label"] as? String == "pos" && meta["source"] as? String == "texts.jsonl")
        #expect(meta["scenes"] as? [String: String] == ["domain": "d0"] && meta["split"] as? String == "train")
        let chat = try #require(all.first { $0["id"] as? String == "chat-01" })
        #expect((chat["metadata"] as? [String: Any])?["kind"] as? String == "chat")
        #expect((chat["metadata"] as? [String: Any])?["label"] is NSNull)
        #expect((chat["text"] as? String)?.hasPrefix("user: How do I reverse a list in Python") == true)
        #expect((chat["text"] as? String)?.contains("\n\nassistant: Use slicing") == true)
        // The manifest on disk is the one returned, and lists only the shards.
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("docs/manifest.json")))) as? [String: Any])
        #expect(manifest["format"] as? String == "documents")
        #expect((manifest["splits"] as? [String: Any])?.keys.sorted() == ["00000", "00001", "00002"])
    }

    @Test func theSameSnapshotAndOptionsGiveTheSameBytesAndForceReplacesIt() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("a"))
        options.format = .documents
        options.shardSize = 4
        let a = try store.export(snapshot: "v1", options: options)
        options.out = dir.path("b")
        let b = try store.export(snapshot: "v1", options: options)
        #expect(a.manifest.splits == b.manifest.splits)
        #expect(a.manifest.splits.splits.dropLast().allSatisfy { $0.count == 4 })
        for shard in a.manifest.splits.splits {
            #expect(FileManager.default.contentsEqual(atPath: dir.path("a/" + shard.file), andPath: dir.path("b/" + shard.file)))
        }
        #expect(FileManager.default.contentsEqual(atPath: dir.path("a/manifest.json"), andPath: dir.path("b/manifest.json")))
        // A previous documents export is Winnow's own: --force replaces it, nothing else is foreign.
        #expect(ExportTarget.foreignFiles(dir.path("a")).isEmpty)
        options.out = dir.path("a")
        #expect(throws: WinnowError.self) { try store.export(snapshot: "v1", options: options) }
        options.force = true
        options.shardSize = nil
        let one = try store.export(snapshot: "v1", options: options)
        #expect(one.manifest.splits.splits.count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.path("a/documents/00001.jsonl.gz")))
    }

    @Test func shardBoundariesAndFlatteningFollowTheirRules() {
        #expect(DocumentsExport.boundaries(count: 10, shards: 3, shardSize: nil) == [0..<4, 4..<7, 7..<10])
        #expect(DocumentsExport.boundaries(count: 2, shards: 3, shardSize: nil) == [0..<1, 1..<2, 2..<2])
        #expect(DocumentsExport.boundaries(count: 10, shards: nil, shardSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(DocumentsExport.boundaries(count: 5, shards: nil, shardSize: nil) == [0..<5])
        #expect(DocumentsExport.text(.pair("a", "b")) == "a\n\nb")
        #expect(DocumentsExport.text(.instruction(instruction: "do", input: "", output: "done")) == "do\n\ndone")
        #expect(DocumentsExport.text(.instruction(instruction: "do", input: "x", output: "done")) == "do\n\nx\n\ndone")
        #expect(DocumentsExport.text(.chat([ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "hello")])) == "user: hi\n\nassistant: hello")
        #expect(DocumentsExport.name(7) == "00007" && DocumentsExport.name(123_456) == "123456")
    }

    @Test func optionsADocumentsExportCannotHonourAreRefused() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("x"))
        options.shards = 2
        #expect(throws: WinnowError.invalidArgument("--shards needs --format documents")) { try store.export(snapshot: "v1", options: options) }
        options.format = .documents
        options.shards = 0
        #expect(throws: WinnowError.invalidArgument("--shards takes 1 or more shards, got 0")) { try store.export(snapshot: "v1", options: options) }
        options.shards = nil
        options.resample = ResampleOptions(subject: .labels)
        #expect(throws: WinnowError.self) { try store.export(snapshot: "v1", options: options) }
        #expect(!FileManager.default.fileExists(atPath: dir.path("x")))
    }
}
