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
            try db.execute(
                sql: """
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
        try "{\"uid\": \"rev-001\", \"p\": 0.91}\n{\"uid\": \"rev-002\", \"p\": 0.2}\n{\"uid\": \"rev-003\", \"p\": \"0.85\"}\n".write(
            toFile: scores, atomically: true, encoding: .utf8)
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

/// Issue 18 item 7: label-noise training has its own progress, lines off a terminal, and each
/// detector's own seconds in `detect --json`.
@Suite struct DetectProgressCLITests {
    @Test func offATerminalProgressIsAPlainLineNowAndThenWithTrainingItsOwnStep() throws {
        let (dir, db) = try DetectCLITests().demoStore()
        defer { withExtendedLifetime(dir) {} }
        // stderr is a file here. A line at every report (interval 0) shows the steps.
        let run = try winnow(["detect", "label-noise", "--db", db], env: ["WINNOW_PROGRESS_SECONDS": "0"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("\r") && !run.stderr.contains("\u{1B}"), "no bar drawing off a terminal: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("detect: 100%, 111 samples") }, "\(run.stderr)")
        let training = lines.filter { $0.hasPrefix("detect: label-noise training: ") }
        #expect(!training.isEmpty, "\(run.stderr)")
        // 111 samples, 5 folds, 8 epochs: 8 · 4 · 111 SGD steps, the last line at 100 %.
        #expect(training.last?.hasPrefix("detect: label-noise training: 100%, 3552 steps") == true, "\(training)")
        #expect(training.allSatisfy { $0.contains(" elapsed, ETA ") })
        // At the default interval (10 s) a short run prints nothing, as before.
        let quiet = try winnow(["detect", "label-noise", "--db", db])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    @Test func importReportsTheSameWayOffATerminal() throws {
        let dir = TempDir()
        let run = try winnow(
            ["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", dir.file("w.db")],
            env: ["WINNOW_PROGRESS_SECONDS": "0"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").contains { $0.hasPrefix("reviews.jsonl: 100%, 120 rec, ") }, "\(run.stderr)")
        #expect(!run.stderr.contains("\r"))
    }

    @Test func detectJSONGivesEachDetectorItsOwnSeconds() throws {
        let (dir, db) = try DetectCLITests().demoStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["detect", "empty", "pii", "label-noise", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let pass = try #require(doc["seconds"] as? Double)
        let runs = try #require(doc["runs"] as? [[String: Any]])
        var seconds: [String: Double] = [:]
        for r in runs { seconds[r["detector"] as? String ?? "?"] = r["seconds"] as? Double }
        let empty = try #require(seconds["empty"]), noise = try #require(seconds["label-noise"]), pii = try #require(seconds["pii"])
        // Before: every run showed the whole pass's time.
        #expect(empty < noise, "\(seconds)")
        #expect(empty + pii + noise <= pass + 0.01, "\(seconds) vs \(pass)")
        #expect([empty, pii, noise].allSatisfy { $0 >= 0 })
        // The table shows them too.
        let table = try winnow(["detect", "empty", "label-noise", "--db", db])
        #expect(table.stdout.contains("seconds") && table.stdout.contains(" s in all"), "\(table.stdout)")
    }

    @Test func piiFindsAnUnformattedPhoneNumberButNotIDs() throws {
        let dir = TempDir()
        let lines = [
            ("p1", "URGENT! Call 09061701461 to claim your prize"),
            ("p2", "or text +447700900123 now."),
            ("n1", "see https://example.com/status/1234567890123 for details"),
            ("n2", "request 123e4567-e89b-12d3-a456-426614174000 failed"),
            ("n3", "commit 4f1c2b0e9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b and build 1700000000"),
            ("n4", "released as version 2.1.4056789123 on 202401311200, ISBN 9780306406157"),
            ("n5", "GET /api/items?id=5550123456&page=2 took 3.14159265358979 ms"),
        ]
        let file = dir.write("pii.jsonl", lines.map { "{\"id\": \"\($0.0)\", \"text\": \"\($0.1)\"}" }.joined(separator: "\n") + "\n")
        let db = dir.file("w.db")
        #expect(try winnow(["import", file, "--db", db]).status == 0)
        #expect(try winnow(["detect", "pii", "--db", db]).status == 0)
        #expect(try DetectCLITests().flagged(db, "pii") == ["p1", "p2"])
    }
}
