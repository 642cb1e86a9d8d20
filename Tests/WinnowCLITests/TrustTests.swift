import Foundation
import GRDB
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// A value shared between test threads, behind a lock.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&value); lock.unlock() }
    var current: Value { lock.lock(); defer { lock.unlock() }; return value }
}

/// Runs `winnow` with `input` fed through a pipe on standard input (not a file: a stream that
/// can be read only once).
func winnowPiped(_ arguments: [String], input: Data, env: [String: String] = [:]) throws -> Run {
    signal(SIGPIPE, SIG_IGN) // a child that stops reading must not kill the test process
    let process = winnowProcess(arguments, env: env)
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let writer = Thread {
        try? stdin.fileHandleForWriting.write(contentsOf: input) // a child that stops reading: EPIPE, not a crash
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let err = Shared(Data())
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        let data = stderr.fileHandleForReading.readDataToEndOfFile(); err.update { $0 = data }; group.leave()
    }
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err.current, as: UTF8.self))
}

/// Issue 11, item 2: the `.db` file alone is the whole store after every command.
@Suite struct OneFileStoreTests {
    /// Copies the store file alone (no -wal, no -shm) and counts what the copy holds.
    func copyAlone(_ db: String, _ dir: TempDir, _ step: String) throws -> [Int] {
        let copy = dir.file("copy-\(step).db")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"), "\(step): the -wal outlived the command")
        return try ["samples", "flags", "queues", "decisions", "snapshots", "split_assignments"].map {
            try query(copy, "SELECT count(*) FROM \($0)") ?? -1
        }
    }

    func counts(_ db: String) throws -> [Int] {
        try ["samples", "flags", "queues", "decisions", "snapshots", "split_assignments"].map {
            try query(db, "SELECT count(*) FROM \($0)") ?? -1
        }
    }

