import Foundation
import GRDB
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// `winnow backup FILE`: a consistent, self-contained copy, also while others write
/// (issue 11 item 2; RELIABILITY C7, U2).
@Suite(.serialized) struct BackupCLITests {
    func demoStore(_ dir: TempDir) throws -> String {
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "all", "--priority", "oldest", "--db", db]).status == 0)
        return db
    }

    @Test func backupIsOneCheckedFileAndRefusesToOverwrite() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        let backup = dir.file("b.db")
        let run = try winnow(["backup", backup, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("backed up \(db) to \(backup): 111 samples, 1 snapshots, 0 decisions, "), "\(run.stdout)")
        // One file: no -wal or -shm beside it, nothing temporary left, and it passes check.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("b.db") || $0.contains("winnow-tmp") } == ["b.db"])
        let moved = dir.file("moved.db")
        try FileManager.default.copyItem(atPath: backup, toPath: moved)
        #expect(try winnow(["check", "--db", moved]).status == 0)
        #expect(try winnow(["samples", "--count", "--db", moved]).stdout == "111\n")
        #expect(try winnow(["snapshot", "verify", "v1", "--db", moved]).status == 0)

        // An existing file is refused unless --force, and kept as it was.
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir.file("old.db")))
        let refused = try winnow(["backup", dir.file("old.db"), "--db", db])
        #expect(refused.status == 1 && refused.stderr == "error: \(dir.file("old.db")) exists; pass --force to replace it, or name another file\n", "\(refused.stderr)")
        #expect(try String(contentsOfFile: dir.file("old.db"), encoding: .utf8) == "old")
        #expect(try winnow(["backup", dir.file("old.db"), "--force", "--db", db]).status == 0)
        #expect(try winnow(["check", "--db", dir.file("old.db")]).status == 0)

        // Never onto the store, by its name, its -wal/-shm, or a hard link; never onto a folder.
        for target in [db, "./" + URL(fileURLWithPath: db).lastPathComponent] {
            let same = try winnow(["backup", target, "--force", "--db", db], in: dir.path)
            #expect(same.status == 1 && same.stderr.contains("is the store"), "\(same.stderr)")
        }
        #expect(link(db, dir.file("hard.db")) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.file("soft.db"), withDestinationPath: db)
        // With a second hard link the store itself is refused first (it would be corrupted).
        let linked = try winnow(["backup", dir.file("hard.db"), "--force", "--db", db])
        #expect(linked.status == 1 && linked.stderr.contains("2 hard links"), "\(linked.stderr)")
        unlink(dir.file("hard.db"))
        for other in ["soft.db", "w.db-wal", "w.db-shm"] {
            let same = try winnow(["backup", dir.file(other), "--force", "--db", db])
            #expect(same.status == 1 && same.stderr.contains("is the store"), "\(other): \(same.stderr)")
        }
        let folder = try winnow(["backup", dir.path, "--force", "--db", db])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder"), "\(folder.stderr)")
        // A file with a -wal beside it: restoring onto it would replay that log.
        try Data("log".utf8).write(to: URL(fileURLWithPath: dir.file("old.db-wal")))
        let wal = try winnow(["backup", dir.file("old.db"), "--force", "--db", db])
        #expect(wal.status == 1 && wal.stderr.contains("old.db-wal beside it"), "\(wal.stderr)")
        #expect(try winnow(["check", "--db", db]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM samples") == 111)
    }

    /// C7: backups taken while an importer and two reviewers write are each whole: `check`
    /// passes on the copy alone, and tables written by the same transactions agree.
    @Test func backupWhileOthersImportAndDecide() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        for k in 0..<4 {
            var text = ""
            for i in 0..<8_000 {
                text += "{\"id\": \"f\(k)-\(i)\", \"text\": \"file \(k) record \(i) with some words w\(i % 97) w\(i % 89) w\(i % 83)\", \"label\": \"l\(i % 3)\"}\n"
            }
            try text.write(toFile: dir.file("c\(k).jsonl"), atomically: true, encoding: .utf8)
        }
        let importer = Process()
        importer.executableURL = URL(fileURLWithPath: "/bin/bash")
        importer.arguments = ["-c", "for k in 0 1 2 3; do \"$1\" import \"$3/c$k.jsonl\" --db \"$2\" > /dev/null || exit 1; done", "imports", winnowBinary, db, dir.path]
        importer.standardOutput = FileHandle.nullDevice
        importer.standardError = FileHandle.nullDevice
        let reviewer = """
            W="$1"; DB="$2"; R="$3"
            for n in $(seq 1 200); do
              out=$("$W" review next all --reviewer "$R" --lease 30 --json --db "$DB" 2>/dev/null) || continue
              id=$(printf '%s' "$out" | grep -o '"id" : [0-9]*' | head -n 1 | grep -o '[0-9]*$')
              [ -z "$id" ] && break
              "$W" review decide "$id" --reviewer "$R" --action keep --db "$DB" > /dev/null 2>&1
            done
            """
        let reviewers = try ["r1", "r2"].map { name -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", reviewer, "review-loop", winnowBinary, db, name]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        try importer.run()
        var taken = 0
        var sampleCounts: [Int] = []
        let started = Date()
        while (importer.isRunning || taken < 3) && Date().timeIntervalSince(started) < 120 {
            let file = dir.file("b\(taken).db")
            let run = try winnow(["backup", file, "--db", db])
            #expect(run.status == 0, "backup \(taken): \(run.stderr)")
            guard run.status == 0 else { break }
            #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
            let check = try winnow(["check", "--db", file])
            #expect(check.status == 0, "backup \(taken): \(check.stdout)\(check.stderr)")
            // One point in time: every live keep resolved its item in the same transaction.
            let decided = try query(file, "SELECT count(*) FROM decisions WHERE undone_at IS NULL AND action = 'keep'") ?? -1
            let resolved = try query(file, "SELECT count(*) FROM queue_items WHERE resolved_at IS NOT NULL") ?? -2
            #expect(decided == resolved, "backup \(taken): \(decided) decisions, \(resolved) resolved items")
            sampleCounts.append(try query(file, "SELECT count(*) FROM samples") ?? -1)
            taken += 1
        }
        importer.waitUntilExit()
        for p in reviewers { p.waitUntilExit() }
        #expect(importer.terminationStatus == 0)
        #expect(taken >= 3)
        #expect(sampleCounts == sampleCounts.sorted() && sampleCounts.allSatisfy { $0 >= 111 && $0 <= 111 + 32_000 }, "\(sampleCounts)")
        // And after the load, a last backup holds everything.
        #expect(try winnow(["backup", dir.file("final.db"), "--db", db]).status == 0)
        #expect(try query(dir.file("final.db"), "SELECT count(*) FROM samples") == 111 + 32_000)
        let decisions = try query(dir.file("final.db"), "SELECT count(*) FROM decisions") ?? 0
        #expect(decisions > 0, "the reviewers decided nothing")
        print(
            "C7: \(taken) backups under load (\(String(format: "%.1f", Date().timeIntervalSince(started))) s), sample counts \(sampleCounts), \(decisions) decisions, all checked ok"
        )
    }
}
