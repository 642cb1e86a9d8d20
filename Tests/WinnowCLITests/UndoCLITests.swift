import Foundation
import GRDB
import Testing

/// `review undo` never overwrites someone else's later work (issue 11 item 6; RELIABILITY U5).
@Suite struct UndoCLITests {
    func next(_ db: String, _ queue: String, _ reviewer: String) throws -> (id: Int, uid: String) {
        let run = try winnow(["review", "next", queue, "--reviewer", reviewer, "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        let item = try #require(doc["item"] as? [String: Any])
        return (item["id"] as? Int ?? -1, item["uid"] as? String ?? "")
    }

    func label(_ db: String, _ uid: String) throws -> String? {
        try query(db, "SELECT r.label FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = '\(uid)'", as: String.self)
    }

    @Test func undoRefusesOnceAnotherReviewerChangedTheSample() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        for q in ["q1", "q2"] { #expect(try winnow(["queue", "create", q, "--priority", "oldest", "--db", db]).status == 0) }
        // alice relabels rev-001 from q1, bob relabels it from q2.
        let a = try next(db, "q1", "alice")
        #expect(a.uid == "rev-001")
        #expect(try label(db, "rev-001") == "negative")
        #expect(try winnow(["review", "decide", "\(a.id)", "--reviewer", "alice", "--action", "relabel", "--label", "positive", "--db", db]).status == 0)
        let b = try next(db, "q2", "bob")
        #expect(b.uid == "rev-001")
        #expect(try winnow(["review", "decide", "\(b.id)", "--reviewer", "bob", "--action", "relabel", "--label", "neutral", "--db", db]).status == 0)
        let bobAt = try #require(try query(db, "SELECT created_at FROM decisions WHERE reviewer = 'bob'", as: String.self))
        let bobID = try #require(try query(db, "SELECT id FROM decisions WHERE reviewer = 'bob'"))
        let aliceID = try #require(try query(db, "SELECT id FROM decisions WHERE reviewer = 'alice'"))

        // alice's undo would put back "negative" over bob's "neutral": refused, naming bob's decision.
        let refused = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "error: cannot undo alice's relabel of rev-001 (decision \(aliceID)): bob's relabel to 'neutral' at \(bobAt) (queue q2, decision \(bobID)) changed it since; nothing was undone — undo that first (`winnow review undo --reviewer bob` undoes their last decision), or review the sample again with a new decision\n"
        )
        #expect(try label(db, "rev-001") == "neutral")
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE undone_at IS NULL") == 2)
        #expect(try query(db, "SELECT count(*) FROM revisions r JOIN samples s ON s.id = r.sample_id WHERE s.uid = 'rev-001'") == 3)

        // Once bob's decision is undone, alice's can be, in that order.
        #expect(try winnow(["review", "undo", "--reviewer", "bob", "--db", db]).status == 0)
        #expect(try label(db, "rev-001") == "positive")
        let undone = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
        #expect(undone.status == 0, "\(undone.stderr)")
        #expect(try label(db, "rev-001") == "negative")

        // A drop undone after someone relabelled the dropped sample: refused too.
        let c = try next(db, "q1", "alice")
        #expect(try winnow(["review", "decide", "\(c.id)", "--reviewer", "alice", "--action", "drop", "--db", db]).status == 0)
        let d = try next(db, "q2", "bob")
        #expect(d.uid == c.uid)
        #expect(try winnow(["review", "decide", "\(d.id)", "--reviewer", "bob", "--action", "relabel", "--label", "neutral", "--db", db]).status == 0)
        let dropRefused = try winnow(["review", "undo", "--reviewer", "alice", "--db", db])
        #expect(
            dropRefused.status == 1 && dropRefused.stderr.contains("cannot undo alice's drop of \(c.uid)") && dropRefused.stderr.contains("bob's relabel to 'neutral'"),
            "\(dropRefused.stderr)")
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(c.uid)'", as: String.self) == "dropped")
        #expect(try winnow(["check", "--db", db]).status == 0)
    }
}
