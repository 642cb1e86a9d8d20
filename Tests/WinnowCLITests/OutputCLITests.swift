import Foundation
import Testing

/// Runs `script` with bash, `$WINNOW` set to the built binary; output captured into files.
@discardableResult
func shell(_ script: String, in directory: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "WINNOW_DB")
    environment["WINNOW"] = winnowBinary
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    return try captured(process)
}

/// A store holding the demo reviews, with the near-duplicate and label-conflict flags.
func demoReviewStore() throws -> (TempDir, String) {
    let dir = TempDir()
    let db = dir.file("w.db")
    let run = try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db])
    #expect(run.status == 0, "\(run.stderr)")
    return (dir, db)
}

/// A never-ending statement: counting (or listing) all positive integers.
let endlessRows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n"
let endlessCount = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"

/// Issue 11, items 10 and 11: standard output failures, streaming, `sql --timeout`, Ctrl-C.
@Suite struct OutputCLITests {
    @Test func aFailedWriteToStandardOutputIsAnErrorNotACrash() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        for command in ["samples --count", "samples --json", "samples --csv", "sql 'SELECT * FROM contents' --csv", "flags --json", "stats"] {
            let full = try shell("\"$WINNOW\" \(command) --db '\(db)' > /dev/full")
            #expect(full.status == 1, "\(command): \(full.stderr)")
            #expect(full.stderr == "error: writing standard output failed: No space left on device\n", "\(command)")
            let closed = try shell("\"$WINNOW\" \(command) --db '\(db)' >&-")
            #expect(closed.status == 1, "\(command): \(closed.stderr)")
            #expect(closed.stderr == "error: writing standard output failed: Bad file descriptor\n", "\(command)")
        }
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
    }

    @Test func aClosedStdoutNeverBecomesTheStoreFile() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        // A new store opened with fd 1 closed: nothing may write "stdout" into it.
        let run = try shell("\"$WINNOW\" import '\(repoRoot)/demo/reviews.jsonl' --on-error skip --db '\(db)' >&-")
        #expect(run.stderr.contains("writing standard output failed: Bad file descriptor"), "\(run.stderr)")
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
        #expect(try query(db, "SELECT count(*) FROM samples") == 111)
    }

    @Test func aClosedPipeEndsQuietly() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let endless = try shell("timeout 60 \"$WINNOW\" sql '\(endlessRows)' --csv --timeout 0 --db '\(db)' | head -3; echo \"status ${PIPESTATUS[0]}\"")
        #expect(endless.stdout == "i\n1\n2\nstatus 0\n")
        #expect(endless.stderr == "")
        for command in ["samples --json", "samples --csv", "flags --json", "sql 'SELECT * FROM contents' --json"] {
            let run = try shell("\"$WINNOW\" \(command) --db '\(db)' | head -c 10 > /dev/null; echo \"status ${PIPESTATUS[0]}\"")
            #expect(run.stdout == "status 0\n", "\(command): \(run.stdout)")
            #expect(run.stderr == "", "\(command)")
        }
    }

    @Test func sqlStopsAtItsTimeout() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let started = Date()
        let run = try winnow(["sql", endlessCount, "--timeout", "1", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr == "error: the query ran longer than 1 s and was stopped; pass --timeout SECONDS (0 for no limit) to give it longer\n")
        #expect(Date().timeIntervalSince(started) < 20)
        for bad in ["nan", "-1", "inf"] {
            let refused = try winnow(["sql", "SELECT 1", "--timeout=\(bad)", "--db", db])
            #expect(refused.status == 64, "\(bad)")
            #expect(refused.stderr.contains("--timeout takes seconds"), "\(bad): \(refused.stderr)")
        }
        // The default lets an ordinary query run.
        #expect(try winnow(["sql", "SELECT count(*) FROM samples", "--db", db]).stdout.contains("111"))
    }

    @Test func ctrlCStopsAQueryCleanly() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: winnowBinary)
        process.arguments = ["sql", endlessCount, "--timeout", "0", "--db", db]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130)
        #expect(stderr == "error: interrupted (Ctrl-C): the query was stopped; the store is unchanged\n")
    }

    @Test func sqlStreamsJSONWithTheCountAtTheEnd() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["sql", "SELECT uid FROM samples ORDER BY id LIMIT 3", "--json", "--db", db])
        #expect(run.stdout == "{\"columns\":[\"uid\"],\"rows\":[\n{\"uid\":\"rev-001\"},\n{\"uid\":\"rev-002\"},\n{\"uid\":\"rev-003\"}\n],\"count\":3}\n")
        let none = try winnow(["sql", "SELECT uid FROM samples WHERE 0", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any])
        #expect(doc["count"] as? Int == 0)
        #expect((doc["rows"] as? [Any])?.isEmpty == true)
        // The aligned table keeps its layout and row count.
        let table = try winnow(["sql", "SELECT uid, kind FROM samples ORDER BY id LIMIT 2", "--db", db])
        #expect(table.stdout == "uid      kind\n───────  ────\nrev-001  text\nrev-002  text\n(2 rows)\n")
    }

    @Test func samplesAndFlagsStreamTheSameDocuments() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["detect", "--db", db]).status == 0)
        let samples = try winnow(["samples", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(samples.stdout.utf8)) as? [String: Any])
        #expect(doc["count"] as? Int == 111)
        #expect((doc["samples"] as? [[String: Any]])?.count == 111)
        let limited = try winnow(["samples", "--json", "--limit", "2", "--db", db])
        let small = try #require(try JSONSerialization.jsonObject(with: Data(limited.stdout.utf8)) as? [String: Any])
        #expect(small["count"] as? Int == 111)
        #expect((small["samples"] as? [[String: Any]])?.map { $0["uid"] as? String } == ["rev-001", "rev-002"])
        let csv = try winnow(["samples", "--csv", "--db", db])
        #expect(csv.stdout.split(separator: "\n").count >= 112)
        let flags = try winnow(["flags", "--json", "--db", db])
        let flagDoc = try #require(try JSONSerialization.jsonObject(with: Data(flags.stdout.utf8)) as? [String: Any])
        let list = try #require(flagDoc["flags"] as? [[String: Any]])
        #expect(flagDoc["count"] as? Int == list.count)
        #expect(!list.isEmpty)
    }
}
