import Foundation
import Testing

/// `winnow export --resample` through the built binary, against hand-computed counts.
/// The corpus: labels a×6, b×2, c×1 (uids s1…s9), domain x on the a's and b's, none on c.
@Suite struct ResampleCLITests {
    func store(extra: [String] = []) throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let labels = ["a", "a", "a", "a", "a", "a", "b", "b", "c"]
        var text = ""
        for (i, label) in labels.enumerated() {
            let domain = label == "c" ? "" : #","domain":"\#(i % 2 == 0 ? "x" : "y")""#
            text += #"{"id":"s\#(i + 1)","text":"sample number \#(i + 1) of \#(label)","label":"\#(label)"\#(domain)}"# + "\n"
        }
        for line in extra { text += line + "\n" }
        try text.write(toFile: dir.file("in.jsonl"), atomically: true, encoding: .utf8)
        let imported = try winnow(["import", dir.file("in.jsonl"), "--map", "scene.domain=domain", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        return (dir, db)
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func manifest(_ dir: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json"))) as? [String: Any])
    }

    func labelCounts(_ rows: [[String: Any]]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in rows { counts[row["label"] as? String ?? "", default: 0] += 1 }
        return counts
    }

    func export(_ db: String, _ out: String, _ args: [String]) throws -> Run {
        try winnow(["export", "v1", "--out", out, "--db", db] + args)
    }

    @Test func overRepeatsToUniform() throws {
        let (dir, db) = try store()
        let run = try export(db, dir.file("o"), ["--resample", "labels"])
        #expect(run.status == 0, "\(run.stderr)")
        // Uniform Q over a, b, c: a's 6 bind, so 18 lines: a 6 (factor 1), b 6 (3), c 6 (6).
        let rows = try lines(dir.file("o/train.jsonl"))
        #expect(rows.count == 18)
        #expect(labelCounts(rows) == ["a": 6, "b": 6, "c": 6])
        // Every copy is a line of its own, the first with copy 0, the copies right after it.
        #expect(rows.filter { $0["uid"] as? String == "s9" }.map { $0["copy"] as? Int } == [0, 1, 2, 3, 4, 5])
        #expect(rows.filter { $0["uid"] as? String == "s7" }.map { $0["copy"] as? Int } == [0, 1, 2])
        #expect(rows.filter { $0["uid"] as? String == "s1" }.map { $0["copy"] as? Int } == [0])
        let m = try manifest(dir.file("o"))
        let split = try #require(((m["resample"] as? [String: Any])?["splits"] as? [String: Any])?["train"] as? [String: Any])
        #expect((m["resample"] as? [String: Any])?["reference"] as? String == "uniform")
        #expect((m["resample"] as? [String: Any])?["strategy"] as? String == "over")
        #expect(split["count_before"] as? Int == 9 && split["count_after"] as? Int == 18)
        // KL(P‖Q) = 2/3·log2 2 + 2/9·log2(2/3) + 1/9·log2(1/3) = 0.360568 bits before, 0 after.
        #expect(abs((split["kl_before"] as? Double ?? 0) - 0.360568) < 1e-6)
        #expect(abs(split["kl_after"] as? Double ?? 1) < 1e-12)
        let factors = (split["categories"] as? [[String: Any]] ?? []).map { $0["factor"] as? Double }
        #expect(factors == [1, 3, 6])
        // The manifest's count and checksum are the resampled file's.
        let train = try #require((m["splits"] as? [String: Any])?["train"] as? [String: Any])
        #expect(train["count"] as? Int == 18)
        #expect(train["labels"] as? [String: Int] == ["a": 6, "b": 6, "c": 6])
        #expect(run.stderr.contains("resampled train (labels to uniform, over): 9 → 18 lines, KL 0.3606 → 0.0000 bits"))
    }

    @Test func maxCopiesUnderAndBoth() throws {
        let (dir, db) = try store()
        let capped = try export(db, dir.file("m"), ["--resample", "labels", "--max-copies", "3"])
        #expect(capped.status == 0, "\(capped.stderr)")
        #expect(labelCounts(try lines(dir.file("m/train.jsonl"))) == ["a": 6, "b": 6, "c": 3])
        #expect(capped.stderr.contains("warning: train: 'c' reaches 3 of the 6 samples Q asks for: --max-copies"))
        let split = try #require(((try manifest(dir.file("m"))["resample"] as? [String: Any])?["splits"] as? [String: Any])?["train"] as? [String: Any])
        // P after = (0.4, 0.4, 0.2): KL = 0.8·log2 1.2 + 0.2·log2 0.6 = 0.063034.
        #expect(abs((split["kl_after"] as? Double ?? 0) - 0.063034) < 1e-6)
        let shortfalls = split["shortfalls"] as? [[String: Any]] ?? []
        #expect(shortfalls.count == 1 && shortfalls.first?["category"] as? String == "c" && shortfalls.first?["reason"] as? String == "max-copies")

        let under = try export(db, dir.file("u"), ["--resample", "labels", "--strategy", "under"])
        #expect(under.status == 0, "\(under.stderr)")
        let kept = try lines(dir.file("u/train.jsonl"))
        #expect(labelCounts(kept) == ["a": 1, "b": 1, "c": 1])
        #expect(kept.allSatisfy { $0["copy"] as? Int == 0 })

        let both = try export(db, dir.file("b"), ["--resample", "labels", "--strategy", "both", "--size", "10"])
        #expect(both.status == 0, "\(both.stderr)")
        // 10/3 each: 3, 3, 3 and the one left to a (the first of the tied remainders).
        #expect(labelCounts(try lines(dir.file("b/train.jsonl"))) == ["a": 4, "b": 3, "c": 3])
        let same = try export(db, dir.file("b9"), ["--resample", "labels", "--strategy", "both"])
        #expect(same.status == 0)
        #expect(labelCounts(try lines(dir.file("b9/train.jsonl"))) == ["a": 3, "b": 3, "c": 3])
    }

    @Test func onlyTrainIsResampledAndTheOtherSplitsAreByteIdentical() throws {
        let (dir, db) = try store()
        let split = ["--split", "train=0.5,test=0.5", "--seed", "3", "--scheme", "half"]
        #expect(try export(db, dir.file("plain"), split).status == 0)
        for format in ["jsonl", "csv", "hf"] {
            let plain = dir.file("plain-\(format)"), resampled = dir.file("res-\(format)")
            #expect(try export(db, plain, split + ["--format", format]).status == 0)
            let run = try export(db, resampled, split + ["--format", format, "--resample", "labels"])
            #expect(run.status == 0, "\(run.stderr)")
            let sub = format == "hf" ? "/data" : ""
            let ext = format == "csv" ? "csv" : "jsonl"
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(plain)\(sub)/test.\(ext)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(resampled)\(sub)/test.\(ext)"))
            #expect(a == b, "\(format): the test split changed")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(plain)\(sub)/train.\(ext)")) != (try Data(contentsOf: URL(fileURLWithPath: "\(resampled)\(sub)/train.\(ext)"))))
        }
        // No sample of test is in train, copies included.
        let train = Set(try lines(dir.file("res-jsonl/train.jsonl")).compactMap { $0["uid"] as? String })
        let test = Set(try lines(dir.file("res-jsonl/test.jsonl")).compactMap { $0["uid"] as? String })
        #expect(train.isDisjoint(with: test) && train.count + test.count == 9)
        // The csv header names the copy column in train only.
        #expect(
            try String(contentsOfFile: dir.file("res-csv/train.csv"), encoding: .utf8).hasPrefix(
                "uid,kind,text,text_a,text_b,instruction,input,output,messages,label,scenes,copy\n"))
        // The hf card declares copy as int64.
        #expect(try String(contentsOfFile: dir.file("res-hf/README.md"), encoding: .utf8).contains("  - name: \"copy\"\n    dtype: int64"))
        // --splits test resamples test and leaves train as it was.
        let run = try export(db, dir.file("t"), split + ["--resample", "labels", "--splits", "test"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("t/train.jsonl"))) == (try Data(contentsOf: URL(fileURLWithPath: dir.file("plain/train.jsonl")))))
        // --splits train,test resamples both, each within itself.
        let two = try export(db, dir.file("two"), split + ["--resample", "labels", "--splits", "train,test"])
        #expect(two.status == 0, "\(two.stderr)")
        let sections = try #require((try manifest(dir.file("two"))["resample"] as? [String: Any])?["splits"] as? [String: Any])
        #expect(sections.keys.sorted() == ["test", "train"])
        for name in ["train", "test"] {
            let rows = try lines(dir.file("two/\(name).jsonl"))
            #expect(rows.count == (sections[name] as? [String: Any])?["count_after"] as? Int)
            #expect(Set(rows.compactMap { $0["uid"] as? String }) == (name == "train" ? train : test))
        }
        // The split assignments are the scheme's, with or without --resample.
        #expect(train == Set(try lines(dir.file("plain/train.jsonl")).compactMap { $0["uid"] as? String }))
    }

