import Foundation
import GRDB
import WinnowKit
import Testing

/// `winnow cluster` and what reads its topics (coverage, samples, queues, export, distribution)
/// through the built binary, on vectors written with `storeTestVectors`.
@Suite struct ClusterCLITests {
    /// Six refund texts (a1…a6, label billing) and six password texts (b1…b6, label account),
    /// each with a `domain` field; vectors of the refund texts near x, of the others near y.
    func store(vectors: Bool = true) throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        var lines = ""
        for i in 1...6 {
            lines += #"{"id":"a\#(i)","text":"refund my order \#(i) please, the refund is late","label":"billing","domain":"shop"}"# + "\n"
            lines += #"{"id":"b\#(i)","text":"reset my password \#(i), the login fails","label":"account","domain":"web"}"# + "\n"
        }
        #expect(try winnow(["import", dir.write("in.jsonl", lines), "--db", db]).status == 0)
        if vectors {
            var v: [String: [Float]] = [:]
            for i in 1...6 {
                v["a\(i)"] = [1, Float(i) * 0.01, 0]
                v["b\(i)"] = [Float(i) * 0.01, 1, 0]
            }
            let store = try Store(path: db, mode: .existing)
            _ = try storeTestVectors(store, model: "test-model", v)
        }
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    @Test func clusterThenCoverageSamplesAndQueues() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["cluster", "--k", "2", "--seed", "1", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try json(run)
        #expect(doc["samples"] as? Int == 12 && doc["annotated"] as? Int == 12 && doc["k"] as? Int == 2)
        #expect(doc["dimension"] as? String == "topic" && doc["model"] as? String == "test-model")
        let topics = try #require(doc["topics"] as? [[String: Any]])
        #expect(Set(topics.compactMap { $0["category"] as? String }) == ["refund-late-order", "fails-login-password"])
        #expect(topics.map { $0["size"] as? Int } == [6, 6])
        #expect(try query(db, "SELECT count(*) FROM scene_annotations WHERE origin = 'cluster' AND dimension = 'topic' AND replaced_by IS NULL") == 12)
        #expect(try query(db, "SELECT count(*) FROM cluster_runs") == 1)
        #expect(try query(db, "SELECT count(*) FROM cluster_centroids") == 2)
        #expect(try query(db, "SELECT terms FROM cluster_centroids WHERE category = 'refund-late-order'", as: String.self) == #"["refund","late","order","please"]"#)

        let coverage = try json(try winnow(["coverage", "--dimension", "topic", "--json", "--db", db]))
        let dim = try #require((coverage["dimensions"] as? [[String: Any]])?.first)
        #expect(dim["scene_coverage"] as? Double == 1 && dim["sample_coverage"] as? Double == 1 && dim["unannotated"] as? Int == 0)
        let categories = try #require(dim["categories"] as? [[String: Any]])
        #expect(Set(categories.compactMap { $0["category"] as? String }) == ["refund-late-order", "fails-login-password"])
        #expect(categories.map { $0["count"] as? Int } == [6, 6])

        let refunds = try json(try winnow(["samples", "--scene", "topic=refund-late-order", "--json", "--db", db]))
        #expect(Set((refunds["samples"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }) == ["a1", "a2", "a3", "a4", "a5", "a6"])
        #expect(try winnow(["queue", "create", "logins", "--scene", "topic=fails-login-password", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM queue_items") == 6)
        let uniform = try json(try winnow(["distribution", "--of", "topic", "--against", "uniform", "--json", "--db", db]))
        #expect(uniform["of"] as? String == "scene.topic" && uniform["js"] as? Double == 0)

        let human = try winnow(["cluster", "--k", "2", "--seed", "1", "--db", db])
        #expect(human.stdout.hasPrefix("cluster run 2: 2 topics of 12 samples (model test-model, seed 1) into dimension topic · "), "\(human.stdout)")
        #expect(human.stdout.contains("annotated 0 (replaced 0) · unchanged 12\n"))
    }

    @Test func aStratifiedExportByTopicSplitsEachTopicToTheRatio() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["cluster", "--k", "2", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        let out = dir.file("out")
        let export = try winnow(["export", "v1", "--out", out, "--split", "train=0.5,test=0.5", "--stratify", "scene.topic", "--db", db])
        #expect(export.status == 0, "\(export.stderr)")
        for split in ["train", "test"] {
            let uids = try String(contentsOfFile: out + "/\(split).jsonl", encoding: .utf8).split(separator: "\n").compactMap {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["uid"] as? String
            }
            #expect(uids.filter { $0.hasPrefix("a") }.count == 3, "\(split): \(uids)")
            #expect(uids.filter { $0.hasPrefix("b") }.count == 3, "\(split): \(uids)")
        }
    }

