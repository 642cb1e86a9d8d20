import Foundation
import GRDB
import Testing

/// `winnow detect` and `winnow flags` through the built binary, on the demo reviews.
@Suite struct DetectCLITests {
    func demoStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        return (dir, db)
    }

    func flagged(_ db: String, _ detector: String) throws -> [String] {
        let run = try winnow(["flags", "--detector", detector, "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        return ((doc["flags"] as? [[String: Any]]) ?? []).compactMap { $0["uid"] as? String }.sorted()
    }

    @Test func detectorsFindTheDemosPlantedDefects() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["detect", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let runs = try #require(doc["runs"] as? [[String: Any]])
        #expect(runs.count == 12)
        #expect(runs.allSatisfy { $0["scanned"] as? Int == 111 })
        // demo/README.md lists the planted defects.
        #expect(try flagged(db, "near-duplicate") == ["rev-048", "rev-095", "rev-102"])
        #expect(try flagged(db, "boilerplate") == ["rev-010", "rev-028"])
        #expect(try flagged(db, "pii") == ["rev-101"])
        #expect(try flagged(db, "encoding") == ["rev-031"])
        #expect(try flagged(db, "empty") == ["rev-112"])
        #expect(try flagged(db, "too-short") == ["rev-024", "rev-112"])
        #expect(try flagged(db, "repetition") == ["rev-087"])
        #expect(try flagged(db, "label-conflict") == ["rev-071", "rev-077"])
        #expect(try flagged(db, "exact-duplicate") == [])
        let noise = try flagged(db, "label-noise")
        #expect(noise.contains("rev-041") || noise.contains("rev-074") || noise.contains("rev-032"))
        #expect(try query(db, "SELECT count(*) FROM detector_runs") == 12)
    }

    @Test func rerunsReplaceOpenFlagsAndNeverReopenReviewedOnes() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["detect", "near-duplicate", "boilerplate", "--db", db]).status == 0)
        let before = try query(db, "SELECT count(*) FROM flags WHERE status = 'open'")
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: """
                UPDATE flags SET status = 'dismissed' WHERE detector = 'boilerplate'
                AND sample_id = (SELECT id FROM samples WHERE uid = 'rev-010')
                """)
        }
        try queue.close()
        let again = try winnow(["detect", "near-duplicate", "boilerplate", "--json", "--db", db])
        let runs = try #require((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        let boilerplate = try #require(runs.first { $0["detector"] as? String == "boilerplate" })
        #expect(boilerplate["flagged"] as? Int == 1)
        #expect(boilerplate["kept_reviewed"] as? Int == 1)
        #expect(try query(db, "SELECT count(*) FROM flags WHERE status = 'open'") == (before ?? 0) - 1)
        #expect(try query(db, "SELECT count(*) FROM flags WHERE detector = 'near-duplicate'") == 3) // replaced, not doubled
        #expect(try query(db, "SELECT count(*) FROM detector_runs") == 4)

        let summary = try winnow(["flags", "summary", "--json", "--db", db])
        let detectors = try #require((try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])?["detectors"] as? [[String: Any]])
        let row = try #require(detectors.first { $0["detector"] as? String == "boilerplate" })
        #expect(row["open"] as? Int == 1)
        #expect(row["dismissed"] as? Int == 1)
        #expect(row["precision"] as? Double == 0)
        #expect(detectors.first { $0["detector"] as? String == "near-duplicate" }?["precision"] is NSNull)
    }

    @Test func parametersComeFromOptionsAndFiles() throws {
        let (dir, db) = try demoStore()
        let strict = try winnow(["detect", "too-short", "--set", "too-short.min_words=20", "--json", "--db", db])
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(try query(db, "SELECT flagged FROM detector_runs ORDER BY id DESC LIMIT 1") ?? 0 > 5)
        #expect(try query(db, "SELECT parameters FROM detector_runs ORDER BY id DESC LIMIT 1", as: String.self) == "{\"min_words\":20}")
        let config = dir.file("detect.yaml")
        try "too-short:\n  min_words: 2\nboilerplate:\n  patterns: ['great']\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try winnow(["detect", "too-short", "boilerplate", "--config", config, "--db", db]).status == 0)
        #expect(try flagged(db, "too-short") == ["rev-024", "rev-112"])
        let great = try flagged(db, "boilerplate")
        #expect(great.count >= 4)
        #expect(!great.contains("rev-010")) // the default patterns were replaced
        let unknown = try winnow(["detect", "spam", "--db", db])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: unknown detector 'spam'; detectors are empty, too-short"))
        let badKey = try winnow(["detect", "--set", "too-short.minimum=3", "--db", db])
        #expect(badKey.stderr.contains("unknown parameter 'too-short.minimum'"))
        let badValue = try winnow(["detect", "--set", "near-duplicate.threshold=2", "--db", db])
        #expect(badValue.stderr.contains("near-duplicate.threshold=2: expected a number in 0.05…1.0"))
    }

    @Test func outsideScoresBecomeFlags() throws {
        let (dir, db) = try demoStore()
        let scores = dir.file("tox.jsonl")
        try "{\"uid\": \"rev-001\", \"p\": 0.91}\n{\"uid\": \"rev-002\", \"p\": 0.2}\n{\"uid\": \"rev-003\", \"p\": \"0.85\"}\n".write(toFile: scores, atomically: true, encoding: .utf8)
        let run = try winnow(["flags", "import", scores, "--detector", "toxicity", "--score-field", "p", "--threshold", "0.8", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "\(scores): 3 scores read, 2 flagged as toxicity\n")
        #expect(try flagged(db, "toxicity") == ["rev-001", "rev-003"])
        let bad = dir.file("bad.csv")
        try "uid,p\nrev-001,0.9\nnope,0.5\nrev-002,high\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try winnow(["flags", "import", bad, "--detector", "toxicity", "--score-field", "p", "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):3: no sample with uid 'nope'"))
        #expect(refused.stderr.contains("\(bad):4: score field 'p' is 'high', expected a number"))
        #expect(refused.stderr.contains("no flags were imported"))
        #expect(try flagged(db, "toxicity") == ["rev-001", "rev-003"])
        let builtin = try winnow(["flags", "import", scores, "--detector", "pii", "--score-field", "p", "--db", db])
        #expect(builtin.stderr.contains("--detector pii is a built-in detector"))
    }
}
