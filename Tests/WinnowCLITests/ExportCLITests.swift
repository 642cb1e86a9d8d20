import Foundation
import GRDB
import Testing

/// `winnow export` through the built binary.
@Suite struct ExportCLITests {
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["detect", "near-duplicate", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        return (dir, db)
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func digest(_ dir: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir)
        while let f = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + f, isDirectory: &isDir), !isDir.boolValue {
                result[f] = FileManager.default.contents(atPath: dir + "/" + f)
            }
        }
        return result
    }

    @Test func exportIsByteIdenticalWhateverHappensLater() throws {
        let (dir, db) = try store()
        let args = ["export", "v1", "--format", "hf", "--split", "train=0.8,validation=0.1,test=0.1", "--group", "near-duplicate", "--seed", "7", "--db", db]
        let first = try winnow(args + ["--out", dir.file("a")])
        #expect(first.status == 0, "\(first.stderr)")
        // Change everything the snapshot could depend on.
        #expect(try winnow(["queue", "create", "q", "--priority", "oldest", "--db", db]).status == 0)
        for item in 1...5 {
            #expect(
                try winnow(["review", "decide", "\(item)", "--reviewer", "x", "--action", item % 2 == 0 ? "drop" : "relabel", "--label", "negative", "--db", db]).status
                    == (item % 2 == 0 ? 1 : 0))
            if item % 2 == 0 { #expect(try winnow(["review", "decide", "\(item)", "--reviewer", "x", "--action", "drop", "--db", db]).status == 0) }
        }
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        #expect(try winnow(["taxonomy", "load", repoRoot + "/demo/taxonomy.yaml", "--db", db]).status == 0)
        #expect(try winnow(["detect", "--db", db]).status == 0)
        let second = try winnow(args + ["--out", dir.file("b")])
        #expect(second.status == 0, "\(second.stderr)")
        let a = try digest(dir.file("a")), b = try digest(dir.file("b"))
        #expect(a.keys.sorted() == ["README.md", "data/test.jsonl", "data/train.jsonl", "data/validation.jsonl", "manifest.json"])
        #expect(a == b)
        // And the manifest's checksums are the files'.
        let manifest = try #require(try JSONSerialization.jsonObject(with: a["manifest.json"] ?? Data()) as? [String: Any])
        for key in [
            "snapshot", "fingerprint", "tool_version", "format", "seed", "scheme", "labels", "class_weights", "class_weights_over", "train_class_weights", "splits", "coverage",
            "flags",
        ] {
            #expect(manifest[key] != nil, "manifest lacks \(key)")
        }
        #expect(manifest["labels"] as? [String] == ["negative", "neutral", "positive"])
        let splits = try #require(manifest["splits"] as? [String: [String: Any]])
        #expect(splits.values.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 111)
        let card = String(decoding: a["README.md"] ?? Data(), as: UTF8.self)
        #expect(card.hasPrefix("---\nconfigs:\n- config_name: winnow-"))
        #expect(card.contains("\n  default: true\n  data_files:\n  - split: \"train\"\n    path: \"data/train.jsonl\"\n"))
    }

    @Test func splitsAreStratifiedStickyAndKeepClustersTogether() throws {
        let (dir, db) = try store()
        let out = dir.file("s")
        #expect(try winnow(["export", "v1", "--out", out, "--split", "train=0.8,validation=0.1,test=0.1", "--group", "near-duplicate", "--db", db]).status == 0)
        var splitOf: [String: String] = [:]
        var perLabel: [String: [String: Int]] = [:]
        for split in ["train", "validation", "test"] {
            for r in try lines(out + "/\(split).jsonl") {
                let uid = r["uid"] as? String ?? ""
                splitOf[uid] = split
                perLabel[r["label"] as? String ?? "", default: [:]][split, default: 0] += 1
            }
        }
        #expect(splitOf.count == 111)
        // Within one sample (plus one cluster of two) of the target ratio, per label.
        for (label, counts) in perLabel {
            let n = Double(counts.values.reduce(0, +))
            for (split, ratio) in [("train", 0.8), ("validation", 0.1), ("test", 0.1)] {
                #expect(abs(Double(counts[split] ?? 0) - ratio * n) <= 2, "\(label) \(split): \(counts)")
            }
        }
        // Near-duplicate clusters never straddle two splits.
        for (a, b) in [("rev-033", "rev-048"), ("rev-049", "rev-095"), ("rev-082", "rev-102")] {
            #expect(splitOf[a] == splitOf[b], "\(a) and \(b)")
        }
        // New samples in a later snapshot: the old ones keep their split.
        #expect(try winnow(["import", repoRoot + "/demo/instructions.json", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v2", "--db", db]).status == 0)
        let out2 = dir.file("s2")
        #expect(try winnow(["export", "v2", "--out", out2, "--split", "train=0.8,validation=0.1,test=0.1", "--group", "near-duplicate", "--db", db]).status == 0)
        var moved = 0, total = 0
        for split in ["train", "validation", "test"] {
            for r in try lines(out2 + "/\(split).jsonl") {
                total += 1
                if let old = splitOf[r["uid"] as? String ?? ""], old != split { moved += 1 }
            }
        }
        #expect(total == 141)
        #expect(moved == 0)
        let other = try winnow(["export", "v2", "--out", dir.file("s3"), "--split", "train=0.5,test=0.5", "--db", db])
        #expect(other.stderr.contains("split scheme 'default' was made with other settings"))
    }

    /// Issue 12: `--group near-duplicate` takes the clusters frozen with the snapshot, so
    /// near-duplicate flags changed after `snapshot create` (another threshold, flags dismissed)
    /// leave the split files of a new scheme with the same settings as they were.
    @Test func clustersAreFrozenWithTheSnapshot() throws {
        let (dir, db) = try store()
        let args = ["export", "v1", "--split", "train=0.5,test=0.5", "--group", "near-duplicate", "--db", db]
        #expect(try winnow(args + ["--out", dir.file("a"), "--scheme", "a"]).status == 0)
        // No near duplicate at this threshold: every open flag goes; the rest are dismissed.
        #expect(try winnow(["detect", "near-duplicate", "--set", "near-duplicate.threshold=0.99", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM flags WHERE detector = 'near-duplicate' AND status = 'open'") == 0)
        let second = try winnow(args + ["--out", dir.file("b"), "--scheme", "b"])
        #expect(second.status == 0 && second.stderr.isEmpty, "\(second.stderr)")
        for file in ["train.jsonl", "test.jsonl"] {
            #expect(FileManager.default.contents(atPath: dir.file("a/" + file)) == FileManager.default.contents(atPath: dir.file("b/" + file)), "\(file)")
        }
        // A snapshot made now has no clusters: its export splits the samples one by one.
        #expect(try winnow(["snapshot", "create", "v2", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM snapshot_clusters c JOIN snapshots s ON s.id = c.snapshot_id WHERE s.name = 'v2'") == 0)
        #expect(try query(db, "SELECT count(*) FROM snapshot_clusters c JOIN snapshots s ON s.id = c.snapshot_id WHERE s.name = 'v1'") == 6)
    }

    /// A snapshot made before clusters were frozen (the 0005 fixture's v1) reads the live flags,
    /// as exports always did, and says so.
    @Test func aSnapshotFromBeforeFrozenClustersReadsTheLiveFlagsAndSaysSo() throws {
        let dir = TempDir()
        let db = dir.file("old.db")
        try FileManager.default.copyItem(atPath: fixtures + "/stores/0005_bulk_decisions.db", toPath: db)
        let grouped = try winnow(["export", "v1", "--out", dir.file("g"), "--group", "near-duplicate", "--scheme", "g", "--db", db])
        #expect(grouped.status == 0, "\(grouped.stderr)")
        #expect(grouped.stderr.contains("warning: snapshot v1 was made before near-duplicate clusters were frozen with snapshots"), "\(grouped.stderr)")
        let plain = try winnow(["export", "v1", "--out", dir.file("p"), "--scheme", "p", "--db", db])
        #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain.stderr)")
    }

    /// A snapshot made before near-duplicate detection ran froze no clusters: grouping its export
    /// keeps nothing together, and the export says so instead of leaking near duplicates silently.
    @Test func aSnapshotMadeBeforeDetectionSaysGroupingKeepsNothingTogether() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "early", "--db", db]).status == 0)
        #expect(try winnow(["detect", "near-duplicate", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "late", "--db", db]).status == 0)
        let early = try winnow(["export", "early", "--out", dir.file("e"), "--group", "near-duplicate", "--scheme", "e", "--db", db])
        #expect(early.status == 0 && early.stderr.contains("warning: snapshot early was made before near-duplicate detection ran"), "\(early.stderr)")
        let late = try winnow(["export", "late", "--out", dir.file("l"), "--group", "near-duplicate", "--scheme", "l", "--db", db])
        #expect(late.status == 0 && late.stderr.isEmpty, "\(late.stderr)")
        let ungrouped = try winnow(["export", "early", "--out", dir.file("u"), "--scheme", "u", "--db", db])
        #expect(ungrouped.status == 0 && ungrouped.stderr.isEmpty, "\(ungrouped.stderr)")
    }

    @Test func formatsCarryWhatTrainersRead() throws {
        let (dir, db) = try store()
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        #expect(try winnow(["import", repoRoot + "/demo/instructions.json", repoRoot + "/demo/chats.jsonl.gz", "--map", "label=", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "pairs", "--source", "nli.csv", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "instr", "--source", "instructions.json", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "chats", "--source", "chats.jsonl.gz", "--db", db]).status == 0)
        #expect(try winnow(["export", "pairs", "--out", dir.file("p"), "--format", "pairs", "--db", db]).status == 0)
        let pairs = try lines(dir.file("p/train.jsonl"))
        #expect(pairs.count == 39)
        let manifest = try #require(try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir.file("p/manifest.json")) ?? Data()) as? [String: Any])
        let labels = try #require(manifest["labels"] as? [String])
        for p in pairs {
            #expect(p.keys.sorted() == ["label", "sentence1", "sentence2"])
            #expect((p["label"] as? Int).map { labels.indices.contains($0) } == true)
        }
        #expect(try winnow(["export", "instr", "--out", dir.file("a"), "--format", "alpaca", "--db", db]).status == 0)
        #expect(try lines(dir.file("a/train.jsonl")).allSatisfy { $0.keys.sorted() == ["input", "instruction", "output"] })
        #expect(try winnow(["export", "chats", "--out", dir.file("c"), "--format", "openai-chat", "--system", "Be kind.", "--db", db]).status == 0)
        for chat in try lines(dir.file("c/train.jsonl")) {
            let messages = try #require(chat["messages"] as? [[String: String]])
            #expect(messages.first?["role"] == "system")
            #expect(messages.first?["content"] == "Be kind.")
            #expect(messages.dropFirst().allSatisfy { ["user", "assistant", "tool"].contains($0["role"] ?? "") })
        }
        #expect(try winnow(["export", "v1", "--out", dir.file("t"), "--format", "openai-chat", "--db", db]).status == 0)
        let first = try #require(try lines(dir.file("t/train.jsonl")).first?["messages"] as? [[String: String]])
        #expect(first.map { $0["role"] ?? "" } == ["user", "assistant"])
        #expect(["negative", "neutral", "positive"].contains(first[1]["content"] ?? ""))
        let wrong = try winnow(["export", "chats", "--out", dir.file("w"), "--format", "alpaca", "--db", db])
        #expect(
            wrong.stderr
                == "error: snapshot chats holds chat samples, which --format alpaca cannot express; formats for chat samples: jsonl, hf, openai-chat, csv, parquet, documents (or snapshot a selection without them)\n"
        )
    }

    @Test func csvGuardsFormulasUnlessRawAndDirectoriesAreProtected() throws {
        let (dir, db) = try store()
        let corpus = dir.file("f.jsonl")
        try
            "{\"id\": \"f1\", \"text\": \"=HYPERLINK(\\\"http://x\\\")\", \"label\": \"a\"}\n{\"id\": \"f2\", \"text\": \"-2+3\", \"label\": \"b\"}\n{\"id\": \"f3\", \"text\": \"plain, with comma\", \"label\": \"a\"}\n"
            .write(toFile: corpus, atomically: true, encoding: .utf8)
        #expect(try winnow(["import", corpus, "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "f", "--source", "f.jsonl", "--db", db]).status == 0)
        #expect(try winnow(["export", "f", "--out", dir.file("csv"), "--format", "csv", "--db", db]).status == 0)
        let text = try String(contentsOfFile: dir.file("csv/train.csv"), encoding: .utf8)
        #expect(text.hasPrefix("uid,kind,text,text_a,text_b,instruction,input,output,messages,label,scenes\n"))
        #expect(text.contains("f1,text,\"'=HYPERLINK(\"\"http://x\"\")\",,,,,,,a,\n"))
        #expect(text.contains("f2,text,'-2+3,,,,,,,b,\n"))
        #expect(text.contains("f3,text,\"plain, with comma\",,,,,,,a,\n"))
        #expect(try winnow(["export", "f", "--out", dir.file("raw"), "--format", "csv", "--raw", "--db", db]).status == 0)
        #expect(try String(contentsOfFile: dir.file("raw/train.csv"), encoding: .utf8).contains("f2,text,-2+3,,,,,,,b,\n"))
        // A non-empty folder is refused, and nothing is written into it.
        let full = dir.file("full")
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        try "keep me".write(toFile: full + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try winnow(["export", "f", "--out", full, "--db", db])
        #expect(refused.stderr == "error: --out \(full) is not empty; name a new folder, or pass --force to replace a previous Winnow export there\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["notes.txt"])
        // --force replaces a previous export only, never someone's files (ExportSafetyTests has the rest).
        #expect(try winnow(["export", "f", "--out", full, "--force", "--db", db]).status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["notes.txt"])
        #expect(try winnow(["export", "f", "--out", dir.file("csv"), "--force", "--db", db]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("csv")).sorted() == ["manifest.json", "train.jsonl"])
        // No temporary folders left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("winnow-tmp") }.isEmpty)
        let unknown = try winnow(["export", "nope", "--out", dir.file("n"), "--db", db])
        #expect(unknown.stderr.hasPrefix("error: no snapshot 'nope'"))
    }
}

