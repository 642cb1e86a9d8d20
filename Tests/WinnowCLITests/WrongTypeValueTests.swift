import Foundation
import GRDB
import Testing

/// A store edited outside Winnow (here with GRDB directly on the file, as with the sqlite3 CLI)
/// whose columns hold values of a type Winnow never writes: the reading commands end with a
/// message and exit 1 or 4, never with "Fatal error" (a crash in GRDB's row subscript).
@Suite struct WrongTypeValueTests {
    /// A store with the demo NLI corpus, a flag on its first sample, then `edit` run on the
    /// file with CHECK constraints off. Returns the store's path and the first sample's uid.
    func editedStore(_ dir: TempDir, _ edit: String) throws -> (db: String, uid: String) {
        let db = dir.file("w.db")
        let imported = try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        let uid = try query(db, "SELECT uid FROM samples ORDER BY id LIMIT 1", as: String.self) ?? ""
        let queue = try DatabaseQueue(path: db)
        try queue.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO flags (sample_id, content_id, detector, score, reason, created_at)
                    SELECT s.id, r.content_id, 'test', 0.5, 'a test flag', '2026-01-01T00:00:00.000Z'
                    FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = ?
                    """, arguments: [uid])
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: edit)
        }
        try queue.close()
        return (db, uid)
    }

    func expectCleanFailure(_ run: Run, _ what: String) {
        #expect(run.status == 1 || run.status == 4, "\(what): exit \(run.status), stderr \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"), "\(what): \(run.stderr)")
        #expect(run.stderr.contains("holds a value Winnow does not write"), "\(what): \(run.stderr)")
    }

    // GRDB converts a number to text on its own, so a status of 7 just reads "7"; what it cannot
    // convert (text that is not UTF-8, a word where a number belongs) crashed its subscript.

    @Test func aSampleStatusThatIsNotTextIsAnErrorNotACrash() throws {
        let dir = TempDir()
        let (db, uid) = try editedStore(dir, "UPDATE samples SET status = x'ff'")
        expectCleanFailure(try winnow(["show", uid, "--db", db]), "show")
        expectCleanFailure(try winnow(["samples", "--db", db]), "samples")
        // stats counts samples by status in SQL: x'ff' is simply not active.
        let stats = try winnow(["stats", "--db", db])
        #expect(stats.status == 0 && !stats.stderr.contains("Fatal error"), "\(stats.stderr)")
    }

    @Test func aFlagStatusThatIsNotTextIsAnErrorNotACrash() throws {
        let dir = TempDir()
        let (db, uid) = try editedStore(dir, "UPDATE flags SET status = x'ff'")
        expectCleanFailure(try winnow(["stats", "--db", db]), "stats")
        expectCleanFailure(try winnow(["show", uid, "--db", db]), "show")
    }

    @Test func aFlagScoreThatIsAWordIsAnErrorNotACrash() throws {
        let dir = TempDir()
        let (db, uid) = try editedStore(dir, "UPDATE flags SET score = 'high'")
        expectCleanFailure(try winnow(["show", uid, "--db", db]), "show")
    }
}
