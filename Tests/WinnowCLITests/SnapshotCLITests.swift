import Foundation
import GRDB
import Testing

/// Snapshots through the built binary: immutable, verifiable, diffable.
@Suite struct SnapshotCLITests {
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db]).status == 0)
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    @Test func snapshotsFreezeTheDatasetAndDiffShowsEachChange() throws {
        let (dir, db) = try store()
        let v1 = try json(try winnow(["snapshot", "create", "v1", "-m", "first cut", "--json", "--db", db]))
        #expect(v1["members"] as? Int == 111)
        #expect(v1["message"] as? String == "first cut")
        #expect((v1["fingerprint"] as? String)?.count == 64)
        #expect((v1["labels"] as? [String: Int]) == ["negative": 33, "neutral": 18, "positive": 60])
        for key in ["name", "created_at"] { #expect(v1[key] != nil) }
        // Same data, same fingerprint: a second snapshot of the unchanged store.
        let same = try json(try winnow(["snapshot", "create", "same", "--json", "--db", db]))
        #expect(same["fingerprint"] as? String == v1["fingerprint"] as? String)

        // Change things: relabel, drop, edit, re-annotate, import more.
        #expect(try winnow(["queue", "create", "q", "--label", "neutral", "--priority", "oldest", "--db", db]).status == 0)
        let reader = try DatabaseQueue(path: db)
        let items = try reader.read { try Int.fetchAll($0, sql: "SELECT id FROM queue_items ORDER BY position LIMIT 3") }
        try reader.close()
        #expect(try winnow(["review", "decide", "\(items[0])", "--reviewer", "a", "--action", "relabel", "--label", "positive", "--db", db]).status == 0)
        #expect(try winnow(["review", "decide", "\(items[1])", "--reviewer", "a", "--action", "drop", "--db", db]).status == 0)
        #expect(try winnow(["review", "decide", "\(items[2])", "--reviewer", "a", "--action", "edit", "--text", "Completely rewritten.", "--db", db]).status == 0)
        let scenes = dir.file("s.csv")
        try "uid,dimension,category\nrev-001,domain,books\n".write(toFile: scenes, atomically: true, encoding: .utf8)
        #expect(try winnow(["annotate", "--from", scenes, "--db", db]).status == 0)
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        let v2 = try json(try winnow(["snapshot", "create", "v2", "--json", "--db", db]))
        #expect(v2["members"] as? Int == 111 - 1 + 39)

        let diff = try json(try winnow(["snapshot", "diff", "v1", "v2", "--limit", "5", "--json", "--db", db]))
        #expect(diff["added"] as? Int == 39)
        #expect(diff["removed"] as? Int == 1)
        #expect(diff["relabeled"] as? Int == 1)
        #expect(diff["content_changed"] as? Int == 1)
        #expect(diff["reannotated"] as? Int == 1)
        #expect((diff["uids"] as? [String: [String]])?["reannotated"] == ["rev-001"])

        // v1 is untouched by all of it.
        let again = try json(try winnow(["snapshot", "show", "v1", "--json", "--db", db]))
        #expect(again["fingerprint"] as? String == v1["fingerprint"] as? String)
        #expect((again["labels"] as? [String: Int]) == ["negative": 33, "neutral": 18, "positive": 60])
        let list = try json(try winnow(["snapshot", "list", "--json", "--db", db]))
        #expect((list["snapshots"] as? [[String: Any]])?.map { $0["name"] as? String } == ["v1", "same", "v2"])
        #expect((list["snapshots"] as? [[String: Any]])?.map { $0["members"] as? Int } == [111, 111, 149])
        let verify = try winnow(["snapshot", "verify", "v1", "--db", db])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("snapshot v1: ok (111 members"))
        let exists = try winnow(["snapshot", "create", "v1", "--db", db])
        #expect(exists.stderr.contains("snapshot 'v1' exists already"))
        let unknown = try winnow(["snapshot", "show", "nope", "--db", db])
        #expect(unknown.stderr.hasPrefix("error: no snapshot 'nope'; snapshots: v1, same, v2"))
    }

    @Test func theStoreRefusesChangesAndVerifyCatchesTampering() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["snapshot", "create", "v1", "--exclude-flagged", "--db", db]).status == 0)
        let queue = try DatabaseQueue(path: db)
        for sql in [
            "UPDATE snapshot_members SET revision_id = revision_id + 1", "DELETE FROM snapshot_members",
            "UPDATE snapshots SET fingerprint = 'x'", "DELETE FROM snapshots", "UPDATE revisions SET label = 'x'",
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try queue.write { try $0.execute(sql: sql) } }
        }
        #expect(try query(db, "SELECT count(*) FROM snapshot_members") == 109) // the 2 label-conflict samples left out
        // Tamper past the triggers, as someone with the sqlite3 shell could: verify notices.
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER revisions_immutable_update")
            try db.execute(sql: "UPDATE revisions SET label = 'tampered' WHERE id = 5")
        }
        try queue.close()
        let verify = try winnow(["snapshot", "verify", "v1", "--db", db])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("snapshot v1 does NOT verify"))
        // winnow check: the damage has its own exit code and names the snapshot.
        let check = try winnow(["check", "--db", db])
        #expect(check.status == 4, "\(check.stderr)")
        #expect(
            check.stdout.contains("snapshot v1: FINGERPRINT MISMATCH") && check.stderr.contains("snapshot v1 no longer matches its fingerprint"),
            "\(check.stdout) \(check.stderr)")
    }
}
