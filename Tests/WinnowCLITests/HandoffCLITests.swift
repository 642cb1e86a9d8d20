import Foundation
import Testing

/// Issue 16 item 3 through the built binary: `export --format documents` and `flags import`
/// of the engines' shapes, with the messages for bad options.
@Suite struct HandoffCLITests {
    func demoStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        return (dir, db)
    }

    @Test func documentsExportWritesShardsAndRefusesOptionsItCannotHonour() throws {
        let (dir, db) = try demoStore()
        let run = try winnow(["export", "v1", "--out", dir.file("docs"), "--format", "documents", "--shards", "2", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "exported v1 as documents to \(dir.file("docs")): 111 documents in 2 shards of 56 at most; manifest.json written\n")
        let gz = try Data(contentsOf: URL(fileURLWithPath: dir.file("docs/documents/00001.jsonl.gz")))
        #expect(gz.prefix(2) == Data([0x1F, 0x8B]))
        let again = try winnow(["export", "v1", "--out", dir.file("docs"), "--format", "documents", "--shard-size", "50", "--force", "--db", db])
        #expect(again.stdout.contains(": 111 documents in 3 shards of 50 at most;"), "\(again.stderr)")

        let cases: [([String], String)] = [
            (["--shards", "2"], "Error: --shards needs --format documents."),
            (["--format", "documents", "--shards", "2", "--shard-size", "3"], "Error: Pass --shards or --shard-size, not both."),
            (["--format", "documents", "--shards", "0"], "Error: --shards takes 1 or more shards."),
            (["--format", "documents", "--shard-size", "0"], "Error: --shard-size takes 1 or more rows per file."),
            (["--shard-size", "5"], "Error: --shard-size needs Parquet files or shards: --format parquet, --format hf --data parquet, or --format documents."),
            (["--format", "documents", "--resample", "labels"], "Error: --format documents takes no --resample (export jsonl or hf to resample)."),
        ]
        for (options, message) in cases {
            let bad = try winnow(["export", "v1", "--out", dir.file("bad"), "--db", db] + options)
            #expect(bad.status == 64, "\(options)")
            #expect(bad.stderr.hasPrefix(message), "\(options): \(bad.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad")))
    }

    @Test func flagsImportReadsEngineShapesFromFoldersAndGlobs() throws {
        let (dir, db) = try demoStore()
        try FileManager.default.createDirectory(atPath: dir.file("removed/gopher"), withIntermediateDirectories: true)
        dir.write(
            "removed/gopher/00000.jsonl",
            "{\"text\":\"x\",\"id\":\"rev-001\",\"metadata\":{\"filter_reason\":\"gopher_short_doc\"}}\n{\"text\":\"y\",\"id\":\"rev-002\",\"metadata\":{\"filter_reason\":\"gopher_short_doc\"}}\n"
        )
        dir.write("removed/_SUCCESS", "")
        let run = try winnow(["flags", "import", dir.file("removed"), "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "\(dir.file("removed/gopher/00000.jsonl")): 2 records read (--shape datatrove), 2 flagged as datatrove\n")
        let list = try winnow(["flags", "--detector", "datatrove", "--db", db])
        #expect(list.stdout.contains("datatrove dropped it: gopher_short_doc"))
        let glob = try winnow(["flags", "import", dir.file("removed/*/*.jsonl"), "--shape", "datatrove", "--detector", "quality", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(glob.stdout.utf8)) as? [String: Any], "\(glob.stderr)")
        #expect(doc["flagged"] as? Int == 2 && doc["shape"] as? String == "datatrove" && doc["detector"] as? String == "quality")

        let ids = dir.write("drop.txt", "rev-003\nnope-1\nnope-2\n")
        let refused = try winnow(["flags", "import", ids, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(ids):2: no sample with uid 'nope-1'") && refused.stderr.contains("\(ids):3: no sample with uid 'nope-2'"))
        #expect(refused.stderr.contains("no flags were imported (2 bad records, 2 unknown uids, in 1 of 1 file)"))
        let none = try winnow(["flags", "import", dir.file("missing/*.jsonl"), "--db", db])
        #expect(none.status == 1 && none.stderr.contains("\(dir.file("missing/*.jsonl")): no file matches this pattern"))
    }

    @Test func flagsImportRefusesOptionsThatDoNotFitTheShape() throws {
        let (dir, db) = try demoStore()
        let scores = dir.write("s.jsonl", "{\"uid\":\"rev-001\",\"p\":0.9}\n")
        let cases: [([String], String)] = [
            ([scores, "--below"], "Error: --below needs --threshold."),
            ([scores, "--shape", "datatrove", "--attribute", "x"], "Error: --attribute needs --shape dolma."),
            ([scores, "--shape", "ids", "--threshold", "1"], "Error: --shape ids flags every listed uid: it takes no --threshold or --score-field."),
            ([scores, "--shape", "nope"], "Error: The value 'nope' is invalid for '--shape <shape>'"),
        ]
        for (arguments, message) in cases {
            let bad = try winnow(["flags", "import"] + arguments + ["--db", db])
            #expect(bad.status == 64, "\(arguments)")
            #expect(bad.stderr.hasPrefix(message), "\(arguments): \(bad.stderr)")
        }
        let noDetector = try winnow(["flags", "import", scores, "--score-field", "p", "--db", db])
        #expect(noDetector.status == 1 && noDetector.stderr.contains("--shape scores needs --detector NAME"))
        let noField = try winnow(["flags", "import", scores, "--detector", "m", "--db", db])
        #expect(noField.stderr.contains("\(scores) holds scores: pass --score-field FIELD"))
    }
}