    @Test func theStoreFileAloneHoldsEverythingAfterEachCommand() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let steps: [(String, [String])] = [
            ("init", ["init"]),
            ("import", ["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--map", "scene.domain=domain"]),
            ("import2", ["import", repoRoot + "/demo/nli.csv"]),
            ("taxonomy", ["taxonomy", "load", repoRoot + "/demo/taxonomy.yaml"]),
            ("annotate", ["annotate", "--rules", repoRoot + "/demo/rules.yaml"]),
            ("detect", ["detect", "near-duplicate", "boilerplate"]),
            ("queue", ["queue", "create", "q", "--label", "positive"]),
            ("decide", []),
            ("snapshot", ["snapshot", "create", "v1"]),
            ("export", ["export", "v1", "--out", dir.file("out"), "--format", "jsonl"]),
            ("samples", ["samples", "--count"]),
            ("stats", ["stats"]),
        ]
        for (step, arguments) in steps {
            if step == "decide" {
                let next = try winnow(["review", "next", "q", "--reviewer", "alice", "--json", "--db", db])
                let item = (try JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])?["item"] as? [String: Any]
                let id = "\(item?["id"] as? Int ?? -1)"
                #expect(try winnow(["review", "decide", id, "--reviewer", "alice", "--action", "keep", "--db", db]).status == 0)
            } else {
                let run = try winnow(arguments + ["--db", db])
                #expect(run.status == 0, "\(step): \(run.stderr)")
            }
            #expect(try copyAlone(db, dir, step) == (try counts(db)), "\(step): the copied .db differs from the store")
        }
        #expect(try query(db, "SELECT count(*) FROM decisions") == 1)
        #expect(try query(db, "SELECT count(*) FROM snapshots") == 1)
    }

    /// F5: two names for one file would keep two logs: refused, with what to do.
    @Test func aStoreWithTwoHardLinksIsRefused() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        #expect(link(db, dir.file("other.db")) == 0)
        for arguments in [["samples", "--count"], ["import", repoRoot + "/demo/instructions.json"]] {
            let run = try winnow(arguments + ["--db", dir.file("other.db")])
            #expect(run.status == 1 && run.stderr.contains("2 hard links") && run.stderr.contains("samefile"), "\(run.stderr)")
            #expect(!run.stderr.contains("Fatal"))
        }
        #expect(try query(db, "SELECT count(*) FROM sources") == 1)
        unlink(dir.file("other.db"))
        #expect(try winnow(["samples", "--count", "--db", db]).stdout == "39\n")
    }

    /// F5: a copy restored over a store whose old -wal (left by a killed process) is still
    /// beside it: opening would replay the old log onto the copy. Refused, and after the user
    /// deletes the stale log as told, the restored copy opens intact.
    @Test func aRestoredCopyBesideAnOldLogIsRefused() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        try FileManager.default.copyItem(atPath: db, toPath: dir.file("backup.db"))
        // A killed import leaves its log behind.
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 20_000)
        let killed = try winnow(["import", corpus, "--db", db], env: ["WINNOW_FAULT_AT": "import:1", "WINNOW_IMPORT_BATCH_SECONDS": "0.05"])
        #expect(killed.status == 9)
        #expect(FileManager.default.fileExists(atPath: db + "-wal"))
        // The user restores the backup with cp; the log is older than the restored file.
        var times = [timeval(tv_sec: time(nil) - 60, tv_usec: 0), timeval(tv_sec: time(nil) - 60, tv_usec: 0)]
        #expect(utimes(db + "-wal", &times) == 0)
        try FileManager.default.removeItem(atPath: db)
        try FileManager.default.copyItem(atPath: dir.file("backup.db"), toPath: db)
        let refused = try winnow(["samples", "--count", "--db", db])
        #expect(refused.status == 1 && refused.stderr.contains("restored") && refused.stderr.contains("-wal"), "\(refused.stderr)")
        try FileManager.default.removeItem(atPath: db + "-wal")
        try? FileManager.default.removeItem(atPath: db + "-shm")
        #expect(try winnow(["samples", "--count", "--db", db]).stdout == "39\n")
        #expect(try winnow(["check", "--db", db]).status == 0)
    }

    /// The log a killed process leaves is replayed: its committed batches are kept.
    @Test func aLogLeftByAKilledProcessIsKept() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 20_000)
        #expect(try winnow(["import", corpus, "--db", db], env: ["WINNOW_FAULT_AT": "import:1", "WINNOW_IMPORT_BATCH_SECONDS": "0.05"]).status == 9)
        let count = try winnow(["samples", "--count", "--db", db])
        #expect(count.status == 0 && (Int(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "\(count.stderr)")
        #expect(count.stderr.contains("unfinished") || count.stderr.isEmpty)
    }
}

