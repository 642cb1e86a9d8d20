import Foundation
import GRDB
import Testing

/// RELIABILITY.md 7.1 and K2, SQLite-style: `WINNOW_FAULT_AT=OP:N` kills the process with
/// SIGKILL at the N-th step of an operation; N goes 1, 2, … until the operation completes.
/// After every kill a clean process checks integrity, foreign keys and all-or-nothing state.
@Suite(.serialized) struct FaultInjectionTests {
    static let killed: Int32 = 9 // Process reports the signal number for an uncaught signal

    /// Runs `arguments` with the fault at 1, 2, … until a run completes; calls `check` after
    /// each kill with N. Returns the completed run and the number of kills.
    /// `reset` restores the starting state before each run (N counts from that state).
    func loop(
        _ op: String, _ arguments: [String], limit: Int = 200, env: [String: String] = [:], reset: () throws -> Void = {},
        check: (Int) throws -> Void
    ) throws -> (Run, Int) {
        for n in 1...limit {
            try reset()
            let run = try winnow(arguments, env: env.merging(["WINNOW_FAULT_AT": "\(op):\(n)"]) { $1 })
            if run.status == 0 { return (run, n - 1) }
            #expect(run.status == Self.killed, "\(op):\(n) ended with \(run.status), not SIGKILL: \(run.stderr)")
            if run.status != Self.killed { return (run, n - 1) }
            try check(n)
        }
        Issue.record("\(op) never completed within \(limit) fault points")
        return (Run(status: -1, stdout: "", stderr: ""), limit)
    }

