import Foundation
import GRDB
import Testing
import WinnowKit

/// Bugs a review of issue 14 found, each through the built binary on the store of
/// VectorDetectorCLITests (u1 0°, u2 90°, u3 28°, u4 12°, u5 the z axis, u6 90.5°).
@Suite struct VectorReviewFixesTests {
    let base = VectorDetectorCLITests()

    /// A reviewed flag kept by a later run names the latest run's cluster: u4's dismissed flag
    /// said "cluster of u1"; u1 is dropped, so the next run's cluster is {u3, u4}, and the two
    /// (cosine 0.961) must share a split in every seed. Before the fix u4 stayed keyed to u1
    /// and u3 had no cluster, so some seeds split them.
    @Test func aKeptReviewedFlagFollowsTheLatestClusterAndSplitsKeepItTogether() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["detect", "semantic-duplicate", "--db", db]).status == 0)
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            // What a reviewer's dismissal of u4's flag and a drop of u1 leave in the store.
            try db.execute(sql: "UPDATE flags SET status = 'dismissed' WHERE sample_id = (SELECT id FROM samples WHERE uid = 'u4')")
            try db.execute(sql: "UPDATE samples SET status = 'dropped' WHERE uid = 'u1'")
        }
        let again = try winnow(["detect", "semantic-duplicate", "--json", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains(#""kept_reviewed" : 1"#), "\(again.stdout)")
        let cluster = try query(
            db, "SELECT json_extract(details, '$.cluster') FROM flags WHERE sample_id = (SELECT id FROM samples WHERE uid = 'u4')", as: Int.self)
        #expect(cluster == (try query(db, "SELECT id FROM samples WHERE uid = 'u3'", as: Int.self)))
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        for seed in 0..<8 {
            let out = dir.file("out\(seed)")
            let run = try winnow([
                "export", "v1", "--out", out, "--format", "jsonl", "--split", "train=0.5,test=0.5", "--group", "semantic-duplicate",
                "--seed", "\(seed)", "--scheme", "s\(seed)", "--db", db,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let train = try String(contentsOfFile: out + "/train.jsonl", encoding: .utf8)
            #expect(train.contains(#""u3""#) == train.contains(#""u4""#), "seed \(seed): u3 and u4 in different splits")
        }
    }

    /// With vectors of two models, a bare `winnow detect` runs the text detectors and says why
    /// the vector detectors did not run (it used to fail outright).
    @Test func aBareDetectWithTwoModelsRunsTheRestAndSaysWhy() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        _ = try storeTestVectors(try Store(path: db), model: "other", ["u1": [1, 0], "u2": [0, 1]])
        let run = try winnow(["detect", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("semantic-duplicate, outlier not run: the store holds vectors of 2 models; pass --model NAME"), "\(run.stderr)")
        #expect(run.stdout.contains(#""detector" : "empty""#) && !run.stdout.contains("semantic-duplicate"))
        let named = try winnow(["detect", "--model", "mini", "--json", "--db", db])
        #expect(named.status == 0 && named.stdout.contains(#""detector" : "semantic-duplicate""#), "\(named.stderr)")
    }

    /// Re-clustering while a clustered sample has no vector (edited since embed) is refused,
    /// naming the sample, instead of leaving it on a topic of the previous run.
    @Test func reclusteringRefusesToLeaveSamplesOnAnEarlierRunsTopic() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["cluster", "--k", "2", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "all", "--audit", "6", "--seed", "1", "--db", db]).status == 0)
        let edit = dir.write("edit.jsonl", #"{"uid": "u5", "action": "edit", "text": "something else entirely about gardens"}"# + "\n")
        let applied = try winnow(["review", "apply", edit, "--queue", "all", "--reviewer", "r", "--db", db])
        #expect(applied.status == 0, "\(applied.stderr)")
        let before = try query(db, "SELECT count(*) FROM scene_annotations")
        let run = try winnow(["cluster", "--k", "2", "--db", db])
        #expect(run.status != 0)
        #expect(run.stderr.contains("1 active samples have a topic of dimension 'topic' from an earlier run but no vector of model 'mini' now"), "\(run.stderr)")
        #expect(run.stderr.contains("u5") && run.stderr.contains("winnow embed"), "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM scene_annotations") == before, "nothing written")
    }
}

/// Bugs a review of issue 14 found in `vectors import` and `vectors export`.
@Suite struct VectorFileReviewFixesTests {
    let base = VectorDetectorCLITests()

    /// A .npy v1.0 file with `header` (padded as numpy pads it) and `payload` bytes of values.
    static func npy(_ header: String, payload: Data = Data()) -> Data {
        var text = header
        while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)])
        data.append(contentsOf: Array(text.utf8))
        data.append(payload)
        return data
    }

    /// A shape whose byte count overflows is refused with a message (it trapped, exit 132), and a
    /// negative row count is named as such.
    @Test func aHostileNpyShapeIsRefusedNotACrash() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        try Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4611686018427387904), }").write(to: URL(fileURLWithPath: dir.file("big.npy")))
        _ = dir.write("big.uids.txt", "u1\n")
        let big = try winnow(["vectors", "import", dir.file("big.npy"), "--model", "x", "--db", db])
        #expect(big.status != 0 && big.status < 128, "\(big.status) \(big.stderr)")
        #expect(big.stderr.contains("needs more bytes than any file holds"), "\(big.stderr)")
        try Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4), }").write(to: URL(fileURLWithPath: dir.file("neg.npy")))
        _ = dir.write("neg.uids.txt", "")
        let neg = try winnow(["vectors", "import", dir.file("neg.npy"), "--model", "x", "--db", db])
        #expect(neg.status != 0 && neg.stderr.contains("its shape is (-2, 4)"), "\(neg.stderr)")
        #expect(try query(db, "SELECT count(*) FROM embedding_models WHERE name = 'x'") == 0)
    }

    /// A tiny vector (1/|v| overflows a Float) is scaled in Double and stored unit length; it
    /// was stored as inf and broke similar, stats, cluster and export.
    @Test func aTinyVectorIsScaledWithoutOverflow() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        let tiny = Array(repeating: "1e-40", count: 8).joined(separator: ", ")
        let file = dir.write("tiny.jsonl", #"{"uid": "u1", "vector": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}"# + "\n" + #"{"uid": "u2", "vector": [\#(tiny)]}"# + "\n")
        let run = try winnow(["vectors", "import", file, "--model", "tiny", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let similar = try winnow(["similar", "u1", "--model", "tiny", "--json", "--db", db])
        #expect(similar.status == 0, "\(similar.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(similar.stdout.utf8)) as? [String: Any])
        let first = try #require((doc["neighbours"] as? [[String: Any]])?.first, "\(similar.stdout)")
        #expect(abs((first["cosine"] as? Double ?? 0) - 1) < 1e-5, "\(first)")
    }

    /// `--uids` naming the vectors file itself is refused before anything is written (the uids
    /// landed in it and the export failed, destroying a file replaced with --force).
    @Test func exportRefusesUidsOntoTheVectorsFile() throws {
        let (dir, db) = try base.store()
        defer { withExtendedLifetime(dir) {} }
        let target = dir.write("same.npy", "precious")
        let run = try winnow(["vectors", "export", target, "--uids", target, "--force", "--db", db])
        #expect(run.status != 0)
        #expect(run.stderr.contains("is the vectors file itself"), "\(run.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
    }
}

/// The export warning for a snapshot frozen before detection names the grouping asked for.
@Suite struct GroupingWarningTests {
    @Test func theFrozenBeforeDetectionWarningNamesSemanticDuplicate() throws {
        let (dir, db) = try VectorDetectorCLITests().store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        #expect(try winnow(["detect", "semantic-duplicate", "--db", db]).status == 0)
        let run = try winnow(["export", "v1", "--out", dir.file("o"), "--split", "train=0.5,test=0.5", "--group", "semantic-duplicate", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("made before semantic-duplicate detection ran"), "\(run.stderr)")
        #expect(run.stderr.contains("--group semantic-duplicate keeps no semantic duplicates together"), "\(run.stderr)")
        #expect(!run.stderr.contains("near-duplicate"), "\(run.stderr)")
    }
}