/// Issue 11, items 3 and 4: the rejects path is checked first; pipes are read once, whole.
@Suite struct ImportInputTests {
    @Test func anUnwritableRejectsPathStopsBeforeAnythingIsImported() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let run = try winnow([
            "import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip",
            "--rejects", dir.file("no/such/folder/rejects.jsonl"), "--db", db,
        ])
        #expect(run.status == 1 && run.stderr.contains("rejects") && run.stderr.contains("nothing was imported"), "\(run.stderr)")
        #expect((try? query(db, "SELECT count(*) FROM sources")) ?? 0 == 0)
        // A good path: the rejects are all there, and the counts are the file's.
        let good = try winnow([
            "import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip",
            "--rejects", dir.file("rejects.jsonl"), "--db", db,
        ])
        #expect(good.status == 0)
        let lines = (try String(contentsOfFile: dir.file("rejects.jsonl"), encoding: .utf8)).split(separator: "\n")
        #expect(lines.count == 3)
    }

    @Test func aFailedLaterFileSaysWhatTheEarlierOnesCommitted() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let run = try winnow([
            "import", repoRoot + "/demo/nli.csv", fixtures + "/bad/invalid_json.jsonl",
            repoRoot + "/demo/instructions.json", "--db", db,
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("nli.csv") && run.stderr.contains("new 39"), "\(run.stderr)")
        #expect(run.stderr.contains("instructions.json") && run.stderr.contains("not imported"), "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM sources") == 1)
    }

    func fileCounts(_ file: String, _ extra: [String] = []) throws -> (Run, String) {
        let dir = TempDir()
        let run = try winnow(["import", file, "--on-error", "skip", "--json", "--db", dir.file("f.db")] + extra)
        return (run, try digest(dir.file("f.db")))
    }

    func digest(_ db: String) throws -> String {
        try query(
            db,
            """
            SELECT count(*) || ':' || group_concat(line, ',') FROM (SELECT line FROM occurrences ORDER BY line)
            """, as: String.self) ?? ""
    }

    func summary(_ run: Run) -> String {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
            let totals = doc["totals"] as? [String: Any]
        else { return "unparsable: \(run.stdout) \(run.stderr)" }
        return ["read", "imported", "duplicates", "rejected"].map { "\($0)=\(totals[$0] ?? "?")" }.joined(separator: " ")
    }

    @Test(arguments: ["demo/reviews.jsonl", "demo/nli.csv", "demo/instructions.json"])
    func standardInputIsReadOnceWithTheFilesCounts(file: String) throws {
        let path = repoRoot + "/" + file
        let (fromFile, fileDigest) = try fileCounts(path)
        let data = try #require(FileManager.default.contents(atPath: path))
        for name in ["-", "/dev/stdin"] {
            let dir = TempDir()
            // No --format: sniffed from the first bytes.
            let piped = try winnowPiped(["import", name, "--on-error", "skip", "--json", "--db", dir.file("p.db")], input: data)
            #expect(piped.status == 0, "\(name): \(piped.stderr)")
            #expect(summary(piped) == summary(fromFile), "\(file) through \(name)")
            #expect(try digest(dir.file("p.db")) == fileDigest)
        }
    }

    @Test func aFIFOAndAProcessSubstitutionAreReadWhole() throws {
        let dir = TempDir()
        // A file bigger than any buffer used to sniff it.
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 3_000)
        let (fromFile, fileDigest) = try fileCounts(corpus)
        let fifo = dir.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let feeder = Thread {
            if let out = FileHandle(forWritingAtPath: fifo), let data = FileManager.default.contents(atPath: corpus) {
                try? out.write(contentsOf: data)
                try? out.close()
            }
        }
        feeder.start()
        let run = try winnow(["import", fifo, "--on-error", "skip", "--json", "--db", dir.file("p.db")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(summary(run) == summary(fromFile))
        #expect(try digest(dir.file("p.db")) == fileDigest)
        // <(…) through bash.
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-c", "\"$0\" import <(head -n 2500 \"$1\") --on-error skip --json --db \"$2\"", winnowBinary, corpus, dir.file("s.db")]
        let out = Pipe()
        bash.standardOutput = out
        bash.standardError = FileHandle.nullDevice
        try bash.run()
        let text = out.fileHandleForReading.readDataToEndOfFile()
        bash.waitUntilExit()
        #expect(bash.terminationStatus == 0)
        #expect(summary(Run(status: 0, stdout: String(decoding: text, as: UTF8.self), stderr: "")).hasPrefix("read=2500 "))
        #expect(try query(dir.file("s.db"), "SELECT max(line) FROM occurrences") == 2500)
    }

    @Test func aPipeWhoseFormatCannotBeToldSaysSo() throws {
        let dir = TempDir()
        let run = try winnowPiped(["import", "-", "--db", dir.file("p.db")], input: Data("just words\nmore words\n".utf8))
        #expect(run.status == 1 && run.stderr.contains("<stdin>") && run.stderr.contains("--format"), "\(run.stderr)")
        let csv = try winnowPiped(["import", "-", "--format", "csv", "--db", dir.file("p.db")], input: Data("text,label\nhello,a\n".utf8))
        #expect(csv.status == 0, "\(csv.stderr)")
    }
}