    func sound(_ db: String, _ context: String) throws {
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok", "\(context): integrity")
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: db, configuration: config)
        defer { try? queue.close() }
        let fk = try queue.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check").count }
        #expect(fk == 0, "\(context): foreign_key_check")
    }

    /// C1 with batched imports: a kill after any committed batch leaves a sound store holding
    /// a growing part of the file under one pending source; each re-run resumes, and the last
    /// one ends exactly where an uninterrupted import does.
    @Test func importKilledAfterEveryBatchResumesAndConverges() throws {
        let dir = TempDir()
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 15_000)
        let arguments = ["import", corpus, "--map", "scene.domain=domain"]
        #expect(try winnow(arguments + ["--db", dir.file("clean.db")]).status == 0)
        let clean = try CrashTests.state(dir.file("clean.db"))
        let db = dir.file("w.db")
        var previous = 0
        // Short batches, so that a small file spans many (WINNOW_IMPORT_BATCH_SECONDS).
        let (run, kills) = try loop("import", arguments + ["--db", db], env: ["WINNOW_IMPORT_BATCH_SECONDS": "0.05"]) { n in
            try sound(db, "import:\(n)")
            let s = try CrashTests.state(db)
            // A batch that ends (on time) exactly at the end of the file is not yet the last
            // one: a kill after it leaves every sample stored under a pending source, which
            // the next run closes. So at most the clean count, still pending.
            #expect(
                s.samples >= previous && s.samples <= clean.samples && s.sources == 1,
                "import:\(n): \(s.samples) samples, \(s.sources) sources")
            #expect(try query(db, "SELECT count(*) FROM sources WHERE sha256 LIKE 'pending:%'") == 1)
            previous = s.samples
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kills >= 2, "the corpus should span several batches, got \(kills) fault points")
        let after = try CrashTests.state(db)
        #expect(after.samples == clean.samples && after.occurrences == clean.occurrences && after.sources == 1)
        #expect(after.digest == clean.digest)
        #expect(try query(db, "SELECT count(*) FROM sources WHERE sha256 LIKE 'pending:%'") == 0)
        // The counts of the resumed import are the file's, as in one uninterrupted run.
        let counts = "SELECT read || ',' || imported || ',' || duplicates || ',' || rejected FROM sources"
        #expect(try query(db, counts, as: String.self) == (try query(dir.file("clean.db"), counts, as: String.self)))
    }

    /// `--on-error abort`: the whole file is checked before anything is written, so a bad
    /// record at the end of a file of many batches leaves no trace, even to a reader looking
    /// while the import runs, and a kill during the check leaves nothing either.
    @Test func abortModeNeverShowsABadFile() throws {
        let dir = TempDir()
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 40_000)
        let handle = try #require(FileHandle(forWritingAtPath: corpus))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"text\": \"unterminated\n".utf8))
        try handle.close()
        let db = dir.file("w.db")
        #expect(try winnow(["init", "--db", db]).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: winnowBinary)
        process.arguments = ["import", corpus, "--db", db]
        process.standardOutput = FileHandle.nullDevice
        let errPipe = Pipe()
        process.standardError = errPipe
        try process.run()
        var seen = 0
        while process.isRunning {
            seen = max(seen, (try query(db, "SELECT count(*) FROM samples") ?? 0) + (try query(db, "SELECT count(*) FROM sources") ?? 0))
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        let err = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1 && err.contains("corpus.jsonl:40001:"), "\(err)")
        #expect(seen == 0, "a reader saw \(seen) rows of a bad file")
        #expect(try query(db, "SELECT count(*) FROM samples") == 0)
        #expect(try query(db, "SELECT count(*) FROM sources") == 0)
    }

    func demoStore(_ dir: TempDir) throws -> String {
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["detect", "near-duplicate", "boilerplate", "--db", db]).status == 0)
        return db
    }

    @Test func snapshotKilledAtEveryStepIsAllOrNothing() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        let (run, kills) = try loop("snapshot", ["snapshot", "create", "v1", "--db", db]) { n in
            try sound(db, "snapshot:\(n)")
            #expect(try query(db, "SELECT count(*) FROM snapshots") == 0, "snapshot:\(n)")
            #expect(try query(db, "SELECT count(*) FROM snapshot_members") == 0, "snapshot:\(n): orphan members")
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kills == 2)
        let verify = try winnow(["snapshot", "verify", "v1", "--db", db])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(try query(db, "SELECT count(*) FROM snapshot_members") == query(db, "SELECT members FROM snapshots"))
    }

    @Test func exportKilledAtEveryWriteLeavesNoPartialFolder() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        let arguments = ["export", "v1", "--out", dir.file("out"), "--format", "hf", "--split", "train=0.8,test=0.2", "--db", db]
        #expect(try winnow(["export", "v1", "--out", dir.file("clean"), "--format", "hf", "--split", "train=0.8,test=0.2", "--db", db]).status == 0)
        let (run, kills) = try loop("export", arguments) { n in
            #expect(!FileManager.default.fileExists(atPath: dir.file("out")), "export:\(n): a partial destination exists")
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kills >= 3) // one per split file and the final rename
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("winnow-tmp") }
        #expect(leftovers.isEmpty, "temporary folders left: \(leftovers)")
        for file in ["data/train.jsonl", "data/test.jsonl", "manifest.json", "README.md"] {
            #expect(FileManager.default.contents(atPath: dir.file("out/" + file)) == FileManager.default.contents(atPath: dir.file("clean/" + file)), "\(file) differs")
        }
    }

    @Test func migrationKilledAtEveryStepLeavesAWholeVersion() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let reset = {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        }
        let (run, kills) = try loop("migration", ["init", "--db", db], reset: reset) { n in
            let applied = try query(db, "SELECT count(*) FROM grdb_migrations") ?? -1
            #expect(applied == n - 1, "migration:\(n): \(applied) migrations recorded")
            try sound(db, "migration:\(n)")
            // Nothing of the killed migration is visible: its tables and columns come whole or not at all.
            let sceneCounts = try query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scene_counts'") ?? -1
            let resolvedAt = try query(db, "SELECT count(*) FROM pragma_table_info('queue_items') WHERE name = 'resolved_at'") ?? -1
            #expect(sceneCounts == (applied >= 2 ? 1 : 0) && resolvedAt == (applied >= 3 ? 1 : 0), "migration:\(n): partial DDL")
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kills == (try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/migrations").filter { $0.hasSuffix(".sql") }.count))
        #expect(try query(db, "SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1", as: String.self) == latestSchema)
    }

    @Test func reviewerKilledMidDecisionLosesNothingAcknowledged() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        #expect(try winnow(["queue", "create", "all", "--label", "positive", "--db", db]).status == 0)
        let next = try winnow(["review", "next", "all", "--reviewer", "ann", "--json", "--db", db])
        let item = try #require((try JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])?["item"] as? [String: Any])
        let id = "\(item["id"] as? Int ?? -1)"
        let decide = ["review", "decide", id, "--reviewer", "ann", "--action", "relabel", "--label", "negative", "--db", db]
        let killed = try winnow(decide, env: ["WINNOW_FAULT_AT": "decision:1"])
        #expect(killed.status == Self.killed)
        try sound(db, "decision:1")
        #expect(try query(db, "SELECT count(*) FROM decisions") == 0)
        #expect(try query(db, "SELECT count(*) FROM revisions WHERE origin = 'review'") == 0)
        // The retry is recorded once; a double submit stays one row (K6).
        #expect(try winnow(decide).status == 0)
        #expect(try winnow(decide).status == 0)
        #expect(try query(db, "SELECT count(*) FROM decisions") == 1)
    }

    /// K2: a reviewer stopped (SIGSTOP) past its lease loses the item to another reviewer;
    /// when it resumes and submits it is told "lease lost", and only the other's decision counts.
    @Test func pausedReviewerLosesTheLease() throws {
        let dir = TempDir()
        let db = try demoStore(dir)
        #expect(try winnow(["queue", "create", "all", "--label", "positive", "--db", db]).status == 0)
        for rep in 0..<3 {
            // A lease of a millisecond: it runs out while A is stopped, without a sleep (the
            // lease logic on a moved clock is DecideTests, in-process).
            let next = try winnow(["review", "next", "all", "--reviewer", "a", "--lease", "0.001", "--json", "--db", db])
            let item = try #require((try JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])?["item"] as? [String: Any])
            let id = "\(item["id"] as? Int ?? -1)"
            // A's submission starts, and is stopped before it reaches the store.
            let a = Process()
            a.executableURL = URL(fileURLWithPath: winnowBinary)
            a.arguments = ["review", "decide", id, "--reviewer", "a", "--action", "keep", "--db", db]
            let errFile = dir.file("a-\(rep).err")
            FileManager.default.createFile(atPath: errFile, contents: nil)
            a.standardError = FileHandle(forWritingAtPath: errFile)
            a.standardOutput = FileHandle.nullDevice
            try a.run()
            kill(a.processIdentifier, SIGSTOP)
            let b = try winnow(["review", "next", "all", "--reviewer", "b", "--json", "--db", db])
            let bItem = (try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])?["item"] as? [String: Any]
            #expect("\(bItem?["id"] as? Int ?? -2)" == id, "b should get the item a lost")
            #expect(try winnow(["review", "decide", id, "--reviewer", "b", "--action", "drop", "--db", db]).status == 0)
            kill(a.processIdentifier, SIGCONT)
            a.waitUntilExit()
            let err = String(decoding: FileManager.default.contents(atPath: errFile) ?? Data(), as: UTF8.self)
            #expect(a.terminationStatus == 1 && err.contains("lease lost"), "a: \(a.terminationStatus) \(err)")
            #expect(try query(db, "SELECT count(*) FROM decisions WHERE item_id = \(id)") == 1)
            #expect(try query(db, "SELECT reviewer FROM decisions WHERE item_id = \(id)", as: String.self) == "b")
        }
    }
}
