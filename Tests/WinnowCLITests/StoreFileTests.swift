import Foundation
import GRDB
import Testing

/// RELIABILITY 7.2 and 7.5: stores made by every landed schema (fixtures written by the
/// builds of that time) upgrade with their data intact; failing and killed migrations leave
/// a whole version; broken, foreign, read-only and odd files are refused cleanly.
@Suite(.serialized) struct StoreFileTests {
    static let storeFixtures = fixtures + "/stores"

    /// What an upgrade must keep: counts and digests over the tables every schema has.
    static func figures(_ db: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for table in ["samples", "contents", "revisions", "occurrences", "sources", "scene_annotations", "flags", "decisions", "snapshots", "snapshot_members"] {
            result[table] = "\(try query(db, "SELECT count(*) FROM \(table)") ?? -1)"
        }
        result["digest"] =
            try query(
                db,
                """
                SELECT group_concat(uid || ':' || status || ':' || hex(hash) || ':' || coalesce(label, ''), ',') FROM
                (SELECT s.uid, s.status, c.hash, r.label FROM samples s JOIN revisions r ON r.id = s.revision_id
                 JOIN contents c ON c.id = r.content_id ORDER BY s.uid)
                """, as: String.self) ?? ""
        result["fingerprints"] =
            try query(db, "SELECT group_concat(name || '=' || fingerprint, ',') FROM (SELECT name, fingerprint FROM snapshots ORDER BY id)", as: String.self) ?? ""
        return result
    }

    func copy(_ fixture: String, into dir: TempDir) throws -> String {
        let db = dir.file(fixture)
        try FileManager.default.copyItem(atPath: Self.storeFixtures + "/" + fixture, toPath: db)
        return db
    }