/// Issue 11, item 5 (RELIABILITY K3): writers wait, briefly, while an import runs.
@Suite(.serialized) struct ImportDuringReviewTests {
    /// 4 reviewer processes decide in a loop while a large import runs: no failure, and each
    /// decision waits at most about one batch.
    @Test func reviewersKeepDecidingDuringAnImport() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "all", "--overlap", "4", "--db", db]).status == 0)
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 60_000)

        let importer = Process()
        importer.executableURL = URL(fileURLWithPath: winnowBinary)
        importer.arguments = ["import", corpus, "--db", db]
        importer.standardOutput = FileHandle.nullDevice
        importer.standardError = FileHandle.nullDevice
        try importer.run()
        Thread.sleep(forTimeInterval: 0.5)

        let waitsBox = Shared<[Double]>([])
        let failuresBox = Shared<[String]>([])
        let group = DispatchGroup()
        for r in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                let reviewer = "r\(r)"
                while importer.isRunning {
                    guard let next = try? winnow(["review", "next", "all", "--reviewer", reviewer, "--json", "--db", db]) else { continue }
                    guard next.status == 0 else { failuresBox.update { $0.append("next: \(next.stderr)") }; continue }
                    guard let item = (try? JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])?["item"] as? [String: Any],
                        let id = item["id"] as? Int
                    else { break }
                    let started = Date()
                    let decided = try? winnow(["review", "decide", "\(id)", "--reviewer", reviewer, "--action", "keep", "--db", db])
                    let took = Date().timeIntervalSince(started)
                    waitsBox.update { $0.append(took) }
                    if decided?.status != 0 { failuresBox.update { $0.append("decide: \(decided?.stderr ?? "?")") } }
                }
            }.start()
        }
        group.wait()
        importer.waitUntilExit()
        let waits = waitsBox.current, failures = failuresBox.current
        #expect(importer.terminationStatus == 0)
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(waits.count >= 8, "the reviewers should decide while the import runs, got \(waits.count)")
        let sorted = waits.sorted()
        let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print(
            "K3: \(waits.count) decisions during a 60k import: p50 \(String(format: "%.3f", p50)) s, p99 \(String(format: "%.3f", p99)) s, max \(String(format: "%.3f", sorted.last ?? 0)) s (process start included)"
        )
        #expect((sorted.last ?? 0) < 5, "a decision waited \(sorted.last ?? 0) s")
        #expect(try query(db, "SELECT count(*) FROM decisions") == waits.count)
        #expect(try query(db, "SELECT imported FROM sources WHERE name = 'corpus.jsonl'") ?? 0 > 50_000)
    }

    /// A writer that must wait longer says what it waits for, and goes on waiting.
    @Test func aLongWaitIsAnnouncedAndOutlasted() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        let queue = try DatabaseQueue(path: db)
        let holder = Thread {
            try? queue.inTransaction(.immediate) { _ in
                Thread.sleep(forTimeInterval: 3.5)
                return .commit
            }
        }
        holder.start()
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        let run = try winnow(["queue", "create", "q", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) > 2.5)
        #expect(run.stderr.contains("waiting for"), "\(run.stderr)")
        #expect(!run.stderr.contains("locked"))
        // The same wait with standard error closed: the note cannot be written, the command still succeeds.
        let again = Thread {
            try? queue.inTransaction(.immediate) { _ in
                Thread.sleep(forTimeInterval: 3)
                return .commit
            }
        }
        again.start()
        Thread.sleep(forTimeInterval: 0.3)
        let closed = try shell("\"$WINNOW\" queue create q2 --db \"\(db)\" 2>&-")
        #expect(closed.status == 0, "exit \(closed.status)")
        Thread.sleep(forTimeInterval: 0.5)
        try queue.close()
    }
}

/// What a second read of the import found (issue 11 review): ways an unfinished import is
/// finished or closed, and rejects that survive a resume.
@Suite struct UnfinishedImportTests {
    static let batches = ["WINNOW_IMPORT_BATCH_SECONDS": "0.05"]

