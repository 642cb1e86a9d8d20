import Foundation
import Testing
import WinnowKit

/// `vectors export FILE.gz` and label-noise's settings on vectors, through the built binary.
@Suite struct VectorFixesCLITests {
    /// Samples s1…s4 with hand-made vectors of model "mine" (s4 without a label).
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let lines = (1...4).map { i in #"{"id": "s\#(i)", "text": "sample number \#(i) of the gzip tests", "label": "\#(i % 2 == 0 ? "a" : "b")"}"# }
        dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try winnow(["import", dir.file("in.jsonl"), "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        dir.write(
            "v.jsonl",
            """
            {"uid": "s1", "vector": [1, 0, 0]}
            {"uid": "s2", "vector": [0, 1, 0]}
            {"uid": "s3", "vector": [0.6, 0.8, 0]}
            {"uid": "s4", "vector": [0, 0, 1]}

            """)
        let imported = try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "mine", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        return (dir, db)
    }

    @Test func exportToAGzNameWritesGzip() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["vectors", "export", dir.file("plain.jsonl"), "--db", db]).status == 0)
        let run = try winnow(["vectors", "export", dir.file("v.jsonl.gz"), "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "\(dir.file("v.jsonl.gz")): 4 vectors of model mine (3 dimensions, jsonl)\n")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("v.jsonl.gz")))
        #expect(bytes.prefix(2) == Data([0x1f, 0x8b]), "not gzip: \(Array(bytes.prefix(8)))")
        // gzip itself reads it back to the plain export's bytes.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", dir.file("v.jsonl.gz")]
        let unzipped = try captured(p)
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        #expect(unzipped.stdout == (try String(contentsOfFile: dir.file("plain.jsonl"), encoding: .utf8)))
        // And it imports back: the same vectors, nothing changed.
        let again = try winnow(["vectors", "import", dir.file("v.jsonl.gz"), "--model", "mine", "--db", db])
        #expect(again.stdout.contains("4 vectors read, 0 stored, 0 replaced, 4 unchanged"), "\(again.stdout)\(again.stderr)")
        // A .npy is not compressed (numpy.load reads no gzip): refused, nothing written.
        for args in [["v.npy.gz"], ["x.gz", "--format", "npy"]] {
            let npy = try winnow(["vectors", "export", dir.file(args[0])] + args.dropFirst() + ["--db", db])
            #expect(npy.status == 1 && npy.stderr.contains("a .npy file is written uncompressed"), "\(npy.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file(args[0])))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("winnow-tmp") }.isEmpty)
    }
}

/// label-noise's default on a store with vectors, as recorded with the run: TF-IDF, which won
/// the Debian benchmark against both classifiers on the embeddings (README, "label-noise on
/// vectors"); the vectors only when asked for. A change of the default fails here.
@Suite struct LabelNoiseDefaultCLITests {
    /// 120 texts labelled a or b (enough for label-noise to check them), s1…s120, each with a
    /// vector of model "mini": a at 0…59°, b at 90…149°.
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let lines = (1...120).map { i in
            #"{"id": "s\#(i)", "text": "\#(i <= 60 ? "the parcel arrived late" : "a film with a weak ending") number \#(i)", "label": "\#(i <= 60 ? "a" : "b")"}"#
        }
        dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try winnow(["import", dir.file("in.jsonl"), "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        func unit(_ degrees: Double) -> [Float] { [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180)), 0] }
        var vectors: [String: [Float]] = [:]
        for i in 1...120 {
            let degrees: Double = i <= 60 ? Double(i - 1) : Double(29 + i)
            vectors["s\(i)"] = unit(degrees)
        }
        _ = try storeTestVectors(try Store(path: db), model: "mini", vectors)
        return (dir, db)
    }

    /// The parameters of the latest label-noise run.
    func parameters(_ db: String) throws -> [String: Any] {
        let text = try #require(try query(db, "SELECT parameters FROM detector_runs WHERE detector = 'label-noise' ORDER BY id DESC LIMIT 1", as: String.self))
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theDefaultStaysTFIDFWithVectorsAndEitherClassifierCanBeAskedFor() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["detect", "label-noise", "--db", db])
        #expect(run.status == 0 && !run.stderr.contains("warning"), "\(run.stderr)")
        let p = try parameters(db)
        #expect(p["features"] as? String == "tfidf" && p["buckets"] as? Int == 262144, "\(p)")
        // Logistic regression on the vectors…
        #expect(try winnow(["detect", "label-noise", "--set", "label-noise.features=vectors", "--db", db]).status == 0)
        let logistic = try parameters(db)
        #expect(logistic["features"] as? String == "vectors" && logistic["model"] as? String == "mini")
        #expect((logistic["classifier"] as? String)?.hasPrefix("logistic regression, standardised embedding") == true, "\(logistic)")
        // …or kNN label disagreement, which reads the vectors without being told.
        let knn = try winnow(["detect", "label-noise", "--set", "label-noise.classifier=knn", "--set", "label-noise.k=5", "--db", db])
        #expect(knn.status == 0, "\(knn.stderr)")
        let votes = try parameters(db)
        #expect(votes["features"] as? String == "vectors" && votes["k"] as? Int == 5)
        #expect((votes["classifier"] as? String)?.hasPrefix("kNN label disagreement") == true, "\(votes)")
        // Two clean clusters: nothing to flag either way.
        #expect(try query(db, "SELECT count(*) FROM flags WHERE detector = 'label-noise'") == 0)
        let bad = try winnow(["detect", "label-noise", "--set", "label-noise.features=tfidf", "--set", "label-noise.classifier=knn", "--db", db])
        #expect(bad.status == 1 && bad.stderr.contains("it cannot read label-noise.features=tfidf"), "\(bad.stderr)")
        #expect(try query(db, "SELECT count(*) FROM detector_runs WHERE detector = 'label-noise'") == 3)
    }
}
