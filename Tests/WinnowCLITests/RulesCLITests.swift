import Foundation
import GRDB
import Testing

/// Issue 18, items 5, 6 and parts of 8, through the built binary: rules that do what they say,
/// typos that fail instead of selecting nothing, and the smaller things (show by record id,
/// rejects with their text, sql's one statement, the nearest command, taxonomy file order).
@Suite struct RulesCLITests {
    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
    }

    /// A small store: five texts with ids and labels, a taxonomy with one dimension.
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let input = dir.write(
            "texts.jsonl",
            """
            {"id": "t1", "text": "Only £1.50 per week, T&C apply", "label": "spam"}
            {"id": "t2", "text": "I write C++ and Node.js at work", "label": "ham"}
            {"id": "t3", "text": "export LD_LIBRARY_PATH=/usr/lib before you run it", "label": "ham"}
            {"id": "t4", "text": "This is a meta-package depending on the others", "label": "ham"}
            {"id": "t5", "text": "see you at the library tonight", "label": "ham"}

            """)
        let imported = try winnow(["import", input, "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        dir.write("taxonomy.yaml", "dimensions:\n  topic:\n    categories:\n      promo: {target: 2}\n      code: {target: 2}\n      packaging: {target: 2}\n")
        #expect(try winnow(["taxonomy", "load", dir.file("taxonomy.yaml"), "--db", db]).status == 0)
        return (dir, db)
    }

    /// Item 5: keywords with punctuation match as written (on the pre-issue binary `£1.50`,
    /// `t&c`, `c++`, `node.js` and `meta-package` matched nothing, silently, and `library`
    /// matched LD_LIBRARY_PATH); the run reports each category's samples and the rules that
    /// matched nothing, with their lines.
    @Test func rulesMatchKeywordsAsWrittenAndReportDeadRules() throws {
        let (dir, db) = try store()
        let rules = dir.write(
            "rules.yaml",
            """
            topic:
              promo:
                keywords: ["£1.50", "t&c"]
              code:
                keywords: ["c++", "node.js", "path_to_nowhere"]
              packaging:
                keywords: ["meta-package"]
                regex: ['\\bdebhelper\\b']
            place:
              library:
                keywords: [library]

            """)
        let run = try winnow(["annotate", "--rules", rules, "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try json(run)
        #expect(result["annotated"] as? Int == 4)
        let hits = (result["categories"] as? [[String: Any]] ?? []).map { "\($0["dimension"]!).\($0["category"]!)=\($0["samples"]!)" }
        #expect(hits == ["topic.promo=1", "topic.code=1", "topic.packaging=1", "place.library=1"])
        let unmatched = (result["unmatched_rules"] as? [[String: Any]] ?? []).map { "\($0["line"]!):\($0["kind"]!):\($0["pattern"]!)" }
        #expect(unmatched == ["5:keyword:path_to_nowhere", "8:regex:\\bdebhelper\\b"])
        let scenes = try winnow([
            "sql", "SELECT s.uid || '=' || a.category FROM scene_annotations a JOIN samples s ON s.id = a.sample_id ORDER BY s.uid, a.dimension", "--csv", "--db", db,
        ])
        // t3's LD_LIBRARY_PATH is not the word "library"; t5's library is.
        #expect(scenes.stdout.split(separator: "\n").dropFirst().joined(separator: " ") == "t1=promo t2=code t4=packaging t5=library")

        let human = try winnow(["annotate", "--rules", rules, "--db", db])
        #expect(human.status == 0)
        #expect(human.stdout.hasPrefix("annotated 0 (replacing 0), unchanged 4\n"), "\(human.stdout)")
        #expect(human.stdout.contains("\ndimension  category   samples matched\n"), "\(human.stdout)")
        #expect(human.stdout.contains("\ntopic      promo                    1\n"), "\(human.stdout)")
        #expect(
            human.stdout.contains("2 rules matched no active sample:\n  \(rules):5: topic.code keyword 'path_to_nowhere'\n  \(rules):8: topic.packaging regex '\\bdebhelper\\b'\n"),
            "\(human.stdout)")
    }

    /// Item 5: a keyword that can never match is refused at load with its line; nothing is annotated.
    @Test func aBlankKeywordIsRefusedWithItsLine() throws {
        let (dir, db) = try store()
        let rules = dir.write("rules.yaml", "topic:\n  promo:\n    keywords:\n      - cash\n      - \"   \"\n")
        let run = try winnow(["annotate", "--rules", rules, "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr == "error: \(rules):5: topic.promo: the keyword '   ' is empty or only white space, so it can never match; remove it or write the word to match\n")
        #expect(try query(db, "SELECT count(*) FROM scene_annotations") == 0)
    }

    /// Item 6: a label, scene dimension, category or source that the store does not know is an
    /// error listing the known ones, in samples, snapshot create and queue create; nothing is
    /// made. On the pre-issue binary each succeeded with 0 rows (and a permanent empty snapshot).
    @Test func typosInSelectionsFailListingTheValidOnes() throws {
        let (dir, db) = try store()
        _ = try winnow(["annotate", "--rules", dir.write("r.yaml", "topic:\n  promo: {keywords: [week]}\n"), "--db", db])
        let label = try winnow(["samples", "--label", "hamm", "--db", db])
        #expect(label.status == 1)
        #expect(label.stderr == "error: unknown label 'hamm'; known: ham, spam (labels are case-sensitive; see `winnow stats`)\n")
        #expect(label.stdout == "")
        let json = try winnow(["samples", "--label", "hamm", "--json", "--db", db])
        // With --json the error is also a document on stdout (JSONErrorCLITests); stderr has the same line.
        #expect(json.status == 1 && json.stdout.contains("\"code\" : \"not_found\"") && json.stderr == label.stderr)
        let dimension = try winnow(["samples", "--scene", "topik=promo", "--db", db])
        #expect(dimension.stderr == "error: unknown scene dimension 'topik'; known: topic (--scene takes DIM=CAT; see `winnow coverage`)\n")
        let category = try winnow(["samples", "--scene", "topic=promoo", "--count", "--db", db])
        #expect(category.stderr == "error: unknown category of topic 'promoo'; known: code, packaging, promo (see `winnow coverage --dimension topic`)\n")
        let detector = try winnow(["samples", "--flag", "label-nosie", "--db", db])
        #expect(detector.stderr.hasPrefix("error: --flag: unknown detector 'label-nosie'; detectors are empty, too-short,"), "\(detector.stderr)")
        #expect(try winnow(["samples", "--flag", "label-noise", "--count", "--db", db]).stdout == "0\n")
        let source = try winnow(["samples", "--source", "text.jsonl", "--db", db])
        #expect(source.stderr.hasPrefix("error: unknown source 'text.jsonl'; known: texts.jsonl"), "\(source.stderr)")

        let snapshot = try winnow(["snapshot", "create", "x", "--label", "hamm", "--db", db])
        #expect(snapshot.status == 1)
        #expect(snapshot.stderr.hasPrefix("error: unknown label 'hamm'; known: ham, spam"), "\(snapshot.stderr)")
        let queue = try winnow(["queue", "create", "q", "--scene", "topic=promoo", "--db", db])
        #expect(queue.status == 1)
        #expect(queue.stderr.hasPrefix("error: unknown category of topic 'promoo'"), "\(queue.stderr)")
        #expect(try query(db, "SELECT count(*) FROM snapshots") == 0)
        #expect(try query(db, "SELECT count(*) FROM queues") == 0)

        // Known names that select nothing are not typos: 0, exit 0.
        #expect(try winnow(["samples", "--label", "spam", "--status", "dropped", "--count", "--db", db]).stdout == "0\n")
        #expect(try winnow(["samples", "--scene", "topic=code", "--count", "--db", db]).stdout == "0\n") // in the taxonomy, unused
        #expect(try winnow(["samples", "--label", "ham", "--scene", "topic=promo", "--count", "--db", db]).stdout == "0\n")
        // …and they still work.
        #expect(try winnow(["samples", "--label", "spam", "--count", "--db", db]).stdout == "1\n")
        #expect(try winnow(["queue", "create", "q", "--label", "spam", "--db", db]).status == 0)
    }

    /// Item 6: a snapshot that would be empty is refused (it could never be removed).
    @Test func anEmptySnapshotIsRefused() throws {
        let (dir, db) = try store()
        _ = try winnow(["annotate", "--rules", dir.write("r.yaml", "topic:\n  promo: {keywords: [week]}\n"), "--db", db])
        let run = try winnow(["snapshot", "create", "x", "--label", "ham", "--scene", "topic=promo", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: snapshot x would be empty: no active sample matches --label ham --scene topic=promo; nothing was made"), "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM snapshots") == 0)
        #expect(try query(db, "SELECT count(*) FROM snapshot_members") == 0)
        let empty = TempDir()
        #expect(try winnow(["init", "--db", empty.file("e.db")]).status == 0)
        let none = try winnow(["snapshot", "create", "v1", "--db", empty.file("e.db")])
        #expect(none.status == 1)
        #expect(none.stderr.hasPrefix("error: snapshot v1 would be empty: the store holds no active sample"), "\(none.stderr)")
        // The name is still free once there is something to freeze.
        #expect(try winnow(["snapshot", "create", "x", "--label", "ham", "--db", db]).status == 0)
    }

    /// Item 8: `show` finds a sample by the record id of a duplicate merged into it, and says
    /// which sample that is (pre-issue: "no sample with uid 'sms:810'").
    @Test func showFindsASampleByAMergedRecordID() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let input = dir.write(
            "sms.jsonl",
            """
            {"id": "sms:12", "text": "Free entry in 2 a wkly comp", "label": "spam"}
            {"id": "sms:810", "text": "Free entry in 2 a  wkly comp", "label": "spam"}

            """)
        #expect(try winnow(["import", input, "--db", db]).status == 0)
        let run = try winnow(["show", "sms:810", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("sms:12  text  active  label: spam\n"), "\(run.stdout)")
        #expect(run.stdout.contains("sms.jsonl:2 id=sms:810"))
        #expect(run.stderr == "note: sms:810 is not a sample's uid but the id of a record merged as a duplicate into sample sms:12; showing sms:12\n")
        let shown = try json(try winnow(["show", "sms:810", "--json", "--db", db]))
        #expect(shown["uid"] as? String == "sms:12")
        #expect(shown["resolved_from"] as? String == "sms:810")
        let direct = try json(try winnow(["show", "sms:12", "--json", "--db", db]))
        #expect(direct["resolved_from"] == nil)
        let missing = try winnow(["show", "sms:9", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: no sample with uid 'sms:9'; list uids with `winnow samples`\n")
    }

    /// Item 8: every rejected record carries its text in the rejects file, also those that
    /// parse but fail a check (missing text, an id taken by other content, a CSV row of the
    /// wrong width); pre-issue these had no `raw`.
    @Test func rejectsCarryTheRecordTextForEveryRejectedRecord() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let first = dir.write("a.jsonl", "{\"id\": \"r1\", \"text\": \"first\"}\n")
        #expect(try winnow(["import", first, "--db", db]).status == 0)
        let jsonl = dir.write(
            "b.jsonl",
            """
            {"id": "r2", "text": "fine"}
            {"id": "r3", "label": "x"}
            {"id": "r1", "text": "other content under a taken id"}
            {"id": "r4", "text": 5}
            not json

            """)
        let rejects = dir.file("rejects.jsonl")
        let run = try winnow(["import", jsonl, "--on-error", "skip", "--rejects", rejects, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let csv = dir.write("c.csv", "id,text\nr5,ok\nr6,one,two\n")
        #expect(try winnow(["import", csv, "--on-error", "skip", "--rejects", rejects, "--db", db]).status == 0)
        let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.map { "\($0["line"]!)" } == ["2", "3", "4", "5", "3"])
        #expect(
            lines.map { $0["raw"] as? String } == [
                "{\"id\": \"r3\", \"label\": \"x\"}",
                "{\"id\": \"r1\", \"text\": \"other content under a taken id\"}",
                "{\"id\": \"r4\", \"text\": 5}",
                "not json",
                "r6,one,two",
            ])
        // `import --update` writes the same rejects file the same way.
        let updateRejects = dir.file("update-rejects.jsonl")
        let update = try winnow(["import", jsonl, "--update", "--on-error", "skip", "--rejects", updateRejects, "--db", db])
        #expect(update.status == 0, "\(update.stderr)")
        let updateRaw = try String(contentsOfFile: updateRejects, encoding: .utf8).split(separator: "\n").map {
            (try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]))["raw"] as? String
        }
        #expect(updateRaw.contains("{\"id\": \"r3\", \"label\": \"x\"}") && !updateRaw.contains(nil), "\(updateRaw)")
    }

    /// The same past the first 1,000 records (the mapping's look-ahead window, which holds
    /// records back and replays them): the text read straight from the file is the right one.
    @Test func rejectsPastTheLookaheadWindowCarryTheirText() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        var lines = (1...1500).map { "{\"id\": \"g\($0)\", \"text\": \"good record number \($0)\"}" }
        lines.append("{\"id\": \"g1501\", \"label\": \"no text\"}")
        lines.append("{\"id\": \"g7\", \"text\": \"another text under g7's id\"}")
        lines.append("{\"id\": \"g1503\", \"text\": \"last\"}")
        let input = dir.write("big.jsonl", lines.joined(separator: "\n") + "\n")
        let rejects = dir.file("rejects.jsonl")
        let run = try winnow(["import", input, "--on-error", "skip", "--rejects", rejects, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.map { "\($0["line"]!)" } == ["1501", "1502"])
        #expect(rows.map { $0["raw"] as? String } == [lines[1500], lines[1501]])
        #expect(try query(db, "SELECT count(*) FROM samples") == 1501)
    }

    /// Item 8: two statements are refused in Winnow's words, whatever the second one is. On the
    /// pre-issue binary `SELECT 1; SELECT 2` ran the first and dropped the second without a
    /// word (the check read a pointer into a freed C string).
    @Test func sqlWithTwoStatementsSaysSo() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        for (sql, second) in [
            ("SELECT 1; SELECT 2", "SELECT 2"), ("SELECT 1; DELETE FROM samples", "DELETE FROM samples"),
            ("SELECT 1; SELEC 2", "SELEC 2"), ("SELECT 1;SELECT 2;", "SELECT 2"),
            ("SELECT 1;; SELECT 2", "SELECT 2"), ("-- first\nSELECT 1; /* c */ SELECT 2", "/* c */ SELECT 2"),
        ] {
            let run = try winnow(["sql", sql, "--db", db])
            #expect(run.status == 1, "\(sql)")
            #expect(run.stdout == "", "\(sql)")
            #expect(
                run.stderr == "error: winnow sql runs one statement, and another follows the first: `\(second)`; run them one at a time (a `;` ends a statement)\n",
                "\(sql): \(run.stderr)")
        }
        for sql in ["SELECT 1; -- a comment", "SELECT 1;;", "; SELECT 1", "SELECT 1 /* done */ ;"] {
            let run = try winnow(["sql", sql, "--db", db])
            #expect(run.status == 0, "\(sql): \(run.stderr)")
            #expect(run.stdout.hasSuffix("(1 row)\n"), "\(sql): \(run.stdout)")
        }
        #expect(try query(db, "SELECT count(*) FROM samples") == 5)
    }

    /// Item 8: a word that names no command gets the nearest command, never a stack trace.
    @Test func anUnknownCommandSuggestsTheNearest() throws {
        let typo = try winnow(["snapshto", "list"])
        #expect(typo.status == 64)
        #expect(
            typo.stderr.hasPrefix("error: unknown command 'snapshto'; did you mean 'winnow snapshot'? Commands: init, import, embed, vectors, samples, show,"), "\(typo.stderr)")
        let nested = try winnow(["snapshot", "creat", "v1"])
        #expect(nested.status == 64)
        #expect(
            nested.stderr.hasPrefix("error: unknown snapshot command 'creat'; did you mean 'winnow snapshot create'? Commands: create, list, show, diff, verify"),
            "\(nested.stderr)")
        let bogus = try winnow(["bogus"])
        #expect(bogus.status == 64)
        // Nothing is near enough to be the intended command: the list alone.
        #expect(
            bogus.stderr
                == "error: unknown command 'bogus'. Commands: init, import, embed, vectors, samples, show, similar, taxonomy, annotate, cluster, coverage, distribution, plan, stats, augment, detect, flags, queue, review, serve, snapshot, export, sql, check, backup (see `winnow --help`)\n",
            "\(bogus.stderr)")
        for run in [typo, nested, bogus] {
            #expect(!run.stderr.contains("Fatal") && !run.stderr.contains("Stack") && !run.stderr.contains("0x"), "\(run.stderr)")
            #expect(run.stdout == "")
        }
        #expect(try winnow(["help", "import"]).status == 0)
        #expect(try winnow(["help", "snapshto"]).stderr.hasPrefix("error: unknown command 'snapshto'; did you mean 'winnow snapshot'?"))
        // `review QUEUE` is the default subcommand's argument, not a typo of a subcommand.
        #expect(!(try winnow(["review", "noq", "--reviewer", "a", "--db", TempDir().file("w.db")])).stderr.contains("unknown review command"))
        #expect(!(try winnow(["review", "noisy", "--db", TempDir().file("w.db")])).stderr.contains("unknown review command"))
        // Under a default subcommand, a word near a subcommand that the default cannot take is a typo.
        let flagsTypo = try winnow(["flags", "summry"])
        #expect(flagsTypo.status == 64 && flagsTypo.stderr.hasPrefix("error: unknown flags command 'summry'; did you mean 'winnow flags summary'?"), "\(flagsTypo.stderr)")
        let reviewTypo = try winnow(["review", "bulkk", "--flag", "label-noise", "--action", "drop", "--reviewer", "a"])
        #expect(reviewTypo.status == 64 && reviewTypo.stderr.hasPrefix("error: unknown review command 'bulkk'; did you mean 'winnow review bulk'?"), "\(reviewTypo.stderr)")
        #expect(try winnow(["--version"]).status == 0)
    }

    /// Item 8: `taxonomy show` (and everything that lists dimensions) keeps the file's order.
    @Test func taxonomyShowKeepsFileOrder() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let file = dir.write(
            "t.yaml", "dimensions:\n  zeta:\n    categories:\n      b: 1\n      a: 2\n  alpha:\n    categories:\n      y: 3\n      x: 4\n  mid:\n    categories:\n      m: 5\n")
        #expect(try winnow(["taxonomy", "load", file, "--db", db]).status == 0)
        let shown = try json(try winnow(["taxonomy", "show", "--json", "--db", db]))
        let dims = shown["dimensions"] as? [[String: Any]] ?? []
        #expect(dims.map { $0["name"] as? String } == ["zeta", "alpha", "mid"])
        #expect(dims.map { ($0["categories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } } == [["b", "a"], ["y", "x"], ["m"]])
        let table = try winnow(["taxonomy", "show", "--csv", "--db", db])
        #expect(table.stdout == "dimension,category,target,weight\nzeta,b,1,1\nzeta,a,2,1\nalpha,y,3,1\nalpha,x,4,1\nmid,m,5,1\n")
        let coverage = try json(try winnow(["coverage", "--json", "--db", db]))
        #expect((coverage["dimensions"] as? [[String: Any]] ?? []).map { $0["dimension"] as? String } == ["zeta", "alpha", "mid"])
    }
}