    @Test func aTruncatedGzipInSkipModeKeepsWhatWasReadAndCompletes() throws {
        let dir = TempDir()
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 20_000)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c \"$0\" | head -c 400000 > \"$0.gz\"", corpus]
        try gz.run(); gz.waitUntilExit()
        let db = dir.file("store.db")
        let run = try winnow(["import", corpus + ".gz", "--on-error", "skip", "--db", db], env: Self.batches)
        #expect(run.status == 1 && run.stderr.contains("ends early") && run.stderr.contains("import is complete"), "\(run.stderr)")
        let samples = try query(db, "SELECT count(*) FROM samples") ?? 0
        #expect(samples > 100 && samples < 20_000)
        #expect(try query(db, "SELECT count(*) FROM sources WHERE sha256 LIKE 'pending:%'") == 0)
        // The default abort mode reads the whole file first: nothing of it is written.
        let strict = try winnow(["import", corpus + ".gz", "--db", dir.file("strict.db")])
        #expect(strict.status == 1 && strict.stderr.contains("ends early"))
        #expect((try? query(dir.file("strict.db"), "SELECT count(*) FROM samples")) ?? 0 == 0)
    }

    @Test func anUnfinishedImportCanBeClosedAsItIs() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 20_000)
        #expect(try winnow(["import", corpus, "--db", db], env: Self.batches.merging(["WINNOW_FAULT_AT": "import:1"]) { $1 }).status == 9)
        let note = try winnow(["samples", "--count", "--db", db])
        #expect(note.stderr.contains("is unfinished"), "\(note.stderr)")
        let stored = try query(db, "SELECT count(*) FROM samples") ?? 0
        let close = try winnow(["import", "--close-unfinished", "--db", db])
        #expect(close.status == 0 && close.stdout.contains("closed the unfinished import of"), "\(close.stdout) \(close.stderr)")
        #expect(try winnow(["samples", "--count", "--db", db]).stderr.isEmpty)
        // The same bytes import anew: what the closed run stored counts as duplicates.
        let again = try winnow(["import", corpus, "--json", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let totals = (try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any]
        #expect(totals?["duplicates"] as? Int ?? -1 >= stored)
        #expect(try query(db, "SELECT count(*) FROM sources") == 2)
        #expect(try winnow(["import", "--close-unfinished", "--db", db]).stdout.contains("no unfinished import"))
    }

    @Test func aResumedImportWritesTheRejectsTheStoreMade() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        let first = dir.write("first.jsonl", #"{"id": "taken", "text": "the first text"}"# + "\n")
        #expect(try winnow(["import", first, "--db", db]).status == 0)
        // Line 5 reuses the id with other content: the store refuses it when it is written.
        var text = ""
        for i in 0..<20_000 {
            text += i == 4 ? #"{"id": "taken", "text": "another text"}"# + "\n" : #"{"id": "r\#(i)", "text": "record number \#(i) of the file"}"# + "\n"
        }
        let corpus = dir.write("corpus.jsonl", text)
        let env = Self.batches.merging(["WINNOW_FAULT_AT": "import:1"]) { $1 }
        #expect(try winnow(["import", corpus, "--on-error", "skip", "--rejects", dir.file("r.jsonl"), "--db", db], env: env).status == 9)
        let resumed = try winnow(["import", corpus, "--on-error", "skip", "--rejects", dir.file("r.jsonl"), "--db", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let rejects = (try String(contentsOfFile: dir.file("r.jsonl"), encoding: .utf8)).split(separator: "\n")
        #expect(rejects.count == 1 && rejects.first?.contains("\"line\":5") == true, "\(rejects)")
        #expect(try query(db, "SELECT rejected FROM sources WHERE name = 'corpus.jsonl'") == 1)
    }

    @Test func theStoresOwnFileIsNotACorpus() throws {
        let dir = TempDir()
        let db = dir.file("store.db")
        #expect(try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db]).status == 0)
        let run = try winnow(["import", db, "--format", "jsonl", "--db", db])
        #expect(run.status == 1 && run.stderr.contains("store's own file"), "\(run.stderr)")
        #expect(try winnow(["check", "--db", db]).status == 0)
    }
}
