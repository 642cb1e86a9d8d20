import Foundation
import Testing

/// Issue 18 items 1 and 8 (export): the hf card's identity and features, missing parent
/// folders, reusing a scheme's settings, and which class weights the manifest holds.
/// scripts/check-clients loads the same exports with the real `datasets`.
extension ExportCLITests {
    func manifest(_ dir: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir + "/manifest.json") ?? Data()) as? [String: Any])
    }

    func card(_ dir: String) throws -> String { try String(contentsOfFile: dir + "/README.md", encoding: .utf8) }

    func configName(_ card: String) -> String? {
        card.split(separator: "\n").first { $0.hasPrefix("- config_name: ") }.map { String($0.dropFirst("- config_name: ".count)) }
    }

    /// Item 1: `datasets` keys its cache on the folder's base name and the card, so the card's
    /// config name must change with the data (it was `default` for every export).
    @Test func hfCardIdentityFollowsTheSnapshotAndOptions() throws {
        let (dir, db) = try store()
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "b3", "--db", db]).status == 0)
        let cur = dir.file("cur")
        #expect(try winnow(["export", "v1", "--out", cur, "--format", "hf", "--db", db]).status == 0)
        let first = try #require(configName(try card(cur)))
        let replaced = try winnow(["export", "b3", "--out", cur, "--format", "hf", "--force", "--db", db])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let second = try #require(configName(try card(cur)))
        #expect(first != "default" && second != "default")
        #expect(first.hasPrefix("winnow-") && first.count == "winnow-".count + 16)
        #expect(first != second)
        // The same snapshot and options elsewhere: the same files, so the same identity.
        let again = dir.file("x/cur")
        #expect(try winnow(["export", "b3", "--out", again, "--format", "hf", "--db", db]).status == 0)
        #expect(try card(again) == (try card(cur)))
        // Other split settings (another scheme): another identity.
        let other = dir.file("y/cur")
        #expect(try winnow(["export", "b3", "--out", other, "--format", "hf", "--scheme", "s2", "--split", "train=0.5,test=0.5", "--db", db]).status == 0)
        #expect(try configName(try card(other)) != second)
        let text = try card(other)
        #expect(
            text.hasPrefix(
                "---\nconfigs:\n- config_name: \(configName(text) ?? "")\n  default: true\n  data_files:\n  - split: \"train\"\n    path: \"data/train.jsonl\"\n  - split: \"test\"\n    path: \"data/test.jsonl\"\ndataset_info:\n  config_name: \(configName(text) ?? "")\n  features:\n"
            ))
    }

    /// Item 1: the card declares the features, the label a class label in the manifest's order.
    @Test func hfCardDeclaresFeaturesWithTheLabelAsAClassLabel() throws {
        let (dir, db) = try store()
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "all", "--db", db]).status == 0)
        let out = dir.file("hf")
        #expect(try winnow(["export", "all", "--out", out, "--format", "hf", "--db", db]).status == 0)
        let labels = try #require(try manifest(out)["labels"] as? [String])
        #expect(labels.count >= 3)
        let text = try card(out)
        var expected = "  features:\n  - name: \"uid\"\n    dtype: string\n  - name: \"kind\"\n    dtype: string\n  - name: \"text\"\n    dtype: string\n"
        expected += "  - name: \"text_a\"\n    dtype: string\n  - name: \"text_b\"\n    dtype: string\n"
        expected += "  - name: label\n    dtype:\n      class_label:\n        names:\n"
        expected += labels.enumerated().map { "          \"\($0)\": \"\($1)\"\n" }.joined()
        expected += "  - name: \"scenes\"\n    struct:\n    - name: \"domain\"\n      dtype: string\n---\n"
        #expect(text.contains(expected), "\(text)")
    }

    /// Item 1: a message key with values of two JSON types has no feature type: the card
    /// leaves the features out, and says so.
    @Test func hfCardWithoutASingleTypeLeavesFeaturesOutAndSaysSo() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let chats = dir.write(
            "c.jsonl",
            """
            {"id": "c1", "messages": [{"role": "user", "content": "hi", "weight": 1}], "label": "a"}
            {"id": "c2", "messages": [{"role": "user", "content": "yo", "weight": "high"}], "label": "b"}

            """)
        #expect(try winnow(["import", chats, "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "c", "--db", db]).status == 0)
        let run = try winnow(["export", "c", "--out", dir.file("hf"), "--format", "hf", "--db", db])
        #expect(run.status == 0)
        #expect(run.stderr.hasPrefix("warning: the hf card declares no features: chat message keys hold values of different JSON types (weight), which no feature type fits"))
        let text = try card(dir.file("hf"))
        #expect(!text.contains("dataset_info:") && text.contains("  default: true\n"))
        // With one type, the features are declared, the message keys among them.
        let typed = dir.write(
            "t.jsonl",
            """
            {"id": "t1", "messages": [{"role": "user", "content": "hi", "weight": 1}], "label": "a"}
            {"id": "t2", "messages": [{"role": "user", "content": "yo", "weight": 0.5}], "label": "b"}

            """)
        #expect(try winnow(["import", typed, "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "t", "--source", "t.jsonl", "--db", db]).status == 0)
        let ok = try winnow(["export", "t", "--out", dir.file("t"), "--format", "hf", "--db", db])
        #expect(ok.stderr == "")
        #expect(
            try card(dir.file("t")).contains(
                "  - name: \"messages\"\n    list:\n    - name: \"content\"\n      dtype: string\n    - name: \"role\"\n      dtype: string\n    - name: \"weight\"\n      dtype: float64\n"
            ))
    }

    /// Item 8: `--out a/b` with `a` missing creates `a`; a failed export creates nothing, and a
    /// file in the way is refused.
    @Test func exportCreatesMissingParentFolders() throws {
        let (dir, db) = try store()
        let out = dir.file("a/b/c")
        let run = try winnow(["export", "v1", "--out", out, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("created the missing folders of --out: \(dir.file("a")), \(dir.file("a/b"))\n"))
        #expect(FileManager.default.fileExists(atPath: out + "/manifest.json"))
        // A failed export leaves no folder behind.
        let failed = try winnow(["export", "nope", "--out", dir.file("m/n"), "--db", db])
        #expect(failed.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.file("m")))
        // A file where a folder should be.
        try "x".write(toFile: dir.file("f"), atomically: true, encoding: .utf8)
        let blocked = try winnow(["export", "v1", "--out", dir.file("f/g/h"), "--db", db])
        #expect(blocked.stderr == "error: cannot write --out \(dir.file("f/g/h")): \(dir.file("f")) is a file, not a folder; name another --out\n")
        // The safety rules are the same under a new folder: a non-empty target still needs --force.
        #expect(try winnow(["export", "v1", "--out", out, "--db", db]).stderr.contains("is not empty"))
    }

    /// Item 8: without --split, an existing scheme's saved settings are used (it was refused).
    @Test func exportWithoutSplitReusesTheSchemesSettings() throws {
        let (dir, db) = try store()
        #expect(
            try winnow(["export", "v1", "--out", dir.file("a"), "--split", "train=0.8,validation=0.1,test=0.1", "--group", "near-duplicate", "--seed", "7", "--db", db]).status == 0
        )
        let reused = try winnow(["export", "v1", "--out", dir.file("b"), "--db", db])
        #expect(reused.status == 0, "\(reused.stderr)")
        #expect(
            reused.stdout.hasPrefix(
                "split scheme 'default' exists: reused its saved --split train=0.8,validation=0.1,test=0.1, --stratify label, --group near-duplicate, --seed 7\n"))
        #expect(try digest(dir.file("a")) == (try digest(dir.file("b"))))
        // Some options given, the rest reused.
        let partly = try winnow(["export", "v1", "--out", dir.file("c"), "--seed", "7", "--db", db])
        #expect(partly.status == 0)
        #expect(partly.stdout.hasPrefix("split scheme 'default' exists: reused its saved --split train=0.8,validation=0.1,test=0.1, --stratify label, --group near-duplicate\n"))
        // A given option that differs is refused, naming it.
        let differs = try winnow(["export", "v1", "--out", dir.file("d"), "--seed", "3", "--db", db])
        #expect(
            differs.stderr
                == "error: split scheme 'default' was made with other settings (--split train=0.8,validation=0.1,test=0.1, --stratify label, --group near-duplicate, --seed 7), not --seed 3; leave those options out to reuse the scheme's, or pass --scheme NEW for a new scheme\n"
        )
        #expect(!FileManager.default.fileExists(atPath: dir.file("d")))
        // Folds are reused as folds; a new scheme without options gets the defaults, silently.
        #expect(try winnow(["export", "v1", "--out", dir.file("k1"), "--kfold", "3", "--scheme", "k", "--db", db]).status == 0)
        let folds = try winnow(["export", "v1", "--out", dir.file("k2"), "--scheme", "k", "--db", db])
        #expect(folds.stdout.hasPrefix("split scheme 'k' exists: reused its saved --kfold 3, --stratify label, no --group, --seed 0\n"))
        let fresh = try winnow(["export", "v1", "--out", dir.file("n"), "--scheme", "new", "--db", db])
        #expect(fresh.stdout.hasPrefix("exported v1 as jsonl"))
        #expect(try manifest(dir.file("n"))["seed"] as? Int == 0)
    }

    /// Item 8: the manifest says its class weights are the snapshot's and adds the train split's.
    @Test func manifestSaysWhatClassWeightsAreOver() throws {
        let (dir, db) = try store()
        #expect(try winnow(["export", "v1", "--out", dir.file("a"), "--split", "train=0.6,test=0.4", "--db", db]).status == 0)
        let m = try manifest(dir.file("a"))
        #expect(m["class_weights_over"] as? String == "snapshot")
        let labels = try #require(m["labels"] as? [String])
        let splits = try #require(m["splits"] as? [String: [String: Any]])
        let train = try #require(splits["train"]?["labels"] as? [String: Int])
        let weights = try #require(m["train_class_weights"] as? [String: [Double]])
        let n = Double(train.values.reduce(0, +))
        func close(_ a: [Double]?, _ b: [Double]) -> Bool { a?.count == b.count && zip(a ?? [], b).allSatisfy { abs($0 - $1) < 1e-12 } }
        #expect(close(weights["inverse"], labels.map { n / Double(train[$0] ?? 0) }))
        #expect(close(weights["balanced"], labels.map { n / (Double(labels.count) * Double(train[$0] ?? 0)) }))
        #expect(try #require(m["class_weights"] as? [String: [Double]]) != weights) // the snapshot's differ from the train split's here
        // No split named train (folds): none.
        #expect(try winnow(["export", "v1", "--out", dir.file("k"), "--kfold", "2", "--scheme", "k", "--db", db]).status == 0)
        #expect(try manifest(dir.file("k"))["train_class_weights"] is NSNull)
    }
}