    @Test func everyLandedSchemaUpgradesWithItsDataIntact() throws {
        let stores = try FileManager.default.contentsOfDirectory(atPath: Self.storeFixtures).filter { $0.hasSuffix(".db") }.sorted()
        // One fixture per landed migration (add one whenever a migration lands).
        let migrations = try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/migrations").filter { $0.hasSuffix(".sql") }
        #expect(
            Set(stores.map { String($0.dropLast(3)) }) == Set(migrations.map { String($0.dropLast(4)) }),
            "fixtures \(stores) vs migrations \(migrations)")
        for fixture in stores {
            let dir = TempDir()
            let db = try copy(fixture, into: dir)
            let before = try Self.figures(db)
            #expect(Int(before["samples"] ?? "0")! > 100, "\(fixture) should hold varied data")
            let open = try winnow(["samples", "--count", "--db", db])
            #expect(open.status == 0, "\(fixture): \(open.stderr)")
            #expect(try query(db, "SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1", as: String.self) == latestSchema)
            #expect(try query(db, "SELECT count(*) FROM grdb_migrations") == migrations.count, "\(fixture): each migration once")
            #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
            #expect(try Self.figures(db) == before, "\(fixture): data changed by the upgrade")
            for name in try String(query(db, "SELECT group_concat(name, ' ') FROM snapshots", as: String.self) ?? "").split(separator: " ") {
                let verify = try winnow(["snapshot", "verify", String(name), "--db", db])
                #expect(verify.status == 0, "\(fixture): snapshot \(name): \(verify.stderr)")
            }
            // The upgraded store works: a full-text search (indexing what the old build stored),
            // a detector run, a snapshot and an export.
            let search = try winnow(["samples", "--search", "the", "--count", "--db", db])
            #expect(search.status == 0 && (Int(search.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 10, "\(fixture): \(search.stderr)")
            #expect(try winnow(["detect", "near-duplicate", "--db", db]).status == 0)
            #expect(try winnow(["snapshot", "create", "after-upgrade", "--db", db]).status == 0)
            let export = try winnow(["export", "after-upgrade", "--out", dir.file("out"), "--scheme", "after-upgrade", "--db", db])
            #expect(export.status == 0, "\(fixture): \(export.stderr)")
        }
    }

    @Test func aFailingMigrationLeavesThePreviousVersionAndNamesItself() throws {
        let dir = TempDir()
        let db = try copy("0001_initial.db", into: dir)
        let before = try Self.figures(db)
        let run = try winnow(["samples", "--count", "--db", db], env: ["WINNOW_FAULT_AT": "migration-error:1"])
        #expect(run.status != 0)
        let second = try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/migrations").filter { $0.hasSuffix(".sql") }.sorted()[1]
        #expect(run.stderr.contains("migration \(second.dropLast(4)) failed"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal") && !run.stderr.contains("Stack"))
        #expect(try query(db, "SELECT group_concat(identifier) FROM grdb_migrations", as: String.self) == "0001_initial")
        #expect(try query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scene_counts'") == 0, "partial DDL of the failed migration")
        #expect(try Self.figures(db) == before)
        #expect(try winnow(["samples", "--count", "--db", db]).status == 0) // and the next open finishes the job
        #expect(try query(db, "SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1", as: String.self) == latestSchema)
    }

    @Test func anOldStoreKilledMidUpgradeOpensAtAWholeVersion() throws {
        let dir = TempDir()
        let pristine = try copy("0001_initial.db", into: dir)
        let before = try Self.figures(pristine)
        let db = dir.file("w.db")
        var n = 1
        while true {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
            try FileManager.default.copyItem(atPath: pristine, toPath: db)
            let run = try winnow(["samples", "--count", "--db", db], env: ["WINNOW_FAULT_AT": "migration:\(n)"])
            if run.status == 0 { break }
            #expect(run.status == 9, "migration:\(n): \(run.stderr)")
            #expect(try query(db, "SELECT count(*) FROM grdb_migrations") == n, "migration:\(n)")
            #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
            #expect(try Self.figures(db) == before)
            n += 1
            if n > 10 { Issue.record("never completed"); break }
        }
        #expect(n == (try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/migrations").filter { $0.hasSuffix(".sql") }.count))
        #expect(try Self.figures(db) == before)
    }

    /// F3: flipped bytes in copies of a store: never a crash or trace; a damaged store is
    /// reported with exit code 4 (or refused as not a store); the file itself is not written.
    @Test func corruptedCopiesAreReportedNeverCrash() throws {
        let dir = TempDir()
        let source = try copy("0003_review.db", into: dir)
        let original = try #require(FileManager.default.contents(atPath: source))
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var state = seed
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var detected = 0, trials = 0
        let copies = Int(ProcessInfo.processInfo.environment["WINNOW_CORRUPT_COPIES"] ?? "") ?? 30 // 200 in scripts/reliability
        for trial in 0..<copies {
            var bytes = [UInt8](original)
            // Header (first 100 bytes), the schema page, or any page.
            let region = trial % 3
            for _ in 0..<(1 + next() % 8) {
                let offset = region == 0 ? next() % 100 : region == 1 ? next() % 16384 : next() % bytes.count
                bytes[offset] ^= UInt8(1 + next() % 255)
            }
            let db = dir.file("c\(trial).db")
            try Data(bytes).write(to: URL(fileURLWithPath: db))
            let run = try winnow(["check", "--db", db])
            trials += 1
            #expect([0, 1, 3, 4].contains(run.status), "seed \(seed) trial \(trial): exit \(run.status): \(run.stderr)")
            #expect(
                !run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump") && !run.stderr.contains("Backtrace"),
                "seed \(seed) trial \(trial): \(run.stderr)")
            if run.status != 0 { detected += 1 }
            if run.status == 0 {
                // Reported sound: then SQLite agrees.
                #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok", "seed \(seed) trial \(trial): check said ok")
            }
        }
        #expect(trials == copies && detected > 0, "seed \(seed)")
        print("F3: \(detected) of \(trials) corrupted copies reported, 0 crashes (seed \(seed))")
    }

    /// F4 and F2: paths that are not stores, and stores that cannot be written.
    @Test func oddPathsAreRefusedWithClearMessages() throws {
        let dir = TempDir()
        try Data("hello, this is text\n".utf8).write(to: URL(fileURLWithPath: dir.file("text.db")))
        let truncated = try #require(FileManager.default.contents(atPath: Self.storeFixtures + "/0003_review.db")).prefix(60)
        try Data(truncated).write(to: URL(fileURLWithPath: dir.file("truncated.db")))
        try FileManager.default.createDirectory(atPath: dir.file("folder.db"), withIntermediateDirectories: true)
        let cases: [(String, Int32, String)] = [
            ("text.db", 1, "not an SQLite database"),
            ("truncated.db", 4, "truncated"),
            ("folder.db", 1, "directory"),
            ("missing.db", 1, "no Winnow store"),
        ]
        for (name, status, message) in cases {
            let run = try winnow(["samples", "--db", dir.file(name)])
            #expect(run.status == status && run.stderr.contains(message), "\(name): exit \(run.status): \(run.stderr)")
            #expect(run.stderr.contains(dir.file(name)), "\(name): the message names the path")
        }
        // An empty file becomes a new store.
        FileManager.default.createFile(atPath: dir.file("empty.db"), contents: nil)
        #expect(try winnow(["init", "--db", dir.file("empty.db")]).status == 0)
    }

    /// F2, as an unprivileged user (root ignores permissions): a read-only store and folder.
    /// Needs root, to drop to another user with setpriv.
    @Test(
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
            "needs root and /usr/bin/setpriv to run winnow as an unprivileged user"))
    func aReadOnlyStoreIsRefusedAndNotWritten() throws {
        let dir = TempDir()
        let ro = dir.file("ro")
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
        let db = ro + "/w.db"
        try FileManager.default.copyItem(atPath: Self.storeFixtures + "/0003_review.db", toPath: db)
        _ = try winnow(["samples", "--count", "--db", db]) // upgrade first, while writable
        let bytes = FileManager.default.contents(atPath: db)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: ro)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: db)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ro) }
        let input = dir.file("new.jsonl")
        try Data("{\"text\": \"a sample the store has not seen\", \"label\": \"x\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let run = try unprivileged(["import", input, "--db", db])
        #expect(run.status != 0 && run.stderr.contains(db) && run.stderr.contains("writable"), "exit \(run.status): \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(FileManager.default.contents(atPath: db) == bytes, "a read-only store was written")
    }

    /// F1: disk full on a 20 MiB tmpfs: a clear "disk is full" error, the store intact, the
    /// batches committed before kept under a pending source (the import is batched); once
    /// there is room, the same import finishes it. Needs root (mount).
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func aFullDiskIsReportedAndLosesNothing() throws {
        let dir = TempDir()
        let mountPoint = dir.file("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=20m", "tmpfs", mountPoint]).status == 0, "mount of a tmpfs failed")
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }
        let corpus = dir.file("corpus.jsonl") // ~25 MB of records: more than the disk holds once stored
        try SeededCorpus.write(corpus, records: 60_000)
        let db = mountPoint + "/w.db"
        #expect(try winnow(["init", "--db", db]).status == 0)
        // Short batches: some commit before the disk fills.
        let full = try winnow(["import", corpus, "--db", db], env: ["WINNOW_IMPORT_BATCH_SECONDS": "0.05"])
        #expect(full.status == 1 && full.stderr.contains("disk is full") && full.stderr.contains(db), "exit \(full.status): \(full.stderr)")
        #expect(!full.stderr.contains("Fatal error"))
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
        let stored = try query(db, "SELECT count(*) FROM samples") ?? 0
        #expect(stored < 60_000)
        // What the message says matches what is there: batches kept and how to finish, or nothing written.
        #expect(
            stored == 0 ? full.stderr.contains("nothing of the failed write") : full.stderr.contains("run the same import again to finish it"), "\(stored) samples: \(full.stderr)")
        #expect(try query(db, "SELECT count(*) FROM sources WHERE sha256 LIKE 'pending:%'") ?? 0 <= 1)
        // Room again: the same command completes.
        #expect(try runProcess("/bin/mount", ["-o", "remount,size=400m", mountPoint]).status == 0)
        let again = try winnow(["import", corpus, "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try query(db, "SELECT count(*) FROM occurrences") == 60_000)
    }

    /// Runs winnow as user nobody.
    func unprivileged(_ arguments: [String]) throws -> Run {
        let binary = winnowBinary
        return try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + arguments)
    }
}

/// Runs any program, capturing its output (as `winnow` does).
func runProcess(_ path: String, _ arguments: [String]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}
