import Foundation
import GRDB
import Testing
import WinnowKit

/// `detect semantic-duplicate`, `detect outlier`, `label-noise.features=vectors` and
/// `export --group semantic-duplicate` through the built binary, on a store the CLI made with
/// vectors written by `storeTestVectors`.
@Suite struct VectorDetectorCLITests {
    /// The unit vector at `degrees` in the xy plane of 3 dimensions.
    static func at(_ degrees: Double) -> [Float] { [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180)), 0] }

    /// Six texts, u1…u6, labelled a/b; with vectors u1 0°, u2 90°, u3 28°, u4 12°, u5 the z
    /// axis, u6 90.5°: semantic duplicates u3 and u4 of u1, u6 of u2 (as VectorDetectorTests).
    func store(vectors: Bool = true) throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let texts = [
            "the parcel never arrived", "a great film with a weak ending", "my order did not come",
            "the package was not delivered", "refund me now please", "a fine movie spoiled by its last act",
        ]
        let lines = texts.enumerated().map { i, t in #"{"id": "u\#(i + 1)", "text": "\#(t)", "label": "\#(i % 2 == 0 ? "a" : "b")"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("in.jsonl"), atomically: true, encoding: .utf8)
        let run = try winnow(["import", dir.file("in.jsonl"), "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        if vectors {
            let store = try Store(path: db)
            let rows = [Self.at(0), Self.at(90), Self.at(28), Self.at(12), [0, 0, 1], Self.at(90.5)]
            _ = try storeTestVectors(store, model: "mini", Dictionary(uniqueKeysWithValues: rows.enumerated().map { ("u\($0 + 1)", $1) }))
        }
        return (dir, db)
    }

    func flags(_ db: String, _ detector: String) throws -> [[String: Any]] {
        let run = try winnow(["flags", "--detector", detector, "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        return (doc["flags"] as? [[String: Any]] ?? []).sorted { ($0["uid"] as? String ?? "") < ($1["uid"] as? String ?? "") }
    }

    @Test func semanticDuplicatesAreFlaggedWithTheirRepresentativeAndCosine() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["detect", "semantic-duplicate", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let found = try flags(db, "semantic-duplicate")
        #expect(found.map { $0["uid"] as? String } == ["u3", "u4", "u6"])
        #expect(
            found.map { $0["reason"] as? String } == [
                "cosine 0.961 to u4 (mini); cluster of u1", "cosine 0.978 to u1 (mini); cluster of u1", "cosine 1.000 to u2 (mini); cluster of u2",
            ])
        let details = try #require(found[0]["details"] as? [String: Any])
        #expect(details["representative"] as? String == "u1" && details["similar_to"] as? String == "u4" && details["model"] as? String == "mini")
        #expect(abs((details["cosine"] as? Double ?? 0) - 0.961262) < 1e-5)
        let parameters = try #require(try query(db, "SELECT parameters FROM detector_runs WHERE detector = 'semantic-duplicate'", as: String.self))
        #expect(parameters.contains(#""threshold":0.95"#) && parameters.contains(#""model":"mini""#))
        // A stricter threshold via --set: u3 (0.961 to u4) is no longer one.
        #expect(try winnow(["detect", "semantic-duplicate", "--set", "semantic-duplicate.threshold=0.97", "--db", db]).status == 0)
        #expect(try flags(db, "semantic-duplicate").map { $0["uid"] as? String } == ["u4", "u6"])
    }

    @Test func withVectorsTheDefaultRunIncludesTheVectorDetectors() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["detect", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let names = (doc["runs"] as? [[String: Any]] ?? []).compactMap { $0["detector"] as? String }
        #expect(names.count == 14 && names.contains("semantic-duplicate") && names.contains("outlier"))
        // Outliers need more than k samples per label: 3 per label with k 10 checks none.
        #expect(try flags(db, "outlier").isEmpty)
    }

    @Test func withoutVectorsTheyAreRefusedClearlyAndNothingIsRecorded() throws {
        let (dir, db) = try store(vectors: false)
        defer { withExtendedLifetime(dir) {} }
        for args in [["semantic-duplicate"], ["outlier"], ["label-noise", "--set", "label-noise.features=vectors"]] {
            let run = try winnow(["detect"] + args + ["--db", db])
            #expect(run.status != 0)
            #expect(run.stderr.contains("the store holds no vectors; run `winnow embed`"), "\(run.stderr)")
        }
        #expect(try query(db, "SELECT count(*) FROM detector_runs") == 0)
        // The default run leaves them out.
        let all = try winnow(["detect", "--json", "--db", db])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(!all.stdout.contains("semantic-duplicate"))
        // Bad parameters name what they expect.
        let bad = try winnow(["detect", "outlier", "--set", "outlier.k=0", "--db", db])
        #expect(bad.status != 0 && bad.stderr.contains("outlier.k=0: expected a whole number in 1…1000"), "\(bad.stderr)")
        let features = try winnow(["detect", "label-noise", "--set", "label-noise.features=words", "--db", db])
        #expect(features.status != 0 && features.stderr.contains("expected tfidf or vectors"), "\(features.stderr)")
    }

    @Test func outliersOfALabelAreFlagged() throws {
        // As VectorDetectorTests: label a at 0, 2, 3, 6, 7, 9, 12, 13 degrees, label b the same
        // plus 180, and o1 labelled a at 190°, among b. With k 2, o1 is a's outlier (z ≈ 5866).
        let dir = TempDir()
        defer { withExtendedLifetime(dir) {} }
        let db = dir.file("w.db")
        let angles: [Double] = [0, 2, 3, 6, 7, 9, 12, 13]
        var lines: [String] = [], vectors: [String: [Float]] = [:]
        for (i, a) in angles.enumerated() {
            lines.append(#"{"id": "a\#(i + 1)", "text": "text a\#(i + 1)", "label": "a"}"#)
            lines.append(#"{"id": "b\#(i + 1)", "text": "text b\#(i + 1)", "label": "b"}"#)
            vectors["a\(i + 1)"] = Self.at(a)
            vectors["b\(i + 1)"] = Self.at(a + 180)
        }
        lines.append(#"{"id": "o1", "text": "text o1", "label": "a"}"#)
        vectors["o1"] = Self.at(190)
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("in.jsonl"), atomically: true, encoding: .utf8)
        #expect(try winnow(["import", dir.file("in.jsonl"), "--db", db]).status == 0)
        _ = try storeTestVectors(try Store(path: db), model: "mini", vectors)
        let run = try winnow(["detect", "outlier", "--set", "outlier.k=2", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let found = try flags(db, "outlier")
        #expect(found.map { $0["uid"] as? String } == ["o1"])
        let details = try #require(found.first?["details"] as? [String: Any])
        #expect(details["label"] as? String == "a" && details["nearest"] as? String == "a1" && details["k"] as? Int == 2)
        #expect(abs((found.first?["score"] as? Double ?? 0) - 5866.4) / 5866.4 < 0.01)
        // Unlabelled, o1 would be one of b's crowd; an unknown --model is named with the known ones.
        let unknown = try winnow(["detect", "outlier", "--model", "nope", "--db", db])
        #expect(unknown.status != 0 && unknown.stderr.contains("nope") && unknown.stderr.contains("mini"), "\(unknown.stderr)")
    }

    @Test func exportsCanKeepSemanticDuplicatesInOneSplit() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["detect", "semantic-duplicate", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        // Frozen with the snapshot: a stricter run afterwards (u3 no longer a duplicate) changes nothing.
        #expect(try winnow(["detect", "semantic-duplicate", "--set", "semantic-duplicate.threshold=0.97", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM snapshot_clusters WHERE detector = 'semantic-duplicate'") == 5)
        var together = 0
        for seed in 0..<6 {
            let out = dir.file("out\(seed)")
            let run = try winnow([
                "export", "v1", "--out", out, "--split", "train=0.5,test=0.5", "--group", "semantic-duplicate", "--seed", "\(seed)",
                "--scheme", "s\(seed)", "--db", db,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("warning"), "\(run.stderr)")
            var split: [String: String] = [:]
            for name in ["train", "test"] {
                let path = out + "/\(name).jsonl"
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                for line in text.split(separator: "\n") {
                    let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    split[doc["uid"] as? String ?? ""] = name
                }
            }
            #expect(split.count == 6)
            #expect(Set(["u1", "u3", "u4"].map { split[$0] }).count == 1, "seed \(seed): \(split)")
            #expect(split["u2"] == split["u6"], "seed \(seed)")
            if split["u1"] != split["u2"] { together += 1 }
        }
        #expect(together > 0, "the two clusters are not always in one split: the check could fail")
        let manifest = try String(contentsOfFile: dir.file("out0/manifest.json"), encoding: .utf8)
        #expect(manifest.contains(#""group" : "semantic-duplicate""#) || manifest.contains(#""group":"semantic-duplicate""#))
        // The scheme keeps its grouping: another --group is refused, naming both.
        let other = try winnow(["export", "v1", "--out", dir.file("x"), "--group", "near-duplicate", "--scheme", "s0", "--db", db])
        #expect(other.status != 0 && other.stderr.contains("--group semantic-duplicate"), "\(other.stderr)")
    }
}
