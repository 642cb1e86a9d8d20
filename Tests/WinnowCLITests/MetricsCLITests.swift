import Foundation
import GRDB
import Testing

/// Taxonomy, annotation and metric commands through the built binary, on the demo corpus.
@Suite struct MetricsCLITests {
    func demoStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db]).status == 0)
        let load = try winnow(["taxonomy", "load", repoRoot + "/demo/taxonomy.yaml", "--db", db])
        #expect(load.stdout == "loaded \(repoRoot)/demo/taxonomy.yaml: 1 dimension, 6 categories, label order negative, neutral, positive\n")
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    @Test func coverageOfTheDemo() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let doc = try json(try winnow(["coverage", "--json", "--db", db]))
        let dims = try #require(doc["dimensions"] as? [[String: Any]])
        let domain = try #require(dims.first)
        #expect(domain["dimension"] as? String == "domain")
        // 5 of 6 categories present; weights 1,1,1,1,2,1 over 7; fills 32/30→1, 27/30, 25/30, 6/20, 21/30, 0.
        #expect(abs((domain["scene_coverage"] as? Double ?? 0) - 5.0 / 6.0) < 1e-9)
        let expectedSample = (1.0 + 0.9 + 25.0 / 30 + 0.3 + 2 * 0.7 + 0) / 7
        #expect(abs((domain["sample_coverage"] as? Double ?? 0) - expectedSample) < 1e-9)
        #expect(abs((domain["covered_fill"] as? Double ?? 0) - (32.0 / 30 + 0.9 + 25.0 / 30 + 0.3 + 0.7) / 5) < 1e-9)
        #expect(domain["unannotated"] as? Int == 0)
        let categories = try #require(domain["categories"] as? [[String: Any]])
        #expect(categories.map { $0["category"] as? String } == ["electronics", "books", "restaurants", "travel", "software", "health"])
        #expect(categories.map { $0["status"] as? String } == ["ok", "under", "under", "under", "under", "missing"])
        #expect(categories.map { $0["needed"] as? Int } == [0, 3, 5, 14, 9, 10])
        for key in ["count", "target", "fill", "weight"] { #expect(categories[0][key] != nil) }

        let csv = try winnow(["coverage", "--csv", "--db", db])
        #expect(csv.stdout.hasPrefix("dimension,category,count,target,fill,weight,status,needed\ndomain,electronics,32,30,1.067,0.143,ok,0\n"))
        let human = try winnow(["coverage", "--db", db])
        #expect(human.stdout.hasPrefix("domain: scene coverage 0.833 · sample coverage 0.633 · covered fill 0.760 · unannotated 0\n"))
        let unknownDim = try winnow(["coverage", "--dimension", "nope", "--db", db])
        #expect(unknownDim.status == 1)
        #expect(unknownDim.stderr.contains("no dimension 'nope'"))
    }

    @Test func droppedSamplesLeaveTheCounts() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let queue = try DatabaseQueue(path: db)
        try queue.write { try $0.execute(sql: "UPDATE samples SET status = 'dropped' WHERE uid IN ('rev-001', 'rev-003')") } // software, books
        try queue.close()
        let doc = try json(try winnow(["coverage", "--json", "--db", db]))
        let categories = try #require(((doc["dimensions"] as? [[String: Any]])?.first?["categories"]) as? [[String: Any]])
        #expect(categories.first { $0["category"] as? String == "books" }?["count"] as? Int == 26)
        #expect(categories.first { $0["category"] as? String == "software" }?["count"] as? Int == 20)
        let stats = try json(try winnow(["stats", "--json", "--db", db]))
        #expect((stats["samples"] as? [String: Any])?["dropped"] as? Int == 2)
        #expect((stats["samples"] as? [String: Any])?["active"] as? Int == 109)
    }

    @Test func annotationsFromAFileReplaceAndKeepHistory() throws {
        let (dir, db) = try demoStore()
        let file = dir.file("scenes.csv")
        try "uid,dimension,category\nrev-001,domain,health\nrev-002,domain,software\nrev-003,tone,calm\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try winnow(["annotate", "--from", file, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "annotated 2 (replacing 1), unchanged 1\n")
        #expect(run.stderr.contains("tone: calm not in the taxonomy"))
        let show = try json(try winnow(["show", "rev-001", "--json", "--db", db]))
        let scenes = try #require(show["scenes"] as? [[String: Any]])
        #expect(scenes.map { "\($0["category"] as? String ?? ""):\($0["current"] as? Bool ?? false)" } == ["software:false", "health:true"])
        let coverage = try json(try winnow(["coverage", "--dimension", "tone", "--json", "--db", db]))
        let tone = try #require((coverage["dimensions"] as? [[String: Any]])?.first)
        #expect(tone["unknown"] as? [String] == ["calm"])
        #expect(tone["unannotated"] as? Int == 110)

        let bad = dir.file("bad.jsonl")
        try
            "{\"uid\": \"rev-001\", \"dimension\": \"domain\", \"category\": \"books\"}\n{\"uid\": \"nope\", \"dimension\": \"domain\", \"category\": \"books\"}\n{\"uid\": \"rev-002\"}\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try winnow(["annotate", "--from", bad, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):3: missing dimension, category"))
        let unknown = dir.file("unknown.jsonl")
        try "{\"uid\": \"rev-001\", \"dimension\": \"domain\", \"category\": \"books\"}\n{\"uid\": \"nope\", \"dimension\": \"domain\", \"category\": \"books\"}\n".write(
            toFile: unknown, atomically: true, encoding: .utf8)
        let refused2 = try winnow(["annotate", "--from", unknown, "--db", db])
        #expect(refused2.stderr.contains("\(unknown):2: no sample with uid 'nope'"))
        #expect(refused2.stderr.contains("nothing was annotated"))
        let after = try json(try winnow(["show", "rev-001", "--json", "--db", db]))
        #expect((after["scenes"] as? [[String: Any]])?.last?["category"] as? String == "health")
    }

    @Test func rulesAnnotateWithoutOverwritingImportedScenes() throws {
        let (dir, db) = try demoStore()
        let rules = dir.file("rules.yaml")
        try
            "tone:\n  enthusiastic: {keywords: [great, love, amazing, excellent, perfect]}\n  critical: {regex: ['(?i)\\\\b(broke|refund|waste)\\\\b']}\ndomain:\n  health: {keywords: [the]}\n"
            .write(toFile: rules, atomically: true, encoding: .utf8)
        let run = try winnow(["annotate", "--rules", rules, "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try json(run)
        let toned = try query(db, "SELECT count(*) FROM scene_annotations WHERE dimension = 'tone' AND origin = 'rules'")
        #expect(result["annotated"] as? Int == toned)
        #expect((toned ?? 0) >= 5)
        // First matching category wins: a sample is never both.
        #expect(try query(db, "SELECT count(DISTINCT sample_id) FROM scene_annotations WHERE dimension = 'tone'") == toned)
        #expect(result["replaced"] as? Int == 0) // domain came from import: not overwritten
        let domainHealth = try winnow(["samples", "--scene", "domain=health", "--count", "--db", db])
        #expect(domainHealth.stdout == "0\n")
        let replaced = try json(try winnow(["annotate", "--rules", rules, "--replace", "--json", "--db", db]))
        #expect((replaced["replaced"] as? Int ?? 0) > 50)
        let badRules = dir.file("bad.yaml")
        try "tone:\n  x: {keyword: [a]}\n".write(toFile: badRules, atomically: true, encoding: .utf8)
        let refused = try winnow(["annotate", "--rules", badRules, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: \(badRules):2: tone.x: unknown key 'keyword'"))
    }

    @Test func distributionAgainstTargetsAndFiles() throws {
        let (dir, db) = try demoStore()
        let labels = try json(try winnow(["distribution", "--of", "labels", "--json", "--db", db]))
        #expect(labels["of"] as? String == "labels")
        #expect(labels["against"] as? String == "uniform")
        let cats = try #require(labels["categories"] as? [[String: Any]])
        #expect(cats.map { $0["category"] as? String } == ["negative", "neutral", "positive"])
        #expect(cats.map { $0["count"] as? Int } == [33, 18, 60])
        // P = (33, 18, 60)/111 against uniform thirds, computed by hand.
        let p = [33.0, 18, 60].map { $0 / 111 }
        let kl = p.reduce(0) { $0 + $1 * log2($1 / (1.0 / 3)) }
        #expect(abs((labels["kl_pq"] as? Double ?? 0) - kl) < 1e-9)
        for key in ["kl_qp", "js", "smoothed"] { #expect(labels[key] != nil) }
        #expect(abs((cats[1]["factor"] as? Double ?? 0) - (1.0 / 3) / (18.0 / 111)) < 1e-9)

        let scene = try json(try winnow(["distribution", "--of", "scene.domain", "--json", "--db", db]))
        #expect(scene["against"] as? String == "taxonomy")
        #expect(scene["smoothed"] as? [String] == ["health"])

        let ref = dir.file("mix.json")
        try #"{"electronics": 0.5, "books": 0.5}"#.write(toFile: ref, atomically: true, encoding: .utf8)
        let vsFile = try json(try winnow(["distribution", "--of", "scene.domain", "--against", ref, "--json", "--db", db]))
        #expect((vsFile["smoothed"] as? [String])?.sorted() == ["restaurants", "software", "travel"])
        let csvRef = dir.file("mix.csv")
        try "category,count\npositive,1\nnegative,1\nneutral,1\n".write(toFile: csvRef, atomically: true, encoding: .utf8)
        let vsCSV = try json(try winnow(["distribution", "--of", "labels", "--against", csvRef, "--json", "--db", db]))
        #expect(abs((vsCSV["kl_pq"] as? Double ?? 0) - kl) < 1e-9)
        let human = try winnow(["distribution", "--of", "labels", "--db", db])
        #expect(human.stdout.hasPrefix("labels against uniform: KL(P‖Q) " + String(format: "%.4f", kl) + " bits"))
        #expect(human.stdout.contains("\nneutral      18  0.162"))
        let badOf = try winnow(["distribution", "--of", "colour", "--db", db])
        #expect(badOf.status == 1)
        #expect(badOf.stderr.contains("--of colour: expected labels or scene.DIM"))
    }

    @Test func statsReportWeightsInLabelIndexOrder() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let stats = try json(try winnow(["stats", "--json", "--db", db]))
        let labels = try #require(stats["labels"] as? [[String: Any]])
        #expect(labels.map { $0["label"] as? String } == ["negative", "neutral", "positive"])
        #expect(labels.map { $0["index"] as? Int } == [0, 1, 2])
        #expect(abs((labels[1]["weight_inverse"] as? Double ?? 0) - 111.0 / 18) < 1e-9)
        #expect(abs((labels[1]["weight_balanced"] as? Double ?? 0) - 111.0 / (3 * 18)) < 1e-9)
        #expect(abs((stats["imbalance_ratio"] as? Double ?? 0) - 60.0 / 18) < 1e-9)
        let diversity = try #require(stats["diversity"] as? [String: Any])
        for key in ["labels", "scenes", "distinct_1", "distinct_2"] { #expect(diversity[key] != nil) }
        #expect(((diversity["scenes"] as? [String: Any])?["domain"] as? [String: Any])?["evenness"] != nil)
        #expect((stats["flags"] as? [String: Any])?["open"] as? Int == 2)
        #expect((stats["review"] as? [String: Any])?["decisions"] as? Int == 0)
        #expect(((stats["lengths"] as? [String: Any])?["all"] as? [String: Any])?["samples"] as? Int == 111)
        let human = try winnow(["stats", "--db", db])
        #expect(human.stdout.hasPrefix("samples: 111 total, 111 active, 0 dropped\n"))
        #expect(human.stdout.contains("1  neutral      18"))
        #expect(human.stdout.contains("imbalance ratio 3.33\n"))
    }

    @Test func taxonomyReloadKeepsAnnotations() throws {
        let (dir, db) = try demoStore()
        let smaller = dir.file("t.json")
        try #"{"dimensions": {"domain": {"categories": {"books": {"target": 10}}}}}"#.write(toFile: smaller, atomically: true, encoding: .utf8)
        #expect(try winnow(["taxonomy", "load", smaller, "--db", db]).status == 0)
        let show = try json(try winnow(["taxonomy", "show", "--json", "--db", db]))
        #expect((show["labels"] as? [String]) == [])
        let coverage = try json(try winnow(["coverage", "--json", "--db", db]))
        let domain = try #require((coverage["dimensions"] as? [[String: Any]])?.first)
        #expect(domain["scene_coverage"] as? Double == 1)
        #expect((domain["unknown"] as? [String])?.count == 4)
        let malformed = dir.file("bad.yaml")
        try "dimensions:\n  domain:\n    categories:\n      a: {target: -3}\n".write(toFile: malformed, atomically: true, encoding: .utf8)
        let refused = try winnow(["taxonomy", "load", malformed, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: \(malformed):4: dimensions.domain.categories.a.target must be a whole number ≥ 0, got '-3'\n")
    }
}
