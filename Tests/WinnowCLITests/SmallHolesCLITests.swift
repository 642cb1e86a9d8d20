import Foundation
import GRDB
import Testing

/// Issue 11, item 12: the smaller holes (sql's guard, names, leases, splits, empty snapshots,
/// labels, TSV, flag details, distribution references).
@Suite struct SmallHolesCLITests {
    @Test func sqlGuardIsSQLitesAuthorizer() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let outside = dir.file("x.db")
        for statement in [
            "/**/ATTACH '\(outside)' AS x", " ATTACH '\(outside)' AS x", "-- hi\nATTACH '\(outside)' AS x",
            "SELECT hex(fts3_tokenizer('simple'))", "SELECT fts3_tokenizer('evil', x'0000000000000000')",
            "SELECT load_extension('x')", "SELECT 1; DROP TABLE samples", "PRAGMA user_version = 7",
            "BEGIN", "VACUUM INTO '\(outside)'", "CREATE TEMP TABLE t(x)", "ANALYZE",
        ] {
            let run = try winnow(["sql", statement, "--db", db])
            #expect(run.status == 1, "\(statement): \(run.stdout)")
            #expect(run.stderr.hasPrefix("error: winnow sql "), "\(statement): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: outside), "\(statement)")
        }
        let commented = try winnow(["sql", "-- how many? x = 1\nSELECT count(*) AS n FROM samples WHERE 1 = 1 -- all of them\n", "--csv", "--db", db])
        #expect(commented.status == 0, "\(commented.stderr)")
        #expect(commented.stdout == "n\n111\n")
        let pragma = try winnow(["sql", "SELECT name FROM pragma_table_info('labels') ORDER BY cid", "--csv", "--db", db])
        #expect(pragma.status == 0, "\(pragma.stderr)")
        #expect(pragma.stdout.hasPrefix("name\n"))
        #expect(try winnow(["sql", "PRAGMA table_info(samples)", "--db", db]).status == 0)
        #expect(try winnow(["sql", "PRAGMA user_version", "--db", db]).status == 0)
        let typo = try winnow(["sql", "SELECT 1", "--jsn", "--db", db])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("takes the statement as one argument"), "\(typo.stderr)")
        #expect(try query(db, "SELECT count(*) FROM samples") == 111)
    }

    @Test func sqlLeavesAnOlderStoreAsItIs() throws {
        let dir = TempDir()
        let db = dir.file("old.db")
        try FileManager.default.copyItem(atPath: repoRoot + "/Tests/Fixtures/stores/0001_initial.db", toPath: db)
        let before = FileManager.default.contents(atPath: db)
        let run = try winnow(["sql", "SELECT count(*) FROM samples", "--csv", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("count(*)\n"))
        #expect(try query(db, "SELECT group_concat(identifier) FROM grdb_migrations", as: String.self) == "0001_initial")
        #expect(FileManager.default.contents(atPath: db) == before)
        // A store that is not there is still reported as such.
        let missing = try winnow(["sql", "SELECT 1", "--db", dir.file("none.db")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no Winnow store at"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("none.db")))
    }

    @Test func namesFollowOneRule() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        for bad in ["", " ", "a\nb", "../x", "a/b", "tab\there", String(repeating: "n", count: 65), "bidi\u{202E}x"] {
            let queue = try winnow(["queue", "create", bad, "--db", db])
            #expect(queue.status == 64, "queue \(bad.debugDescription): \(queue.stderr)")
            #expect(queue.stderr.contains("queue name"), "\(queue.stderr)")
            let snapshot = try winnow(["snapshot", "create", bad, "--db", db])
            #expect(snapshot.status == 64, "snapshot \(bad.debugDescription)")
            #expect(snapshot.stderr.contains("snapshot name"))
            let reviewer = try winnow(["review", "next", "q", "--reviewer", bad, "--db", db])
            #expect(reviewer.status == 64, "reviewer \(bad.debugDescription)")
            #expect(reviewer.stderr.contains("reviewer name"))
        }
        #expect(try winnow(["snapshot", "create", "a:b", "--db", db]).status == 64)
        #expect(try query(db, "SELECT count(*) FROM queues") == 0)
        #expect(try query(db, "SELECT count(*) FROM snapshots") == 0)
        // Stored trimmed and in NFC; looked up the same way.
        #expect(try winnow(["snapshot", "create", " cafe\u{0301} ", "--db", db]).status == 0)
        #expect(try query(db, "SELECT name FROM snapshots", as: String.self) == "caf\u{E9}")
        #expect(try winnow(["snapshot", "show", "cafe\u{0301}", "--db", db]).status == 0)
        let scheme = try winnow(["export", "caf\u{E9}", "--out", dir.file("out"), "--scheme", "a/b", "--db", db])
        #expect(scheme.status == 64)
        #expect(scheme.stderr.contains("split scheme name"))
    }

    @Test func leasesAndSplitRatiosAreChecked() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "q", "--db", db]).status == 0)
        for bad in ["nan", "inf", "1e20", "0", "-5"] {
            let run = try winnow(["review", "next", "q", "--reviewer", "alice", "--lease=\(bad)", "--db", db])
            #expect(run.status == 64, "\(bad)")
            #expect(run.stderr.contains("--lease takes seconds"), "\(bad): \(run.stderr)")
        }
        #expect(try query(db, "SELECT count(*) FROM leases") == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        let zero = try winnow(["export", "v1", "--out", dir.file("out"), "--split", "train=0,test=1", "--db", db])
        #expect(zero.status == 1)
        #expect(zero.stderr.contains("ratios must be > 0"), "\(zero.stderr)")
        let nan = try winnow(["export", "v1", "--out", dir.file("out"), "--split", "train=nan,test=1", "--db", db])
        #expect(nan.stderr.contains("ratios must be > 0"), "\(nan.stderr)")
    }

    /// Since issue 18 an unknown label is an error, and a snapshot that would be empty is refused
    /// (RulesCLITests covers both); a full one still says nothing on stderr.
    @Test func anEmptySnapshotIsNamedAsSuch() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["snapshot", "create", "x", "--label", "nosuchlabel", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: unknown label 'nosuchlabel'; known: "), "\(run.stderr)")
        let full = try winnow(["snapshot", "create", "y", "--db", db])
        #expect(full.stderr == "")
    }

    @Test func numericLabelsFollowOneRule() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let input = dir.file("l.jsonl")
        try """
        {"text": "a", "label": 1}
        {"text": "b", "label": 1.0}
        {"text": "c", "label": "1"}
        {"text": "d", "label": 1e0}
        {"text": "e", "label": "1.0"}
        {"text": "f", "label": true}
        {"text": "g", "label": 0.5}

        """.write(toFile: input, atomically: true, encoding: .utf8)
        let run = try winnow(["import", input, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let labels = try winnow([
            "sql", "SELECT c.text, r.label FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id ORDER BY c.text", "--csv", "--db", db,
        ])
        #expect(labels.stdout == "text,label\na,1\nb,1\nc,1\nd,1\ne,1.0\nf,true\ng,0.5\n")
    }

    @Test func tsvHasNoQuoting() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let input = dir.file("q.tsv")
        try "text\tlabel\n\"quoted\" he said\ta\nplain \"middle\" quote\tb\n\"\"\tc\n".write(toFile: input, atomically: true, encoding: .utf8)
        let run = try winnow(["import", input, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let texts = try winnow(["sql", "SELECT c.text FROM contents c ORDER BY c.id", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(texts.stdout.utf8)) as? [String: Any])
        #expect((doc["rows"] as? [[String: Any]])?.map { $0["text"] as? String } == ["\"quoted\" he said", "plain \"middle\" quote", "\"\""])
    }

    @Test func flagDetailsAreJSONObjects() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let flags = try winnow(["flags", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(flags.stdout.utf8)) as? [String: Any])
        let first = try #require((doc["flags"] as? [[String: Any]])?.first)
        #expect(first["details"] is [String: Any], "\(first)")
        let uid = try #require(first["uid"] as? String)
        let show = try winnow(["show", uid, "--json", "--db", db])
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(((detail["flags"] as? [[String: Any]])?.first?["details"] as? [String: Any])?["labels"] != nil, "\(show.stdout)")
    }

    @Test func aReferenceWithHugeCountsCannotOverflow() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let reference = dir.file("ref.json")
        try "{\"negative\": 1e308, \"neutral\": 1e308, \"positive\": 1e308}".write(toFile: reference, atomically: true, encoding: .utf8)
        let run = try winnow(["distribution", "--of", "labels", "--against", reference, "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let qs = try #require((doc["categories"] as? [[String: Any]])?.compactMap { $0["q"] as? Double })
        #expect(qs.count == 3)
        for q in qs { #expect(abs(q - 1.0 / 3) < 1e-9) }
        let csv = dir.file("ref.csv")
        try "category,count\nnegative,1e308\nnegative,1e308\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let overflow = try winnow(["distribution", "--of", "labels", "--against", csv, "--db", db])
        #expect(overflow.status == 1)
        #expect(overflow.stderr.contains("too large"), "\(overflow.stderr)")
        try "category,count\nnegative,inf\n".write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try winnow(["distribution", "--of", "labels", "--against", csv, "--db", db]).stderr.contains("finite number"))
    }
}