    @Test func deterministicForASeedAndAnotherForAnother() throws {
        let (dir, db) = try store()
        // 2 b's to 3 (both --size 9 · 1/3): one b is copied by a seeded choice.
        func run(_ seed: String, _ name: String) throws -> Data {
            let r = try export(db, dir.file(name), ["--resample", "labels", "--strategy", "both", "--seed", seed, "--scheme", "s\(seed)"])
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: dir.file(name + "/train.jsonl")))
        }
        let first = try run("1", "a1"), again = try run("1", "a2")
        #expect(first == again)
        var differs = false
        for seed in 2...12 where try run("\(seed)", "b\(seed)") != first { differs = true; break }
        #expect(differs, "no other seed chose other samples")
    }

    @Test func weightsHaveMeanOneAndTheManifestSaysSo() throws {
        let (dir, db) = try store()
        let run = try export(db, dir.file("w"), ["--resample", "labels", "--weights"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try lines(dir.file("w/train.jsonl"))
        #expect(rows.count == 9 && rows.allSatisfy { $0["copy"] == nil })
        let weights = rows.map { $0["weight"] as? Double ?? -1 }
        #expect(abs(weights.reduce(0, +) / 9 - 1) < 1e-12)
        // Q/P = (1/3)/(6/9) = 0.5 for a, (1/3)/(2/9) = 1.5 for b, (1/3)/(1/9) = 3 for c.
        #expect(abs((rows.first { $0["label"] as? String == "a" }?["weight"] as? Double ?? 0) - 0.5) < 1e-12)
        #expect(abs((rows.first { $0["label"] as? String == "b" }?["weight"] as? Double ?? 0) - 1.5) < 1e-12)
        #expect(abs((rows.first { $0["label"] as? String == "c" }?["weight"] as? Double ?? 0) - 3) < 1e-12)
        let resample = try #require(try manifest(dir.file("w"))["resample"] as? [String: Any])
        #expect(resample["mode"] as? String == "weights")
    }

    @Test func aDimensionAgainstTheTaxonomyKeepsUncategorisedOnce() throws {
        let (dir, db) = try store()
        try "dimensions:\n  domain:\n    categories:\n      x: {target: 10}\n      y: {target: 10}\n      z: {target: 5}\n".write(
            toFile: dir.file("t.yaml"), atomically: true, encoding: .utf8)
        #expect(try winnow(["taxonomy", "load", dir.file("t.yaml"), "--db", db]).status == 0)
        let run = try export(db, dir.file("d"), ["--resample", "scene.domain"])
        #expect(run.status == 0, "\(run.stderr)")
        // domain x: s1 s3 s5 s7 (4), y: s2 s4 s6 s8 (4), z none; c (s9) has no domain.
        // Q = 0.4, 0.4, 0.2: x binds at 4 / 0.4 = 10 → 4, 4, 2; z is empty: 0 of 2.
        let rows = try lines(dir.file("d/train.jsonl"))
        #expect(rows.count == 9)
        #expect(rows.filter { $0["uid"] as? String == "s9" }.count == 1)
        #expect(run.stderr.contains("warning: train: 'z' has no samples to copy"))
        let split = try #require(((try manifest(dir.file("d"))["resample"] as? [String: Any])?["splits"] as? [String: Any])?["train"] as? [String: Any])
        #expect(split["uncategorised"] as? Int == 1)
        #expect((try manifest(dir.file("d"))["resample"] as? [String: Any])?["reference"] as? String == "taxonomy")
    }

    @Test func everyFormatCarriesOrRepeats() throws {
        let (dir, db) = try store()
        for format in ["openai-chat", "csv", "hf"] {
            let run = try export(db, dir.file(format), ["--format", format, "--resample", "labels"])
            #expect(run.status == 0, "\(format): \(run.stderr)")
            let m = try manifest(dir.file(format))
            let train = try #require((m["splits"] as? [String: Any])?["train"] as? [String: Any])
            let file = dir.file(format) + "/" + (train["file"] as? String ?? "")
            let count = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count - (format == "csv" ? 1 : 0)
            #expect(count == 18 && train["count"] as? Int == 18, "\(format)")
        }
        let chat = try lines(dir.file("openai-chat/train.jsonl"))
        #expect(chat.allSatisfy { $0.keys.sorted() == ["messages"] })
        // pairs (no room for copy: repeated lines) and alpaca (copy as the last key), from the demo.
        for (file, format, key) in [("nli.csv", "pairs", nil), ("instructions.json", "alpaca", "copy")] as [(String, String, String?)] {
            let db = dir.file("\(format).db")
            #expect(try winnow(["import", repoRoot + "/demo/" + file, "--db", db]).status == 0)
            #expect(try winnow(["snapshot", "create", "n", "--db", db]).status == 0)
            let run = try winnow(["export", "n", "--out", dir.file("d-\(format)"), "--format", format, "--resample", "labels", "--db", db])
            #expect(run.status == 0, "\(format): \(run.stderr)")
            let m = try manifest(dir.file("d-\(format)"))
            let rows = try lines(dir.file("d-\(format)/train.jsonl"))
            let count = ((m["splits"] as? [String: Any])?["train"] as? [String: Any])?["count"] as? Int
            let after = (((m["resample"] as? [String: Any])?["splits"] as? [String: Any])?["train"] as? [String: Any])?["count_after"] as? Int
            #expect(rows.count == count && count == after && rows.count > 0, "\(format)")
            #expect(rows.allSatisfy { key == nil ? $0["copy"] == nil : $0["copy"] is Int }, "\(format)")
        }
    }

    @Test func badInputIsRefusedAndNothingWritten() throws {
        let (dir, db) = try store()
        let usage: [([String], String)] = [
            (["--resample", "labels", "--size", "0", "--strategy", "both"], "--size 0"),
            (["--resample", "labels", "--max-copies", "0"], "--max-copies 0"),
            (["--resample", "labels", "--temperature", "0"], "--temperature 0.0"),
            (["--resample", "labels", "--temperature", "2", "--to", "uniform"], "pass --temperature or --to"),
            (["--resample", "labels", "--weights", "--strategy", "over"], "pass --weights or --strategy"),
            (["--resample", "nonsense"], "'labels' and 'scene.DIM'"),
            (["--strategy", "over"], "--strategy needs --resample"),
            (["--resample", "labels", "--strategy", "sideways"], "'over', 'under' or 'both'"),
        ]
        for (i, (args, message)) in usage.enumerated() {
            let run = try export(db, dir.file("u\(i)"), args)
            #expect(run.status == 64, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(message), "\(args): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("u\(i)")))
        }
        let store: [([String], String)] = [
            (["--resample", "scene.colour"], "no dimension 'colour'"),
            (["--resample", "labels", "--to", dir.file("missing.json")], "cannot read the reference file"),
            (["--resample", "labels", "--splits", "test"], "this export has no split 'test' (its splits: train)"),
            (["--resample", "labels", "--to", "snapshot:nope"], "nope"),
        ]
        for (i, (args, message)) in store.enumerated() {
            let run = try export(db, dir.file("s\(i)"), args)
            #expect(run.status == 1, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(message), "\(args): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("s\(i)")))
        }
        // Nothing was saved either: the default scheme does not exist.
        #expect(try query(db, "SELECT COUNT(*) FROM split_schemes") == 0)
    }

    func train(_ dir: String) throws -> [String: Any] {
        try #require(((try manifest(dir)["resample"] as? [String: Any])?["splits"] as? [String: Any])?["train"] as? [String: Any])
    }

    /// Review finding 1: with many labels and odd shares, --weights writes the same bytes in
    /// every process (a Double sum over a dictionary changed its last bits from run to run).
    @Test func weightsAreByteIdenticalFromRunToRun() throws {
        var extra: [String] = []
        var n = 100
        for label in 1...12 {
            for _ in 0..<(1 + (label * 5) % 7) {
                n += 1
                extra.append(#"{"id":"s\#(n)","text":"another sample \#(n) of l\#(label)","label":"l\#(label)"}"#)
            }
        }
        let (dir, db) = try store(extra: extra)
        let shares = ["a": 0.013, "b": 0.29, "c": 0.07] as [String: Double]
        var q = shares
        for label in 1...12 { q["l\(label)"] = [0.11, 0.031, 0.017, 0.19, 0.023, 0.041, 0.057, 0.003, 0.089, 0.007, 0.037, 0.026][label - 1] }
        try JSONSerialization.data(withJSONObject: q).write(to: URL(fileURLWithPath: dir.file("q.json")))
        var first: [Data]?
        for run in 0..<8 {
            let out = dir.file("w\(run)")
            let r = try export(db, out, ["--resample", "labels", "--weights", "--to", dir.file("q.json"), "--format", "hf"])
            #expect(r.status == 0, "\(r.stderr)")
            let files = try #require(FileManager.default.subpaths(atPath: out)).sorted().filter {
                var folder: ObjCBool = false
                return FileManager.default.fileExists(atPath: out + "/" + $0, isDirectory: &folder) && !folder.boolValue
            }
            let bytes = try files.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }
            if let first { #expect(bytes == first, "run \(run) wrote other bytes (\(files))") } else { first = bytes }
        }
    }

    /// Finding 2: absurd --max-copies is no cap; an absurd --size or extreme --to shares are
    /// refused with the option to change, never a crash, and nothing is written.
    @Test func absurdSizesCapsAndSharesAreRefusedNotCrashed() throws {
        let (dir, db) = try store()
        let uncapped = try export(db, dir.file("m"), ["--resample", "labels", "--max-copies", "9223372036854775807"])
        #expect(uncapped.status == 0, "\(uncapped.stderr)")
        #expect(try lines(dir.file("m/train.jsonl")).count == 18)
        try #"{"a":1e-300,"b":1,"c":1}"#.write(toFile: dir.file("tiny.json"), atomically: true, encoding: .utf8)
        try #"{"a":1e-6,"b":1,"c":1}"#.write(toFile: dir.file("small.json"), atomically: true, encoding: .utf8)
        let refused: [([String], [String])] = [
            (["--resample", "labels", "--strategy", "both", "--size", "9223372036854775807"], ["--size 9223372036854775807", "100×", "pass a smaller --size"]),
            (["--resample", "labels", "--strategy", "both", "--size", "901"], ["--size 901", "at most 100× its lines (900)"]),
            (["--resample", "labels", "--to", dir.file("tiny.json")], ["'a' has 6 samples but a share of", "add --max-copies K"]),
            (["--resample", "labels", "--to", dir.file("small.json")], ["more than 100× its lines (900)", "add --max-copies K"]),
            (["--resample", "labels", "--to", dir.file("small.json"), "--max-copies", "1000000"], ["--max-copies 1000000 still lets Q ask for"]),
        ]
        for (i, (args, messages)) in refused.enumerated() {
            let run = try export(db, dir.file("r\(i)"), args)
            #expect(run.status == 1, "\(args): \(run.status) \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error"), "\(args): \(run.stderr)")
            for message in messages { #expect(run.stderr.contains(message), "\(args): \(run.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: dir.file("r\(i)")))
        }
        // With a cap, the extreme shares are fine: b and c reach 2 × their counts.
        let capped = try export(db, dir.file("c"), ["--resample", "labels", "--to", dir.file("tiny.json"), "--max-copies", "2"])
        #expect(capped.status == 0, "\(capped.stderr)")
        #expect(labelCounts(try lines(dir.file("c/train.jsonl"))) == ["a": 6, "b": 4, "c": 2])
    }

    /// Finding 3: a reference sharing no category with the split is refused; a category it
    /// leaves out is dropped (or weighted 0) with a warning; KL/JS after are null without P.
    @Test func aReferenceWithoutTheSplitsCategories() throws {
        let (dir, db) = try store()
        try #"{"zz":1,"yy":2}"#.write(toFile: dir.file("none.json"), atomically: true, encoding: .utf8)
        try #"{"a":1,"b":1}"#.write(toFile: dir.file("ab.json"), atomically: true, encoding: .utf8)
        for (i, how) in [["--strategy", "under"], ["--strategy", "both"], ["--weights"], []].enumerated() {
            let run = try export(db, dir.file("n\(i)"), ["--resample", "labels", "--to", dir.file("none.json")] + how)
            #expect(run.status == 1, "\(how): \(run.stderr)")
            #expect(run.stderr.contains("gives no share to any category of train (train has: a, b, c; the reference has: yy, zz)"), "\(how): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("n\(i)")))
        }
        let under = try export(db, dir.file("u"), ["--resample", "labels", "--to", dir.file("ab.json"), "--strategy", "under"])
        #expect(under.status == 0, "\(under.stderr)")
        #expect(labelCounts(try lines(dir.file("u/train.jsonl"))) == ["a": 2, "b": 2])
        #expect(under.stderr.contains("warning: train: 'c' is not in the reference (Q gives it no share), so all of its samples are dropped"), "\(under.stderr)")
        #expect((try train(dir.file("u"))["shortfalls"] as? [[String: Any]])?.first?["reason"] as? String == "dropped-not-in-reference")
        let weights = try export(db, dir.file("w"), ["--resample", "labels", "--to", dir.file("ab.json"), "--weights"])
        #expect(weights.status == 0, "\(weights.stderr)")
        #expect(weights.stderr.contains("warning: train: 'c' is not in the reference (Q gives it no share), so --weights gives its 1 samples weight 0"), "\(weights.stderr)")
        let rows = try lines(dir.file("w/train.jsonl"))
        #expect(abs(rows.map { $0["weight"] as? Double ?? -1 }.reduce(0, +) / 9 - 1) < 1e-12)
        #expect(rows.first { $0["label"] as? String == "c" }?["weight"] as? Double == 0)
        // A train split with no categorised sample: nothing to compare, so KL/JS are null.
        try "dimensions:\n  colour:\n    categories:\n      red: {target: 1}\n".write(toFile: dir.file("t.yaml"), atomically: true, encoding: .utf8)
        #expect(try winnow(["taxonomy", "load", dir.file("t.yaml"), "--db", db]).status == 0)
        let empty = try export(db, dir.file("e"), ["--resample", "scene.colour"])
        #expect(empty.status == 0, "\(empty.stderr)")
        let split = try train(dir.file("e"))
        #expect(split["kl_after"] is NSNull && split["js_after"] is NSNull && split["kl_before"] is NSNull, "\(split)")
        #expect(empty.stdout.contains("KL n/a → n/a") || empty.stderr.contains("KL n/a → n/a"), "\(empty.stdout)\(empty.stderr)")
    }

    /// Finding 4: --strategy both --size at or below the uncategorised count is refused.
    @Test func aSizeBelowTheUncategorisedIsRefused() throws {
        let (dir, db) = try store()
        // s9 (label c) has no domain: 1 uncategorised sample, kept once and counted in --size.
        let run = try export(db, dir.file("s"), ["--resample", "scene.domain", "--to", "uniform", "--strategy", "both", "--size", "1"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("--size 1: train has 1 samples with no category in 'domain'"), "\(run.stderr)")
        #expect(run.stderr.contains("pass --size 2 or more"), "\(run.stderr)")
        let two = try export(db, dir.file("t"), ["--resample", "scene.domain", "--to", "uniform", "--strategy", "both", "--size", "2"])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(try lines(dir.file("t/train.jsonl")).count == 2)
    }
}
