import Foundation
import GRDB
import Testing

/// Issue 18 items 2, 3, 4 and part of 8: cleaning per detector, decisions that act on the flags
/// under review, bulk decisions with an audit trail, and what `review next` shows of a flag.
/// The corpus (Tests/Fixtures/flag-scope.jsonl): 71 spam and 96 ham texts; s166 is labelled
/// ham, is a near duplicate of the long spam s000 and a length outlier among ham, and its words
/// are spam's: label-noise, near-duplicate, length-outlier and label-conflict all flag it.
@Suite(.serialized) struct FlagScopeTests {
    static let target = "s166"

    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let imported = try winnow(["import", fixtures + "/flag-scope.jsonl", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        let detect = try winnow(["detect", "--db", db])
        #expect(detect.status == 0, "\(detect.stderr)")
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\(run.stderr)")
    }

    func openFlags(_ db: String, _ uid: String) throws -> [String] {
        let list =
            try query(
                db,
                """
                SELECT group_concat(detector, ',') FROM (SELECT f.detector FROM flags f JOIN samples s ON s.id = f.sample_id
                WHERE s.uid = '\(uid)' AND f.status = 'open' ORDER BY f.detector)
                """, as: String.self) ?? ""
        return list.split(separator: ",").map(String.init)
    }

    func next(_ db: String, _ queue: String, _ reviewer: String) throws -> [String: Any]? {
        try json(try winnow(["review", "next", queue, "--reviewer", reviewer, "--json", "--db", db]))["item"] as? [String: Any]
    }

    @Test func theCorpusFlagsTheTargetFourWays() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try openFlags(db, Self.target) == ["label-conflict", "label-noise", "length-outlier", "near-duplicate"])
    }

    /// Item 2: `--exclude-flagged` alone keeps its old meaning; with detectors (and --min-score)
    /// only their flags count; the output says what was left out per label and detector.
    @Test func excludeFlaggedPerDetectorReportsWhatWasLeftOut() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let anyFlag = try query(db, "SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open'") ?? 0
        let all = try json(try winnow(["snapshot", "create", "all", "--exclude-flagged", "--json", "--db", db]))
        #expect(all["members"] as? Int == 167 - anyFlag)
        let report = try #require(all["excluded"] as? [String: Any])
        #expect(report["excluded"] as? Int == anyFlag)
        #expect(report["detectors"] as? [String] == [])
        let labels = try #require(report["labels"] as? [[String: Any]])
        #expect(labels.map { $0["label"] as? String } == ["ham", "spam"])
        #expect(labels.map { $0["selected"] as? Int } == [96, 71])
        #expect(labels.reduce(0) { $0 + ($1["excluded"] as? Int ?? 0) } == anyFlag)
        let ham = labels[0]
        let hamByDetector = try #require(ham["by_detector"] as? [String: Int])
        #expect(
            hamByDetector["length-outlier"]
                == (try query(
                    db,
                    """
                    SELECT count(DISTINCT f.sample_id) FROM flags f JOIN samples s ON s.id = f.sample_id JOIN revisions r ON r.id = s.revision_id
                    WHERE f.detector = 'length-outlier' AND f.status = 'open' AND r.label = 'ham'
                    """)))
        #expect(abs((ham["share"] as? Double ?? 0) - Double(ham["excluded"] as? Int ?? 0) / 96) < 1e-12)

        // Only label-noise flags count: the near duplicate s000 (spam, a length outlier) stays.
        let ln = try winnow(["snapshot", "create", "ln", "--exclude-flagged", "label-noise", "--db", db])
        #expect(ln.status == 0, "\(ln.stderr)")
        let noisy = try query(db, "SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open' AND detector = 'label-noise'") ?? 0
        #expect(noisy >= 1)
        #expect(ln.stdout.contains("snapshot ln: \(167 - noisy) members"), "\(ln.stdout)")
        #expect(ln.stdout.contains("left out \(noisy) sample\(noisy == 1 ? "" : "s") with open flags of label-noise:"), "\(ln.stdout)")
        #expect(ln.stdout.contains("label-noise \(noisy)"), "\(ln.stdout)")
        #expect(
            try query(
                db, "SELECT count(*) FROM snapshot_members m JOIN snapshots n ON n.id = m.snapshot_id JOIN samples s ON s.id = m.sample_id WHERE n.name = 'ln' AND s.uid = 's000'")
                == 1)
        #expect(
            try query(db, "SELECT selection FROM snapshots WHERE name = 'ln'", as: String.self)
                == #"{"exclude_flagged":true,"exclude_detectors":["label-noise"]}"#)

        // A comma list, and a score bound: a flag counts only at score >= S.
        let two = try json(try winnow(["snapshot", "create", "two", "--exclude-flagged", "label-noise,near-duplicate", "--min-score", "0.5", "--json", "--db", db]))
        let expected =
            try query(
                db,
                """
                SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open' AND detector IN ('label-noise', 'near-duplicate') AND score >= 0.5
                """) ?? 0
        #expect((two["excluded"] as? [String: Any])?["excluded"] as? Int == expected)
        #expect((two["excluded"] as? [String: Any])?["min_score"] as? Double == 0.5)
        #expect(two["members"] as? Int == 167 - expected)

        // Typos fail, naming the valid detectors, and leave no snapshot behind.
        let typo = try winnow(["snapshot", "create", "bad", "--exclude-flagged", "label-nosie", "--db", db])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("unknown detector 'label-nosie'; detectors are empty, too-short"), "\(typo.stderr)")
        #expect(typo.stderr.contains("label-noise") && !typo.stderr.contains("Fatal"))
        #expect(try query(db, "SELECT count(*) FROM snapshots WHERE name = 'bad'") == 0)
        let lonely = try winnow(["snapshot", "create", "bad", "--min-score", "0.5", "--db", db])
        #expect(lonely.status == 64 && lonely.stderr.contains("--min-score goes with --exclude-flagged"), "\(lonely.stderr)")
        // An imported detector's name is valid too.
        let scores = dir.write("scores.jsonl", "{\"uid\": \"s001\", \"p\": 0.9}\n")
        #expect(try winnow(["flags", "import", scores, "--detector", "model-x", "--score-field", "p", "--db", db]).status == 0)
        let model = try json(try winnow(["snapshot", "create", "mx", "--exclude-flagged", "model-x", "--json", "--db", db]))
        #expect(model["members"] as? Int == 166)
        let typo2 = try winnow(["snapshot", "create", "bad", "--exclude-flagged", "model-y", "--db", db])
        #expect(typo2.stderr.contains("and imported: model-x"), "\(typo2.stderr)")
    }

    /// Item 2 for queues: comma lists, and unknown detectors refused with the valid ones.
    @Test func queueCreateTakesDetectorListsAndRefusesTypos() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let expected = try query(db, "SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open' AND detector IN ('label-noise', 'near-duplicate')") ?? 0
        let made = try winnow(["queue", "create", "q", "--detector", "label-noise,near-duplicate", "--db", db])
        #expect(made.stdout == "created queue q: \(expected) items added, \(expected) in all\n", "\(made.stdout)\(made.stderr)")
        let typo = try winnow(["queue", "create", "q2", "--detector", "label-nosie", "--db", db])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("--detector: unknown detector 'label-nosie'; detectors are empty, too-short, too-long"), "\(typo.stderr)")
        #expect(try query(db, "SELECT count(*) FROM queues WHERE name = 'q2'") == 0)

        // --exclude-flagged works as for snapshots, and says what it left out.
        let ln = try query(db, "SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open' AND detector = 'label-noise'") ?? 0
        let clean = try winnow(["queue", "create", "clean", "--detector", "label-noise", "--exclude-flagged", "near-duplicate", "--db", db])
        #expect(
            clean.stdout.hasPrefix("created queue clean: \(ln - 1) items added, \(ln - 1) in all\nleft out 1 sample with open flags of near-duplicate:\n"),
            "\(clean.stdout)\(clean.stderr)")
        #expect(
            try query(
                db,
                "SELECT count(*) FROM queue_items qi JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE q.name = 'clean' AND s.uid = '\(Self.target)'")
                == 0)
        let typo2 = try winnow(["queue", "create", "q3", "--label", "ham", "--exclude-flagged", "pi", "--db", db])
        #expect(typo2.status == 1 && typo2.stderr.contains("--exclude-flagged: unknown detector 'pi'"), "\(typo2.stderr)")

        // Re-creating a detector-based queue with more detectors adds them to those its
        // decisions act on; mixing in a queue of all samples is refused.
        #expect(try winnow(["queue", "create", "grow", "--detector", "near-duplicate", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "grow", "--detector", "label-noise", "--db", db]).status == 0)
        #expect(try query(db, "SELECT selection FROM queues WHERE name = 'grow'", as: String.self)?.contains(#""detectors":["near-duplicate","label-noise"]"#) == true)
        let mixed = try winnow(["queue", "create", "grow", "--label", "ham", "--db", db])
        #expect(mixed.status == 1 && mixed.stderr.contains("queue 'grow' was made from detectors near-duplicate, label-noise"), "\(mixed.stderr)")
    }

    /// Item 3, the issue's case: keep in a label-noise queue dismisses the label-noise flag
    /// only; the near-duplicate and length-outlier flags stay open, so a later
    /// `--exclude-flagged near-duplicate` still leaves the sample out, and `flags summary`
    /// has no precision for detectors nobody judged. Undo restores exactly what it changed.
    @Test func aDecisionActsOnTheFlagsUnderReview() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "ln", "--detector", "label-noise", "--db", db]).status == 0)
        let itemID = try #require(try query(db, "SELECT qi.id FROM queue_items qi JOIN samples s ON s.id = qi.sample_id WHERE s.uid = '\(Self.target)'"))
        let keep = try winnow(["review", "decide", "\(itemID)", "--reviewer", "alice", "--action", "keep", "--db", db])
        #expect(keep.status == 0, "\(keep.stderr)")
        #expect(try openFlags(db, Self.target) == ["label-conflict", "length-outlier", "near-duplicate"])
        #expect(
            try query(db, "SELECT f.status FROM flags f JOIN samples s ON s.id = f.sample_id WHERE s.uid = '\(Self.target)' AND f.detector = 'label-noise'", as: String.self)
                == "dismissed")
        let later = try winnow(["snapshot", "create", "clean", "--exclude-flagged", "near-duplicate", "--db", db])
        #expect(later.status == 0)
        #expect(
            try query(
                db,
                "SELECT count(*) FROM snapshot_members m JOIN snapshots n ON n.id = m.snapshot_id JOIN samples s ON s.id = m.sample_id WHERE n.name = 'clean' AND s.uid = '\(Self.target)'"
            ) == 0)
        let summary = try json(try winnow(["flags", "summary", "--json", "--db", db]))
        let rows = try #require(summary["detectors"] as? [[String: Any]])
        let lengthRow = try #require(rows.first { $0["detector"] as? String == "length-outlier" })
        #expect(lengthRow["dismissed"] as? Int == 0 && lengthRow["confirmed"] as? Int == 0 && lengthRow["unjudged"] as? Int == 0)
        #expect(lengthRow["precision"] is NSNull)
        let noiseRow = try #require(rows.first { $0["detector"] as? String == "label-noise" })
        #expect(noiseRow["dismissed"] as? Int == 1 && noiseRow["precision"] as? Double == 0)

        // Undo reopens the label-noise flag and nothing else.
        #expect(try winnow(["review", "undo", "--reviewer", "alice", "--db", db]).status == 0)
        #expect(try openFlags(db, Self.target) == ["label-conflict", "label-noise", "length-outlier", "near-duplicate"])

        // --all-flags: the decision takes every open flag, and undo gives them all back.
        let all = try winnow(["review", "decide", "\(itemID)", "--reviewer", "alice", "--action", "keep", "--all-flags", "--db", db])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(try openFlags(db, Self.target) == [])
        #expect(try winnow(["review", "undo", "--reviewer", "alice", "--db", db]).status == 0)
        #expect(try openFlags(db, Self.target).count == 4)

        // A line of `review apply` asks for all flags with "all_flags": true.
        let lines = dir.write("all.jsonl", "{\"uid\": \"\(Self.target)\", \"action\": \"keep\", \"all_flags\": true}\n")
        #expect(try winnow(["review", "apply", lines, "--queue", "ln", "--reviewer", "alice", "--db", db]).status == 0)
        #expect(try openFlags(db, Self.target) == [])
        #expect(try query(db, "SELECT all_flags FROM decisions WHERE undone_at IS NULL AND reviewer = 'alice'") == 1)
        #expect(try winnow(["review", "undo", "--reviewer", "alice", "--db", db]).status == 0)
        #expect(try openFlags(db, Self.target).count == 4)

        // A queue not made from detectors: its decisions take all the sample's open flags.
        #expect(try winnow(["queue", "create", "hams", "--label", "ham", "--db", db]).status == 0)
        let hamItem = try #require(
            try query(
                db, "SELECT qi.id FROM queue_items qi JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE q.name = 'hams' AND s.uid = '\(Self.target)'")
        )
        #expect(try winnow(["review", "decide", "\(hamItem)", "--reviewer", "bob", "--action", "relabel", "--label", "spam", "--db", db]).status == 0)
        #expect(try openFlags(db, Self.target) == [])
        #expect(try query(db, "SELECT count(*) FROM flags f JOIN samples s ON s.id = f.sample_id WHERE s.uid = '\(Self.target)' AND f.status = 'confirmed'") == 4)
    }

    /// Item 3 on an old store: a decision made before 0005 closed every flag of its sample;
    /// the flags it closed for other detectors are `unjudged`, not part of their precision.
    @Test func precisionCountsOnlyJudgedFlagsOfOldDecisions() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "ln", "--detector", "label-noise", "--db", db]).status == 0)
        let itemID = try #require(try query(db, "SELECT qi.id FROM queue_items qi JOIN samples s ON s.id = qi.sample_id WHERE s.uid = '\(Self.target)'"))
        #expect(try winnow(["review", "decide", "\(itemID)", "--reviewer", "alice", "--action", "keep", "--db", db]).status == 0)
        // What the old build did: every open flag of the sample dismissed by that decision.
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE flags SET status = 'dismissed', decision_id = (SELECT max(id) FROM decisions), reviewed_at = 'x'
                    WHERE status = 'open' AND sample_id = (SELECT id FROM samples WHERE uid = ?)
                    """, arguments: [Self.target])
        }
        try queue.close()
        let summary = try json(try winnow(["flags", "summary", "--json", "--db", db]))
        let rows = try #require(summary["detectors"] as? [[String: Any]])
        let lengthRow = try #require(rows.first { $0["detector"] as? String == "length-outlier" })
        #expect(lengthRow["unjudged"] as? Int == 1 && lengthRow["dismissed"] as? Int == 0 && lengthRow["precision"] is NSNull)
        let table = try winnow(["flags", "summary", "--db", db])
        #expect(table.stdout.contains("unjudged"))
    }

    /// Item 4: bulk decisions over a flag selection: a dry run changes nothing; the real one
    /// relabels to label-noise's predicted label as one reviewer's decisions, in a queue made
    /// for it, listed by `queue items`, and undone as one.
    @Test func bulkRelabelToPredictedIsRecordedAndUndoneAsOne() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let flagged = try query(db, "SELECT count(DISTINCT sample_id) FROM flags WHERE status = 'open' AND detector = 'label-noise' AND score >= 0.5") ?? 0
        #expect(flagged >= 3, "the corpus's planted label noise")
        let revisions = try query(db, "SELECT count(*) FROM revisions") ?? 0
        let dry = try json(
            try winnow([
                "review", "bulk", "--flag", "label-noise", "--min-score", "0.5", "--action", "relabel", "--to", "predicted",
                "--reviewer", "alice", "--dry-run", "--json", "--db", db,
            ]))
        #expect(dry["dry_run"] as? Bool == true && dry["bulk"] is NSNull)
        #expect(dry["decisions"] as? Int == flagged)
        let dryItems = try #require(dry["items"] as? [[String: Any]])
        #expect(
            dryItems.contains { $0["uid"] as? String == Self.target && $0["label"] as? String == "ham" && $0["to"] as? String == "spam" && $0["state"] as? String == "applied" })
        #expect(try query(db, "SELECT count(*) FROM revisions") == revisions)
        #expect(try query(db, "SELECT count(*) FROM queues") == 0)
        #expect(try query(db, "SELECT count(*) FROM decisions") == 0)
        #expect(try query(db, "SELECT count(*) FROM bulk_decisions") == 0)
        let human = try winnow([
            "review", "bulk", "--flag", "label-noise", "--min-score", "0.5", "--action", "relabel", "--to", "predicted",
            "--reviewer", "alice", "--dry-run", "--db", db,
        ])
        #expect(
            human.stdout.hasPrefix("dry run: would record \(flagged) relabel decisions to label-noise's predicted label by alice in a new queue; nothing was recorded\n"),
            "\(human.stdout)")

        let run = try winnow([
            "review", "bulk", "--flag", "label-noise", "--min-score", "0.5", "--action", "relabel", "--to", "predicted",
            "--reviewer", "alice", "--note", "cleanlab-style relabel", "--db", db,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("bulk decision 1: \(flagged) relabel decisions to label-noise's predicted label by alice in queue bulk-1 (made for it)\n"), "\(run.stdout)")
        #expect(run.stdout.contains("undo it as one with: winnow review undo --bulk 1"))
        #expect(try query(db, "SELECT r.label FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = '\(Self.target)'", as: String.self) == "spam")
        #expect(try query(db, "SELECT count(*) FROM revisions WHERE origin = 'relabel'") == flagged) // appended, not edited
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE bulk_id = 1 AND reviewer = 'alice' AND action = 'relabel' AND note = 'cleanlab-style relabel'") == flagged)
        // Only the selected detector's flags were confirmed.
        #expect(try openFlags(db, Self.target) == ["label-conflict", "length-outlier", "near-duplicate"])

        let items = try json(try winnow(["queue", "items", "bulk-1", "--json", "--db", db]))
        #expect(items["count"] as? Int == flagged)
        let listed = try #require((items["items"] as? [[String: Any]])?.first { $0["uid"] as? String == Self.target })
        #expect(listed["label"] as? String == "spam" && listed["state"] as? String == "decided" && listed["resolution"] as? String == "relabel")
        #expect(listed["status"] as? String == "active")
        let itemFlags = try #require(listed["flags"] as? [[String: Any]])
        #expect(itemFlags.contains { $0["detector"] as? String == "label-noise" && $0["status"] as? String == "confirmed" && $0["score"] is Double })
        let decisions = try #require(listed["decisions"] as? [[String: Any]])
        #expect(decisions.count == 1 && decisions[0]["bulk"] as? Int == 1 && decisions[0]["reviewer"] as? String == "alice")
        let table = try winnow(["queue", "items", "bulk-1", "--db", db])
        #expect(table.stdout.contains(Self.target) && table.stdout.contains("alice: relabel spam (bulk 1)"), "\(table.stdout)")

        // The reviewer's plain undo points at the bulk; --bulk undoes it whole.
        let single = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
        #expect(single.status == 1 && single.stderr.contains("is part of bulk decision 1") && single.stderr.contains("winnow review undo --bulk 1"), "\(single.stderr)")
        let undo = try winnow(["review", "undo", "--bulk", "1", "--db", db])
        #expect(undo.stdout == "undid bulk decision 1: alice's relabel of \(flagged) items in bulk-1\n", "\(undo.stdout)\(undo.stderr)")
        #expect(try query(db, "SELECT r.label FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = '\(Self.target)'", as: String.self) == "ham")
        #expect(try query(db, "SELECT count(*) FROM revisions WHERE origin = 'undo'") == flagged)
        #expect(try openFlags(db, Self.target).count == 4)
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE undone_at IS NULL") == 0)
        #expect(try query(db, "SELECT undone_at IS NOT NULL FROM bulk_decisions WHERE id = 1") == 1)
        let again = try winnow(["review", "undo", "--bulk", "1", "--db", db])
        #expect(again.status == 1 && again.stderr.contains("bulk decision 1 was undone at"), "\(again.stderr)")
    }

    /// Item 4: drop and keep over a queue, with overlap: each bulk decision is one reviewer's
    /// verdict per item, applied once the overlap agrees; bad input changes nothing.
    /// What the last read of the merged change found: a typo through `review bulk --queue`, a
    /// score without a detector (it would close every flag), a `flags --detector` typo, an
    /// `all_flags` that is no boolean, relabels still waiting for a second reviewer counted as
    /// label changes, and an empty snapshot blamed on filters when the exclusion emptied it.
    @Test func holesTheLastReadFound() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "noisy", "--detector", "label-noise", "--overlap", "2", "--db", db]).status == 0)
        let typo = try winnow(["review", "bulk", "--queue", "noisy", "--label", "hamm", "--action", "drop", "--reviewer", "alice", "--db", db])
        #expect(typo.status == 1 && typo.stderr.contains("unknown label 'hamm'"), "\(typo.stderr)")
        let scoreAlone = try winnow(["review", "bulk", "--min-score", "0.9", "--action", "keep", "--reviewer", "alice", "--db", db])
        #expect(scoreAlone.status == 64 && scoreAlone.stderr.contains("--min-score needs --flag DETECTORS"), "\(scoreAlone.stderr)")
        let listing = try winnow(["flags", "--detector", "label-nosie", "--db", db])
        #expect(listing.status == 1 && listing.stderr.contains("--detector: unknown detector 'label-nosie'"), "\(listing.stderr)")
        let verdicts = dir.write("v.jsonl", "{\"uid\": \"\(Self.target)\", \"action\": \"keep\", \"all_flags\": \"yes\"}\n")
        let apply = try winnow(["review", "apply", verdicts, "--queue", "noisy", "--reviewer", "carol", "--db", db])
        #expect(apply.status == 1 && apply.stderr.contains("\"all_flags\" must be true or false"), "\(apply.stderr)")
        #expect(try query(db, "SELECT count(*) FROM decisions") == 0)

        // With overlap 2 the first reviewer's relabels wait: no label has changed yet.
        let first = try json(
            try winnow([
                "review", "bulk", "--queue", "noisy", "--action", "relabel", "--to", "predicted",
                "--reviewer", "alice", "--json", "--db", db,
            ]))
        let waiting = (first["states"] as? [String: Int])?["waiting"] ?? 0
        #expect(waiting >= 1, "\(first)")
        #expect((first["changes"] as? [String: Int]) == [:], "\(first)")
        let second = try json(
            try winnow([
                "review", "bulk", "--queue", "noisy", "--action", "relabel", "--to", "predicted",
                "--reviewer", "bob", "--json", "--db", db,
            ]))
        let applied = (second["states"] as? [String: Int])?["applied"] ?? 0
        #expect(applied == waiting && (second["changes"] as? [String: Int] ?? [:]).values.reduce(0, +) == applied, "\(second)")

        // Two one-word texts, both too short: the exclusion, not the filters, empties the snapshot.
        let small = dir.file("small.db")
        #expect(try winnow(["import", dir.write("two.jsonl", "{\"text\": \"hello\"}\n{\"text\": \"bye\"}\n"), "--db", small]).status == 0)
        #expect(try winnow(["detect", "too-short", "--db", small]).status == 0)
        let empty = try winnow(["snapshot", "create", "e", "--exclude-flagged", "too-short", "--db", small])
        #expect(empty.status == 1 && empty.stderr.contains("--exclude-flagged too-short left out all 2 samples the other filters matched"), "\(empty.stderr)")
        #expect(try query(small, "SELECT count(*) FROM snapshots") == 0)
    }

    @Test func bulkOverAQueueFollowsTheOverlapRules() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "dups", "--detector", "near-duplicate", "--overlap", "2", "--db", db]).status == 0)
        let size = try query(db, "SELECT count(*) FROM queue_items") ?? 0
        #expect(size >= 1)
        let first = try json(try winnow(["review", "bulk", "--queue", "dups", "--action", "drop", "--reviewer", "alice", "--json", "--db", db]))
        #expect(first["states"] as? [String: Int] == ["waiting": size])
        #expect(try query(db, "SELECT count(*) FROM samples WHERE status = 'dropped'") == 0)
        let second = try json(try winnow(["review", "bulk", "--queue", "dups", "--action", "drop", "--reviewer", "bob", "--json", "--db", db]))
        #expect(second["states"] as? [String: Int] == ["applied": size])
        #expect(try query(db, "SELECT count(*) FROM samples WHERE status = 'dropped'") == size)
        // Nothing left for alice: nothing recorded, no bulk id.
        let none = try winnow(["review", "bulk", "--queue", "dups", "--action", "keep", "--reviewer", "alice", "--db", db])
        #expect(none.status == 0 && none.stdout.hasPrefix("nothing to decide"), "\(none.stdout)\(none.stderr)")
        #expect(try query(db, "SELECT count(*) FROM bulk_decisions") == 2)
        // bob's bulk applied the drops: undoing it reopens the items and restores the samples.
        #expect(try winnow(["review", "undo", "--bulk", "2", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM samples WHERE status = 'dropped'") == 0)
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE undone_at IS NULL AND reviewer = 'alice'") == size)
        let wrong = try winnow(["review", "undo", "--bulk", "1", "--reviewer", "bob", "--db", db])
        #expect(wrong.status == 1 && wrong.stderr.contains("bulk decision 1 is alice's, not bob's"), "\(wrong.stderr)")

        let before = try query(db, "SELECT count(*) FROM decisions") ?? 0
        for (args, message) in [
            (["--flag", "label-nosie", "--action", "drop"], "--flag: unknown detector 'label-nosie'"),
            (["--flag", "label-noise", "--action", "relabel"], "--action relabel needs --to LABEL"),
            (["--flag", "label-noise", "--action", "relabel", "--to", "hamm"], "unknown label 'hamm'"),
            (["--flag", "label-noise", "--action", "edit"], "The value 'edit' is invalid for '--action <keep|drop|relabel>'. Please provide one of 'keep', 'drop' or 'relabel'."),
            (["--action", "drop"], "say which samples"),
            (["--queue", "nope", "--action", "drop"], "no queue 'nope'"),
        ] {
            let bad = try winnow(["review", "bulk"] + args + ["--reviewer", "carol", "--db", db])
            #expect(bad.status != 0 && bad.stderr.contains(message), "\(args): \(bad.stderr)")
            #expect(!bad.stderr.contains("Fatal"))
        }
        #expect(try query(db, "SELECT count(*) FROM decisions") == before)
        #expect(try query(db, "SELECT count(*) FROM queues") == 1)

        // An item another reviewer holds a lease on is skipped, with the reason, not taken.
        #expect(try winnow(["queue", "create", "solo", "--detector", "label-noise", "--db", db]).status == 0)
        let claimed = try #require(try next(db, "solo", "carol"))
        let solo = try json(try winnow(["review", "bulk", "--queue", "solo", "--action", "keep", "--reviewer", "alice", "--json", "--db", db]))
        let skipped = try #require(solo["skipped"] as? [[String: Any]])
        #expect(skipped.count == 1 && skipped[0]["uid"] as? String == claimed["uid"] as? String)
        #expect((skipped[0]["reason"] as? String)?.contains("is leased to carol") == true, "\(skipped)")
        #expect(solo["decisions"] as? Int == (try query(db, "SELECT count(*) FROM queue_items qi JOIN queues q ON q.id = qi.queue_id WHERE q.name = 'solo'") ?? 0) - 1)
    }

    /// Item 8: `review next --json` gives each flag's details as JSON, says which flags are
    /// under review, and names a duplicate's representative with its text, which the human
    /// screen shows beside the sample.
    @Test func reviewNextShowsDetailsAndTheRepresentative() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "nd", "--detector", "near-duplicate", "--db", db]).status == 0)
        let item = try #require(try next(db, "nd", "alice"))
        #expect(item["uid"] as? String == Self.target)
        let flags = try #require(item["flags"] as? [[String: Any]])
        let near = try #require(flags.first { $0["detector"] as? String == "near-duplicate" })
        let details = try #require(near["details"] as? [String: Any])
        #expect(details["representative"] as? String == "s000" && details["jaccard"] is Double)
        #expect(near["under_review"] as? Bool == true)
        let representative = try #require(near["representative"] as? [String: Any])
        let s000 = try query(
            db, "SELECT c.text FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id WHERE s.uid = 's000'", as: String.self)
        #expect(representative["uid"] as? String == "s000" && representative["label"] as? String == "spam" && representative["text"] as? String == s000)
        let noise = try #require(flags.first { $0["detector"] as? String == "label-noise" })
        #expect(noise["under_review"] as? Bool == false && noise["representative"] is NSNull)
        #expect((noise["details"] as? [String: Any])?["predicted"] as? String == "spam")
        let human = try winnow(["review", "next", "nd", "--reviewer", "alice", "--db", db], env: ["COLUMNS": "120"])
        #expect(human.stdout.contains("representative s000 · label: spam"), "\(human.stdout)")
        #expect(human.stdout.contains(" │ "), "side by side on a wide terminal: \(human.stdout)")
        #expect(human.stdout.contains("⚑ label-noise 0.98: label 'ham' but the classifier gives 'spam' 0.98 (out of fold) (not under review)"), "\(human.stdout)")
    }

    /// Item 8 and 3 in a real terminal (tmux): the interactive review shows the duplicate's
    /// representative beside it, and `k` dismisses the near-duplicate flag only.
    @Test(.enabled(if: InteractiveHolesTests.enabled)) func theInteractiveReviewShowsTheRepresentativeBesideTheDuplicate() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "nd", "--detector", "near-duplicate", "--db", db]).status == 0)
        let tmux = InteractiveHolesTests.Tmux(dir)
        tmux.run(["new-session", "-d", "-s", "rv", "-x", "120", "-y", "40", "\(winnowBinary) review nd --reviewer tui --db \(db); sleep 30"])
        #expect(tmux.waitFor("[k]eep  [d]rop"))
        let screen = tmux.screen()
        #expect(screen.contains("this sample") && screen.contains("│ representative s000 · label: spam"), "\(screen)")
        #expect(screen.contains("(not under review)"), "\(screen)")
        tmux.run(["send-keys", "-t", "rv", "k"])
        #expect(tmux.waitFor("Nothing left in nd"))
        tmux.run(["send-keys", "-t", "rv", "q"])
        #expect(try openFlags(db, Self.target) == ["label-conflict", "label-noise", "length-outlier"])
    }
}
