import Foundation
import GRDB
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// `export --force` never deletes what Winnow did not write; a failed or killed export saves no
/// split scheme; export does not hold the write lock while it reads (issue 11, items 1, 5, 12;
/// RELIABILITY U1).
@Suite struct ExportSafetyTests {
    /// A store made the way the issue did: `winnow.db` in the current folder beside the corpus.
    func projectFolder() throws -> TempDir {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: repoRoot + "/demo/reviews.jsonl", toPath: dir.file("reviews.jsonl"))
        #expect(try winnow(["import", "reviews.jsonl", "--on-error", "skip"], in: dir.path).status == 0)
        #expect(try winnow(["snapshot", "create", "v1"], in: dir.path).status == 0)
        return dir
    }

    func names(_ dir: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    @Test func forceNeverReplacesTheStoreFolderTheCurrentFolderItsAncestorsRootOrHome() throws {
        let dir = try projectFolder()
        let before = try names(dir.path)
        #expect(before.contains("winnow.db") && before.contains("reviews.jsonl"))

        // The issue's command: deleted the store, the corpus and everything else; exit 0.
        let here = try winnow(["export", "v1", "--out", ".", "--format", "jsonl", "--force"], in: dir.path)
        #expect(here.status == 1)
        #expect(here.stderr.hasPrefix("error: --out . is the current folder "), "\(here.stderr)")
        #expect(here.stderr.contains("winnow.db") && here.stderr.contains("reviews.jsonl"), "names what it found: \(here.stderr)")
        #expect(!here.stderr.contains("Fatal error"))

        // The same folder named from elsewhere: it holds the store.
        let elsewhere = TempDir()
        let project = try winnow(["export", "v1", "--out", dir.path, "--force", "--db", dir.file("winnow.db")], in: elsewhere.path)
        #expect(project.status == 1 && project.stderr.contains("holds the store \(dir.file("winnow.db"))"), "\(project.stderr)")
        // ... also when the store is deeper inside, or the path goes through a symbolic link.
        try FileManager.default.createSymbolicLink(atPath: elsewhere.file("link"), withDestinationPath: dir.path)
        let linked = try winnow(["export", "v1", "--out", elsewhere.file("link"), "--force", "--db", dir.file("winnow.db")], in: elsewhere.path)
        #expect(linked.status == 1 && linked.stderr.contains("holds the store"), "\(linked.stderr)")
        let parent = try winnow(["export", "v1", "--out", "..", "--force"], in: dir.path)
        #expect(parent.status == 1 && parent.stderr.contains("holds the current folder"), "\(parent.stderr)")

        // An ancestor of the current folder, even one without the store.
        try FileManager.default.createDirectory(atPath: dir.file("sub/deeper"), withIntermediateDirectories: true)
        let ancestor = try winnow(["export", "v1", "--out", dir.file("sub"), "--force", "--db", dir.file("winnow.db")], in: dir.file("sub/deeper"))
        #expect(ancestor.status == 1 && ancestor.stderr.contains("holds the current folder"), "\(ancestor.stderr)")

        // `/` and the home folder.
        let root = try winnow(["export", "v1", "--out", "/", "--force", "--db", dir.file("winnow.db")], in: elsewhere.path)
        #expect(root.status == 1 && root.stderr.contains("is the root folder"), "\(root.stderr)")
        let home = TempDir()
        try Data("mine".utf8).write(to: URL(fileURLWithPath: home.file(".bashrc")))
        let homeRun = try winnow(["export", "v1", "--out", home.path, "--force", "--db", dir.file("winnow.db")], in: elsewhere.path, env: ["HOME": home.path])
        #expect(homeRun.status == 1 && homeRun.stderr.contains("is the home folder"), "\(homeRun.stderr)")
        #expect(try names(home.path) == [".bashrc"])

        // Nothing was deleted anywhere, and the store is whole.
        #expect(try names(dir.path).filter { $0 != "sub" } == before)
        #expect(try query(dir.file("winnow.db"), "SELECT count(*) FROM samples") == 111)
        #expect(try winnow(["check"], in: dir.path).status == 0)
    }

    @Test func forceReplacesOnlyAnEmptyFolderOrAPreviousExport() throws {
        let dir = try projectFolder()
        let db = dir.file("winnow.db")
        // A folder holding someone's file: refused with --force too, naming it; nothing touched.
        let notes = dir.file("notes")
        try FileManager.default.createDirectory(atPath: notes, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: notes + "/todo.txt"))
        let refused = try winnow(["export", "v1", "--out", notes, "--force", "--db", db])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "error: --out \(notes) holds files an export did not write (todo.txt); --force replaces only an empty folder or a previous Winnow export — name a new folder, or move those files away\n"
        )
        #expect(try names(notes) == ["todo.txt"])

        // An empty folder is used; a previous export (jsonl, then hf with data/) is replaced.
        let out = dir.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try winnow(["export", "v1", "--out", out, "--db", db]).status == 0)
        let again = try winnow(["export", "v1", "--out", out, "--db", db])
        #expect(again.status == 1 && again.stderr.contains("is not empty"), "\(again.stderr)")
        #expect(try winnow(["export", "v1", "--out", out, "--force", "--format", "hf", "--scheme", "h", "--db", db]).status == 0)
        #expect(try names(out) == ["README.md", "data", "manifest.json"])
        #expect(try winnow(["export", "v1", "--out", out, "--force", "--split", "train=0.5,test=0.5", "--scheme", "two", "--db", db]).status == 0)
        #expect(try names(out) == ["manifest.json", "test.jsonl", "train.jsonl"])

        // A previous export with something added to it: refused, naming the addition.
        try Data("my notes".utf8).write(to: URL(fileURLWithPath: out + "/NOTES.md"))
        try FileManager.default.createDirectory(atPath: out + "/extra", withIntermediateDirectories: true)
        let added = try winnow(["export", "v1", "--out", out, "--force", "--split", "train=0.5,test=0.5", "--scheme", "two", "--db", db])
        #expect(added.status == 1 && added.stderr.contains("(NOTES.md, extra/)"), "\(added.stderr)")
        #expect(try names(out) == ["NOTES.md", "extra", "manifest.json", "test.jsonl", "train.jsonl"])

        // A manifest that is not Winnow's does not make a folder an export.
        let fake = dir.file("fake")
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        try Data("{\"name\": \"my app\"}".utf8).write(to: URL(fileURLWithPath: fake + "/manifest.json"))
        let fakeRun = try winnow(["export", "v1", "--out", fake, "--force", "--db", db])
        #expect(fakeRun.status == 1 && fakeRun.stderr.contains("(manifest.json)"), "\(fakeRun.stderr)")
        #expect(try winnow(["check", "--db", db]).status == 0)
    }

    /// Item 12: a failed (here: killed) export leaves no split scheme behind; a re-run makes
    /// the same files. On f429961 the scheme and its assignments were committed before any
    /// file was written.
    @Test func aKilledExportSavesNoSplitScheme() throws {
        let dir = try projectFolder()
        let db = dir.file("winnow.db")
        let args = ["export", "v1", "--out", dir.file("out"), "--split", "train=0.8,test=0.2", "--db", db]
        let killed = try winnow(args, env: ["WINNOW_FAULT_AT": "export:1"])
        #expect(killed.status != 0)
        #expect(try query(db, "SELECT count(*) FROM split_schemes") == 0)
        #expect(try query(db, "SELECT count(*) FROM split_assignments") == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
        // A refused kind leaves nothing either.
        #expect(try winnow(["export", "v1", "--out", dir.file("alpaca"), "--format", "alpaca", "--db", db]).status == 1)
        #expect(try query(db, "SELECT count(*) FROM split_schemes") == 0)
        let run = try winnow(args)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM split_assignments") == 111)
    }

    /// Item 12: an empty snapshot is not exported as empty files without a word.
    @Test func anEmptySnapshotSaysSo() throws {
        let dir = try projectFolder()
        let db = dir.file("winnow.db")
        // Winnow no longer makes an empty snapshot (issue 18); one made before stays in a store.
        #expect(try winnow(["snapshot", "create", "none", "--label", "nosuchlabel", "--db", db]).status == 1)
        let writer = try DatabaseQueue(path: db)
        try writer.write {
            try $0.execute(
                sql: """
                    INSERT INTO snapshots (name, created_at, fingerprint, members)
                    VALUES ('none', '2026-01-01T00:00:00Z', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0)
                    """)
        }
        try writer.close()
        let run = try winnow(["export", "none", "--out", dir.file("none"), "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: snapshot none is empty (0 members): nothing to export, nothing written"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("none")))
        #expect(try query(db, "SELECT count(*) FROM split_schemes") == 0)
    }

    /// Item 5: export reads every member without the write lock. Another connection holds the
    /// write lock; the export still reads all members and writes every file (its manifest
    /// appears in its temporary folder), and saves its assignments once the lock is free. On
    /// f429961 it waited at BEGIN IMMEDIATE before reading anything.
    @Test func exportReadsMembersWhileAnotherWriterHoldsTheLock() throws {
        let dir = try projectFolder()
        let db = dir.file("winnow.db")
        let writer = try DatabaseQueue(path: db)
        defer { try? writer.close() }
        // A committed write first: opening a store whose -wal is missing or empty writes (GRDB's
        // WAL set-up), which a held lock would block; a writer at work always has a -wal.
        try writer.write { try $0.execute(sql: "UPDATE samples SET status = 'dropped' WHERE id = 1") }
        // Another process's writer, in a transaction that stays open until released.
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? writer.inTransaction(.immediate) { db in
                try db.execute(sql: "UPDATE samples SET status = 'active' WHERE id = 1")
                locked.signal()
                release.wait()
                return .commit
            }
            done.signal()
        }
        locked.wait()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: winnowBinary)
        process.arguments = ["export", "v1", "--out", dir.file("out"), "--db", db]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let manifest = dir.file(".out.winnow-tmp-\(process.processIdentifier)/manifest.json")
        var written = false
        for _ in 0..<160 where !written {
            Thread.sleep(forTimeInterval: 0.05)
            written = FileManager.default.fileExists(atPath: manifest)
        }
        #expect(written, "the export did not get to write its files while another process held the write lock")
        #expect(try query(db, "SELECT count(*) FROM split_assignments") == 0, "assignments are saved only after the files")
        release.signal()
        done.wait()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("out/manifest.json")))
        #expect(try query(db, "SELECT count(*) FROM split_assignments") == 111)
    }
}