/// `winnow export --format parquet` and `--data` / `--shard-size` through the built binary.
@Suite struct ParquetExportCLITests {
    @Test func parquetExportsAndBadOptions() throws {
        let (dir, db) = try ExportCLITests().store()
        let ok = try winnow(["export", "v1", "--out", dir.file("p"), "--format", "parquet", "--shard-size", "10", "--db", db])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("exported v1 as parquet to \(dir.file("p")): train "))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("p")).sorted()
        #expect(files.first == "manifest.json" && files.dropFirst().allSatisfy { $0.hasPrefix("train-000") && $0.hasSuffix(".parquet") } && files.count > 2)
        let hf = try winnow(["export", "v1", "--out", dir.file("h"), "--format", "hf", "--data", "parquet", "--db", db])
        #expect(hf.status == 0, "\(hf.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("h/data/train.parquet")) && FileManager.default.fileExists(atPath: dir.file("h/README.md")))

        let bad: [([String], String)] = [
            (
                ["--format", "jsonl", "--data", "parquet"],
                "Error: --data parquet applies to --format hf and --format documents only (their data files); for Parquet files without the hf card, use --format parquet.\n"
            ),
            (["--data", "parquet"], "Error: --data parquet applies to --format hf and --format documents only"),
            (["--format", "parquet", "--data", "jsonl"], "Error: --data jsonl applies to --format hf and --format documents only"),
            (["--format", "hf", "--shard-size", "5"], "Error: --shard-size needs Parquet files or shards: --format parquet, --format hf --data parquet, or --format documents.\n"),
            (["--format", "csv", "--shard-size", "5"], "Error: --shard-size needs Parquet files"),
            (["--format", "parquet", "--shard-size", "0"], "Error: --shard-size takes 1 or more rows per file.\n"),
            (["--format", "hf", "--data", "avro"], "Error: The value 'avro' is invalid for '--data <data>'"),
        ]
        for (i, (args, message)) in bad.enumerated() {
            let run = try winnow(["export", "v1", "--out", dir.file("bad\(i)"), "--db", db] + args)
            #expect(run.status == 64, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.hasPrefix(message), "\(args): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("bad\(i)")))
        }
    }
}
