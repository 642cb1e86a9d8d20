import Foundation
import GRDB
import Testing

/// Review queues, leases, decisions and their effects, through the built binary.
@Suite(.serialized) struct ReviewCLITests {
    func storeWithFlags() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["detect", "near-duplicate", "boilerplate", "pii", "encoding", "--db", db]).status == 0)
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    func next(_ db: String, _ queue: String, _ reviewer: String, lease: String = "600") throws -> (id: Int, uid: String)? {
        let doc = try json(try winnow(["review", "next", queue, "--reviewer", reviewer, "--lease", lease, "--json", "--db", db]))
        guard let item = doc["item"] as? [String: Any] else { return nil }
        return (item["id"] as? Int ?? -1, item["uid"] as? String ?? "")
    }

    @Test func queueFromFlagsOrderedByScore() throws {
        let (dir, db) = try storeWithFlags()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["queue", "create", "noisy", "--detector", "near-duplicate", "--detector", "boilerplate", "--db", db])
        #expect(run.stdout == "created queue noisy: 5 items added, 5 in all\n")
        let again = try winnow(["queue", "create", "noisy", "--detector", "near-duplicate", "--detector", "boilerplate", "--detector", "pii", "--db", db])
        #expect(again.stdout == "updated queue noisy: 1 item added, 6 in all\n")
        let status = try json(try winnow(["queue", "status", "noisy", "--json", "--db", db]))
        for key in ["queue", "overlap", "items", "pending", "claimed", "decided", "disagreements"] { #expect(status[key] != nil) }
        #expect(status["items"] as? Int == 6)
        // Boilerplate scores 2 (two patterns) and comes before the near duplicates (≤ 1).
        let first = try #require(try next(db, "noisy", "alice"))
        #expect(["rev-010", "rev-028"].contains(first.uid))
        let audit = try winnow(["queue", "create", "audit", "--audit", "10", "--seed", "3", "--db", db])
        #expect(audit.stdout == "created queue audit: 10 items added, 10 in all\n")
        let list = try json(try winnow(["queue", "list", "--json", "--db", db]))
        let queues = try #require(list["queues"] as? [[String: Any]])
        #expect(queues.map { $0["queue"] as? String } == ["noisy", "audit"])
        #expect(queues.map { $0["items"] as? Int } == [6, 10])
        #expect(queues.first?["claimed"] as? Int == 1) // alice's claim above
        let badScene = try winnow(["queue", "create", "x", "--scene", "domain", "--db", db])
        #expect(badScene.status == 64)
        #expect(badScene.stderr.contains("--scene takes DIM=CAT"))
        let unknown = try winnow(["review", "next", "nope", "--reviewer", "a", "--db", db])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no queue 'nope'; queues: audit, noisy"))
    }

    @Test func decisionsHaveEffectsAndUndoRevertsThem() throws {
        let (dir, db) = try storeWithFlags()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "all", "--label", "positive", "--priority", "oldest", "--db", db]).status == 0)
        // keep: the open flags are dismissed
        let a = try #require(try next(db, "all", "alice"))
        let keep = try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "keep", "--note", "fine", "--db", db])
        #expect(keep.stdout == "keep on item \(a.id) (\(a.uid)): applied\n")
        // drop: the sample leaves the active set
        let b = try #require(try next(db, "all", "alice"))
        #expect(try winnow(["review", "decide", "\(b.id)", "--reviewer", "alice", "--action", "drop", "--db", db]).status == 0)
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(b.uid)'", as: String.self) == "dropped")
        // relabel: a new revision, the old one kept
        let c = try #require(try next(db, "all", "alice"))
        let relabel = try winnow(["review", "decide", "\(c.id)", "--reviewer", "alice", "--action", "relabel", "--label", "negative", "--db", db])
        #expect(relabel.status == 0, "\(relabel.stderr)")
        let shown = try json(try winnow(["show", c.uid, "--json", "--db", db]))
        #expect(shown["label"] as? String == "negative")
        #expect((shown["revisions"] as? [[String: Any]])?.map { $0["label"] as? String } == ["positive", "negative"])
        #expect((shown["decisions"] as? [[String: Any]])?.first?["action"] as? String == "relabel")
        // edit: new content, a new revision
        let d = try #require(try next(db, "all", "alice"))
        #expect(try winnow(["review", "decide", "\(d.id)", "--reviewer", "alice", "--action", "edit", "--text", "A brand new, cleaner review text.", "--db", db]).status == 0)
        #expect(
            try query(db, "SELECT c.text FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id WHERE s.uid = '\(d.uid)'", as: String.self)
                == "A brand new, cleaner review text.")

        // undo, newest first: edit, relabel, drop, keep
        for expected in ["edit", "relabel", "drop", "keep"] {
            let u = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
            #expect(u.stdout.hasPrefix("undid alice's \(expected)"), "\(u.stdout)\(u.stderr)")
        }
        #expect(
            try query(db, "SELECT c.text FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id WHERE s.uid = '\(d.uid)'", as: String.self)
                != "A brand new, cleaner review text.")
        let back = try json(try winnow(["show", c.uid, "--json", "--db", db]))
        #expect(back["label"] as? String == "positive")
        #expect((back["revisions"] as? [[String: Any]])?.map { $0["origin"] as? String } == ["import", "relabel", "undo"])
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(b.uid)'", as: String.self) == "active")
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE undone_at IS NULL") == 0)
        #expect(try query(db, "SELECT count(*) FROM decisions") == 4) // kept, marked undone
        let none = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
        #expect(none.stderr == "error: alice has no decision to undo\n")
    }

    @Test func keepAndDropFeedDetectorPrecision() throws {
        let (dir, db) = try storeWithFlags()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "bp", "--detector", "boilerplate", "--db", db]).status == 0)
        let a = try #require(try next(db, "bp", "alice"))
        #expect(try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "drop", "--db", db]).status == 0)
        let b = try #require(try next(db, "bp", "alice"))
        #expect(try winnow(["review", "decide", "\(b.id)", "--reviewer", "alice", "--action", "keep", "--db", db]).status == 0)
        let summary = try json(try winnow(["flags", "summary", "--json", "--db", db]))
        let row = try #require((summary["detectors"] as? [[String: Any]])?.first { $0["detector"] as? String == "boilerplate" })
        #expect(row["confirmed"] as? Int == 1)
        #expect(row["dismissed"] as? Int == 1)
        #expect(row["precision"] as? Double == 0.5)
    }

    /// The command-line side of leases: exit codes and messages. The lease logic itself (expiry
    /// on a clock moved by hand, both kinds of lost lease) is DecideTests, in-process.
    @Test func leasesExpireAndALostLeaseIsRefused() throws {
        let (dir, db) = try storeWithFlags()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "q", "--label", "neutral", "--priority", "oldest", "--db", db]).status == 0)
        let a = try #require(try next(db, "q", "alice", lease: "1"))
        let b = try #require(try next(db, "q", "bob"))
        #expect(b.id != a.id) // invisible to others while leased
        // The same item again for its holder, now on a lease of a millisecond: it has run out
        // by the time the next process looks (no sleep).
        #expect(try next(db, "q", "alice", lease: "0.001")?.id == a.id)
        let c = try #require(try next(db, "q", "carol"))
        #expect(c.id == a.id) // expired: back in the queue
        let late = try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "keep", "--db", db])
        #expect(late.status == 1)
        #expect(late.stderr.hasPrefix("error: lease lost: your lease on item \(a.id) expired and carol has it now; nothing was recorded"))
        let other = try winnow(["review", "decide", "\(b.id)", "--reviewer", "carol", "--action", "keep", "--db", db])
        #expect(other.stderr.hasPrefix("error: item \(b.id) is leased to bob until"))
        #expect(try winnow(["review", "decide", "\(a.id)", "--reviewer", "carol", "--action", "keep", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE item_id = \(a.id)") == 1)
        // A double submit is one decision.
        let twice = try winnow(["review", "decide", "\(a.id)", "--reviewer", "carol", "--action", "keep", "--db", db])
        #expect(twice.stdout == "keep on item \(a.id) (\(c.uid)): already recorded\n")
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE item_id = \(a.id)") == 1)
    }

    @Test func overlapNeedsAgreeingReviewersOrAnAdjudicator() throws {
        let (dir, db) = try storeWithFlags()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "two", "--detector", "boilerplate", "--overlap", "2", "--db", db]).status == 0)
        let a1 = try #require(try next(db, "two", "alice"))
        let b1 = try #require(try next(db, "two", "bob"))
        #expect(a1.id == b1.id) // overlap 2: the same item to two reviewers
        let c1 = try #require(try next(db, "two", "carol"))
        #expect(c1.id != a1.id) // but not to a third
        let first = try winnow(["review", "decide", "\(a1.id)", "--reviewer", "alice", "--action", "drop", "--db", db])
        #expect(first.stdout.contains("waiting for more reviewers"))
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(a1.uid)'", as: String.self) == "active")
        let second = try winnow(["review", "decide", "\(a1.id)", "--reviewer", "bob", "--action", "drop", "--db", db])
        #expect(second.stdout.hasSuffix("applied\n"))
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(a1.uid)'", as: String.self) == "dropped")
        #expect(try next(db, "two", "alice")?.id != a1.id) // never twice to the same reviewer
        // Disagreement on the other item.
        let item = c1.id
        #expect(try winnow(["review", "decide", "\(item)", "--reviewer", "carol", "--action", "keep", "--db", db]).status == 0)
        let clash = try winnow(["review", "decide", "\(item)", "--reviewer", "alice", "--action", "drop", "--db", db])
        #expect(clash.stdout.contains("the reviewers disagree"), "\(clash.stderr)")
        let status = try json(try winnow(["queue", "status", "two", "--json", "--db", db]))
        #expect(status["disagreements"] as? Int == 1)
        let agreement = try json(try winnow(["review", "agreement", "two", "--json", "--db", db]))
        #expect(agreement["items"] as? Int == 2)
        #expect(agreement["raw_agreement"] as? Double == 0.5)
        #expect((agreement["disagreements"] as? [[String: Any]])?.first?["uid"] as? String == c1.uid)
        for key in ["queue", "reviewers", "cohen_kappa", "fleiss_kappa"] { #expect(agreement[key] != nil) }
        let third = try winnow(["review", "decide", "\(item)", "--reviewer", "bob", "--action", "keep", "--db", db])
        #expect(third.stderr.contains("an adjudicator settles it"))
        let settle = try winnow(["review", "decide", "\(item)", "--reviewer", "lead", "--action", "keep", "--adjudicate", "--db", db])
        #expect(settle.stdout.hasSuffix("applied\n"), "\(settle.stderr)")
        #expect(try json(try winnow(["queue", "status", "two", "--json", "--db", db]))["decided"] as? Int == 2)
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        let (dir, db) = try storeWithFlags()
        #expect(try winnow(["queue", "create", "q", "--label", "positive", "--db", db]).status == 0)
        let a = try #require(try next(db, "q", "alice"))
        let before = try query(db, "SELECT count(*) FROM decisions")
        let unknownItem = try winnow(["review", "decide", "9999", "--reviewer", "alice", "--action", "keep", "--db", db])
        #expect(unknownItem.stderr.hasPrefix("error: no queue item 9999"))
        let unknownLabel = try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "relabel", "--label", "ecstatic", "--db", db])
        #expect(unknownLabel.stderr.hasPrefix("error: unknown label 'ecstatic'; labels of text samples: negative, neutral, positive"))
        let noLabel = try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "relabel", "--db", db])
        #expect(noLabel.stderr == "error: relabel needs --label LABEL\n")
        let badAction = try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "burn", "--db", db])
        #expect(badAction.status == 64)
        let bad = dir.file("bad.jsonl")
        try "{\"uid\": \"\(a.uid)\", \"action\": \"keep\"}\n{\"uid\": \"not-in-queue\", \"action\": \"keep\"}\n{\"uid\": \"\(a.uid)\", \"action\": \"maybe\"}\nnot json\n".write(
            toFile: bad, atomically: true, encoding: .utf8)
        let apply = try winnow(["review", "apply", bad, "--queue", "q", "--reviewer", "zed", "--db", db])
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("\(bad):4: invalid JSON"))
        let good = dir.file("good.jsonl")
        try "{\"uid\": \"not-in-queue\", \"action\": \"keep\"}\n".write(toFile: good, atomically: true, encoding: .utf8)
        let missing = try winnow(["review", "apply", good, "--queue", "q", "--reviewer", "zed", "--db", db])
        #expect(missing.stderr.contains("\(good):1: sample 'not-in-queue' is not in queue 'q'"))
        #expect(try query(db, "SELECT count(*) FROM decisions") == before)
        let ok = dir.file("ok.jsonl")
        let free = try #require(
            try query(
                db, "SELECT s.uid FROM queue_items qi JOIN samples s ON s.id = qi.sample_id WHERE qi.id NOT IN (SELECT item_id FROM leases) ORDER BY qi.id LIMIT 1", as: String.self
            ))
        try "{\"uid\": \"\(free)\", \"action\": \"keep\", \"note\": \"from the spreadsheet\"}\n".write(toFile: ok, atomically: true, encoding: .utf8)
        let applied = try winnow(["review", "apply", ok, "--queue", "q", "--reviewer", "zed", "--db", db])
        #expect(applied.stdout == "\(ok): 1 decisions recorded (1 applied)\n", "\(applied.stderr)")
        let leased = dir.file("leased.jsonl")
        try "{\"uid\": \"\(a.uid)\", \"action\": \"keep\"}\n".write(toFile: leased, atomically: true, encoding: .utf8)
        let refused = try winnow(["review", "apply", leased, "--queue", "q", "--reviewer", "zed", "--db", db])
        #expect(refused.stderr.contains("\(leased):1: item \(a.id) is leased to alice until"))
    }
}
