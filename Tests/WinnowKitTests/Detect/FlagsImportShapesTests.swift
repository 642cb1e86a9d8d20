import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// Issue 16 item 3: `flags import` of what datatrove, Dolma, Data-Juicer and Spark write back,
/// and of a plain id list; several files and globs, all or nothing.
@Suite struct FlagsImportShapesTests {
    /// A store of six text samples a0…a5.
    func store(_ dir: TempDir) throws -> Store {
        let store = try dir.store()
        let lines = (0..<6).map { "{\"id\": \"a\($0)\", \"text\": \"sample number \($0) with words\", \"label\": \"x\"}" }
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in.jsonl", lines.joined(separator: "\n") + "\n"))
        return store
    }

    func flags(_ store: Store, _ detector: String) throws -> [FlagSummary] {
        try store.flags(detector: detector, status: nil, limit: nil).flags.sorted { ($0.uid, $0.reason) < ($1.uid, $1.reason) }
    }

    /// Writes `text` at `name`, making its folders.
    @discardableResult
    func write(_ dir: TempDir, _ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(atPath: (dir.path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return dir.write(name, text)
    }

    /// Writes `text` gzipped (through the export's writer) at `name`.
    func gzip(_ dir: TempDir, _ name: String, _ text: String) throws -> String {
        let path = dir.path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let writer = try GzipFileWriter(url: URL(fileURLWithPath: path), file: name)
        try writer.write(text)
        try writer.close()
        return path
    }

    @Test func datatroveExclusionsAreOneFlagPerDocumentWithItsFilterReason() throws {
        let dir = TempDir()
        let store = try store(dir)
        _ = try gzip(
            dir, "removed/gopher/00000.jsonl.gz",
            """
            {"text":"sample number 1","id":"a1","metadata":{"label":"x","filter_reason":"gopher_short_doc","file_path":"x"}}
            {"text":"sample number 2","id":"a2","metadata":{"filter_reason":"gopher_below_avg_threshold"}}

            """)
        _ = try gzip(dir, "removed/length/00001.jsonl.gz", "{\"text\":\"t\",\"id\":\"a3\",\"metadata\":{}}\n")
        dir.write("removed/_SUCCESS", "")
        dir.write("removed/.00000.jsonl.gz.crc", "junk")
        let r = try store.importFlags(FlagsImportOptions(paths: [dir.path("removed")]))
        #expect(r.shape == "datatrove" && r.detector == "datatrove" && r.files.count == 2 && r.scanned == 3 && r.flagged == 3)
        let f = try flags(store, "datatrove")
        #expect(f.map(\.uid) == ["a1", "a2", "a3"])
        #expect(f[0].reason == "datatrove dropped it: gopher_short_doc" && f[2].reason == "datatrove dropped it")
        guard case .object(let details) = f[1].details else { Issue.record("details are an object"); return }
        #expect(details["filter_reason"] == .string("gopher_below_avg_threshold") && details["line"] == .number("2"))
        // A quoted glob names the same files; the run replaces the open flags.
        var options = FlagsImportOptions(paths: [dir.path("removed/*/*.jsonl.gz")])
        options.shape = .datatrove
        options.detector = "quality"
        #expect(try store.importFlags(options).flagged == 3)
        #expect(throws: WinnowError.self) { try store.importFlags(FlagsImportOptions(paths: [dir.path("nothing/*.jsonl.gz")])) }
    }

    @Test func dolmaAttributesAreOneFlagPerDocumentPerAttributeScoredByTheirHighestSpan() throws {
        let dir = TempDir()
        let store = try store(dir)
        let file = try write(
            dir, "attributes/tox/00000.json",
            """
            {"id":"a0","source":"s","attributes":{"exp__tox__score":[[0,10,0.9],[10,20,0.2]],"exp__pii__count":[[0,5,1.0]]}}
            {"id":"a1","attributes":{"exp__tox__score":[[0,10,0.3]],"exp__pii__count":[]}}

            """)
        var options = FlagsImportOptions(paths: [file])
        options.threshold = 0.5
        let r = try store.importFlags(options)
        #expect(r.shape == "dolma" && r.scanned == 2 && r.flagged == 2)
        let f = try flags(store, "dolma")
        #expect(f.map(\.uid) == ["a0", "a0"] && f.map(\.score).sorted() == [0.9, 1.0])
        #expect(f.contains { $0.reason == "exp__tox__score: 0.9, the highest of 2 spans (threshold ≥ 0.5)" })
        options.attributes = ["exp__tox__score"]
        options.threshold = nil
        #expect(try store.importFlags(options).flagged == 2) // a0 and a1, tox only
        #expect(try flags(store, "dolma").map(\.uid) == ["a0", "a1"])
        try write(dir, "attributes/bad.json", "{\"id\":\"a0\",\"attributes\":{\"x\":[[0,1]]}}\n")
        options = FlagsImportOptions(paths: [dir.path("attributes/bad.json")])
        #expect(throws: WinnowError.self) { try store.importFlags(options) }
        do { _ = try store.importFlags(options) } catch {
            #expect("\(error)".contains("bad.json:1: attribute 'x' has a span that is not [start, end, score]"))
        }
    }

    @Test func dataJuicerStatsNeedAFieldAndFlagAtTheThresholdEitherWay() throws {
        let dir = TempDir()
        let store = try store(dir)
        let file = dir.write(
            "dj.jsonl",
            """
            {"id":"a0","text":"t","__dj__stats__":{"text_len":12,"perplexity":900.5}}
            {"id":"a1","text":"t","__dj__stats__":{"text_len":400,"perplexity":50}}
            {"id":"a2","text":"t","__dj__stats__":{"text_len":[3,9],"perplexity":10}}

            """)
        var options = FlagsImportOptions(paths: [file])
        #expect(throws: WinnowError.invalidArgument("--shape data-juicer needs --score-field FIELD, a key of __dj__stats__ (its first record has perplexity, text_len)")) {
            try store.importFlags(options)
        }
        options.scoreField = "text_len"
        options.threshold = 20
        options.below = true
        let r = try store.importFlags(options)
        #expect(r.shape == "data-juicer" && r.flagged == 2)
        #expect(try flags(store, "data-juicer").map(\.uid) == ["a0", "a2"])
        #expect(try flags(store, "data-juicer").first?.reason == "text_len is 12 (threshold ≤ 20)")
        options.scoreField = "nope"
        do {
            _ = try store.importFlags(options)
            Issue.record("a missing stat must stop the import")
        } catch {
            #expect("\(error)".contains("dj.jsonl:1: __dj__stats__.nope is missing (its keys: perplexity, text_len), expected a number"))
            #expect("\(error)".contains("dj.jsonl:3:"))
        }
        #expect(try flags(store, "data-juicer").count == 2) // all or nothing: the last run stands
    }

    @Test func anIdListFlagsEveryListedSampleAndUnknownIdsStopItWhole() throws {
        let dir = TempDir()
        let store = try store(dir)
        let list = dir.write("drop.txt", "# dropped by hand\na4\n\n a5 \na4\n")
        let r = try store.importFlags(FlagsImportOptions(paths: [list]))
        #expect(r.shape == "ids" && r.detector == "id-list" && r.scanned == 3 && r.flagged == 2)
        #expect(try flags(store, "id-list").map(\.reason) == ["listed to drop in drop.txt", "listed to drop in drop.txt"])
        let unknown = dir.write("more.txt", "a1\nzz1\nzz2\n")
        do {
            _ = try store.importFlags(FlagsImportOptions(paths: [list, unknown, dir.write("third.txt", "zz3\n")]))
            Issue.record("unknown ids must stop the import")
        } catch let error as WinnowError {
            let text = error.description
            #expect(text.contains("more.txt:2: no sample with uid 'zz1'") && text.contains("more.txt:3: no sample with uid 'zz2'"))
            #expect(text.contains("third.txt:1: no sample with uid 'zz3'"))
            #expect(text.contains("no flags were imported (3 bad records, 3 unknown uids, in 2 of 3 files)"))
        }
        #expect(try flags(store, "id-list").map(\.uid) == ["a4", "a5"])
    }

    @Test func pairsClusterAndFlagAllButTheEarliestMember() throws {
        let dir = TempDir()
        let store = try store(dir)
        try write(
            dir, "pairs/part-00000.json",
            """
            {"id_a":"a1","id_b":"a3","similarity":0.9}
            {"id_a":"a3","id_b":"a4","similarity":0.85}
            {"id_a":"a0","id_b":"a5","similarity":0.5}

            """)
        try write(dir, "pairs/_SUCCESS", "")
        var options = FlagsImportOptions(paths: [dir.path("pairs")])
        options.detector = "spark-minhash"
        options.threshold = 0.8
        let r = try store.importFlags(options)
        #expect(r.shape == "pairs" && r.scanned == 3 && r.flagged == 2)
        let f = try flags(store, "spark-minhash")
        #expect(f.map(\.uid) == ["a3", "a4"])
        #expect(f[0].reason == "90% similar to a1 (part-00000.json); cluster of a1" && f[0].score == 0.9)
        #expect(f[1].reason == "85% similar to a3 (part-00000.json); cluster of a1")
        try write(dir, "bad/p.json", "{\"id_a\":\"a1\",\"id_b\":\"a3\",\"similarity\":\"high\"}\n{\"id_a\":\"a1\"}\n")
        options.paths = [dir.path("bad/p.json")]
        options.shape = .pairs
        do {
            _ = try store.importFlags(options)
            Issue.record("bad pairs must stop the import")
        } catch {
            #expect("\(error)".contains("p.json:1: 'similarity' is not a number"))
            #expect("\(error)".contains("p.json:2: a pair needs 'id_a' and 'id_b'"))
        }
        #expect(try flags(store, "spark-minhash").count == 2)
    }

    @Test func shapesAreToldFromTheFirstRecord() throws {
        let dir = TempDir()
        #expect(try FlagsShape.detect(dir.write("a.jsonl", "\n{\"id\":\"x\",\"attributes\":{}}\n")) == .dolma)
        #expect(try FlagsShape.detect(dir.write("b.jsonl", "{\"id\":\"x\",\"__dj__stats__\":{}}\n")) == .dataJuicer)
        #expect(try FlagsShape.detect(dir.write("c.jsonl", "{\"id_a\":\"x\",\"id_b\":\"y\"}\n")) == .pairs)
        #expect(try FlagsShape.detect(dir.write("d.jsonl", "{\"id\":\"x\",\"text\":\"t\",\"metadata\":{}}\n")) == .datatrove)
        #expect(try FlagsShape.detect(dir.write("e.jsonl", "{\"uid\":\"x\",\"p\":0.5}\n")) == .scores)
        #expect(try FlagsShape.detect(dir.write("f.csv", "uid,p\n")) == .scores)
        #expect(try FlagsShape.detect(dir.write("g.txt", "x1\nx2\n")) == .ids)
        let store = try dir.store()
        #expect(throws: WinnowError.self) { try store.importFlags(FlagsImportOptions(paths: [dir.path("a.jsonl"), dir.path("g.txt")])) }
        #expect(throws: WinnowError.invalidArgument("--shape scores needs --detector NAME (the name the flags carry)")) {
            try store.importFlags(FlagsImportOptions(paths: [dir.path("e.jsonl")]))
        }
    }
}