    @Test func reclusteringReplacesTheAnnotationsAndTheStaleCategories() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let first = try json(try winnow(["cluster", "--k", "3", "--json", "--db", db]))
        let firstNames = Set((first["topics"] as? [[String: Any]] ?? []).compactMap { $0["category"] as? String })
        #expect(firstNames.count == 3)
        let second = try json(try winnow(["cluster", "--k", "2", "--json", "--db", db]))
        let secondNames = Set((second["topics"] as? [[String: Any]] ?? []).compactMap { $0["category"] as? String })
        #expect(secondNames == ["refund-late-order", "fails-login-password"])
        let replaced = try #require(second["replaced"] as? Int)
        #expect(replaced > 0 && (second["annotated"] as? Int) == replaced)
        #expect(Set(second["removed_categories"] as? [String] ?? []) == firstNames.subtracting(secondNames))
        // Every sample's current topic is the second run's; the first run's stay as history.
        #expect(try query(db, "SELECT count(*) FROM scene_annotations WHERE dimension = 'topic' AND replaced_by IS NULL") == 12)
        #expect(try query(db, "SELECT count(*) FROM scene_annotations WHERE dimension = 'topic'") == 12 + replaced)
        let queue = try DatabaseQueue(path: db)
        let inTaxonomy = try queue.read { try String.fetchAll($0, sql: "SELECT name FROM categories WHERE dimension = 'topic'") }
        try queue.close()
        #expect(Set(inTaxonomy) == secondNames)
        let taxonomy = try winnow(["taxonomy", "show", "--json", "--db", db])
        #expect(taxonomy.status == 0 && taxonomy.stdout.contains("refund-late-order"))
        // The latest run is what a corpus is assigned to.
        #expect(try query(db, "SELECT max(id) FROM cluster_runs") == 2)
    }

    @Test func badInputsGetClearMessagesAndChangeNothing() throws {
        let (dir, db) = try store(vectors: false)
        defer { withExtendedLifetime(dir) {} }
        let none = try winnow(["cluster", "--k", "2", "--db", db])
        #expect(none.status == 1)
        #expect(none.stderr.contains("the store holds no vectors; run `winnow embed`"), "\(none.stderr)")
        let (dir2, db2) = try store()
        defer { withExtendedLifetime(dir2) {} }
        let tooMany = try winnow(["cluster", "--k", "13", "--db", db2])
        #expect(tooMany.status == 1)
        #expect(tooMany.stderr == "error: --k 13 is more than the 12 samples with vectors; pass --k 12 or less (model 'test-model')\n", "\(tooMany.stderr)")
        for k in ["--k=0", "--k=-3"] {
            let bad = try winnow(["cluster", k, "--db", db2])
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("--k must be 1 or more"), "\(bad.stderr)")
        }
        let missingK = try winnow(["cluster", "--db", db2])
        #expect(missingK.status == 64 && missingK.stderr.contains("--k"))
        // A dimension holding imported annotations is someone's labels: refused.
        let (dir3, db3) = try store()
        defer { withExtendedLifetime(dir3) {} }
        #expect(
            try winnow(["import", dir3.write("more.jsonl", #"{"id":"c1","text":"hello there","domain":"web"}"# + "\n"), "--map", "scene.domain=domain", "--db", db3]).status == 0)
        let foreign = try winnow(["cluster", "--k", "2", "--dimension", "domain", "--db", db3])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("dimension 'domain' holds scene annotations not made by `winnow cluster` (1 from import)"), "\(foreign.stderr)")
        let unknownModel = try winnow(["cluster", "--k", "2", "--model", "nope", "--db", db2])
        #expect(unknownModel.status != 0 && unknownModel.stderr.contains("nope"))
        for store in [db, db2, db3] { #expect(try query(store, "SELECT count(*) FROM cluster_runs") == 0) }
        #expect(try query(db2, "SELECT count(*) FROM scene_annotations") == 0)

        // distribution --against corpus:FILE: a topic dimension, a cluster run, a model that can embed.
        let corpus = dir2.write("prod.txt", "where is my refund\n")
        let labels = try winnow(["distribution", "--of", "labels", "--against", "corpus:\(corpus)", "--db", db2])
        #expect(labels.status == 1 && labels.stderr.contains("a corpus is compared by topic; pass --of DIM"), "\(labels.stderr)")
        let unclustered = try winnow(["distribution", "--of", "topic", "--against", "corpus:\(corpus)", "--db", db2])
        #expect(unclustered.status == 1 && unclustered.stderr.contains("--of topic: expected labels or scene.DIM"), "\(unclustered.stderr)")
        #expect(try winnow(["cluster", "--k", "2", "--db", db2]).status == 0)
        let missing = try winnow(["distribution", "--of", "topic", "--against", "corpus:\(dir2.file("nope.txt"))", "--db", db2])
        #expect(missing.status == 1 && missing.stderr.contains("nope.txt") && missing.stderr.contains("no such file"), "\(missing.stderr)")
        let imported = try winnow(["distribution", "--of", "topic", "--against", "corpus:\(corpus)", "--db", db2])
        #expect(imported.status == 1 && imported.stderr.contains("test-model"), "\(imported.stderr)")
    }
}
