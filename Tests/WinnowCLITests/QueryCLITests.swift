import Foundation
import Testing

/// `init`, `samples`, `show`, `sql` and store handling, through the built binary.
@Suite struct QueryCLITests {
    /// A store holding the demo reviews.
    func demoStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        return (dir, db)
    }

    @Test func initCreatesThenRecognisesAStore() throws {
        let dir = TempDir()
        let first = try winnow(["init", "--db", dir.file("w.db")])
        #expect(first.stdout == "created \(dir.file("w.db")) (schema \(latestSchema))\n")
        let second = try winnow(["init", "--db", dir.file("w.db")])
        #expect(second.stdout == "\(dir.file("w.db")) is already a Winnow store (schema \(latestSchema))\n")
    }

    @Test func initRefusesOtherFiles() throws {
        let dir = TempDir()
        FileManager.default.createFile(atPath: dir.file("notes.db"), contents: Data("hello, these are my notes, not a database".utf8))
        let run = try winnow(["init", "--db", dir.file("notes.db")])
        #expect(run.status == 1)
        #expect(run.stderr == "error: \(dir.file("notes.db")) is not a Winnow store (not an SQLite database); pass --db with another path, or move that file away\n")
        #expect(try String(contentsOfFile: dir.file("notes.db"), encoding: .utf8).hasPrefix("hello"))
    }

    @Test func readCommandsNeedAStore() throws {
        let dir = TempDir()
        let run = try winnow(["samples"], in: dir.path)
        #expect(run.status == 1)
        #expect(run.stderr.contains("no Winnow store at winnow.db"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("winnow.db")))
    }

    @Test func newerStoreIsRefusedWithItsOwnExitCode() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"insert into grdb_migrations values ('0999_future')\"); c.commit(); c.execute('pragma wal_checkpoint(truncate)'); c.close()",
            db,
        ]
        try writer.run(); writer.waitUntilExit()
        let run = try winnow(["samples", "--db", db])
        #expect(run.status == 3)
        #expect(run.stderr.contains("was created by a newer version of Winnow (its schema is at 0999_future; this winnow 0.1.0 knows up to \(latestSchema))"))
    }

    @Test func storeComesFromWinnowDBOrDbOption() throws {
        let (dir, db) = try demoStore()
        let viaEnv = try winnow(["samples", "--count"], in: dir.path, env: ["WINNOW_DB": db])
        #expect(viaEnv.stdout == "111\n")
        let viaOption = try winnow(["samples", "--count", "--db", db])
        #expect(viaOption.stdout == "111\n")
    }

    @Test func samplesFilterAndReportJSON() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["samples", "--label", "neutral", "--scene", "domain=books", "--json", "--db", db])
        #expect(run.status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let samples = try #require(doc["samples"] as? [[String: Any]])
        #expect(doc["count"] as? Int == samples.count)
        #expect(
            samples.count
                == (try query(
                    db,
                    """
                    SELECT count(*) FROM samples s JOIN revisions r ON r.id = s.revision_id
                    JOIN scene_annotations a ON a.sample_id = s.id AND a.dimension = 'domain' AND a.replaced_by IS NULL
                    WHERE r.label = 'neutral' AND a.category = 'books'
                    """)))
        #expect(samples.count > 0)
        for sample in samples {
            #expect(sample["label"] as? String == "neutral")
            #expect((sample["scenes"] as? [String: String])?["domain"] == "books")
            for key in ["uid", "kind", "status", "text"] { #expect(sample[key] != nil) }
        }
        let flagged = try winnow(["samples", "--flag", "label-conflict", "--count", "--db", db])
        #expect(flagged.stdout == "2\n")
        let limited = try winnow(["samples", "--limit", "2", "--db", db])
        #expect(limited.stdout.hasSuffix("2 of 111 samples (--limit N to see more)\n"))
    }

    @Test func showPrintsProvenanceAndFlags() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        // rev-077 was seen again at line 117 with another label.
        let run = try winnow(["show", "rev-077", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(doc["label"] as? String == "neutral")
        let occurrences = try #require(doc["occurrences"] as? [[String: Any]])
        #expect(occurrences.map { $0["line"] as? Int } == [79, 117])
        let flags = try #require(doc["flags"] as? [[String: Any]])
        #expect(flags.first?["detector"] as? String == "label-conflict")
        #expect((doc["content_hash"] as? String)?.count == 64)
        let human = try winnow(["show", "rev-077", "--db", db])
        #expect(human.stdout.contains("reviews.jsonl:117 id=rev-114 label=positive"))
        let missing = try winnow(["show", "nope", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: no sample with uid 'nope'; list uids with `winnow samples`\n")
    }

    @Test func sqlReadsAndRefusesWrites() throws {
        let (dir, db) = try demoStore()
        defer { withExtendedLifetime(dir) {} }
        let csv = try winnow(["sql", "SELECT label, count(*) AS n FROM revisions GROUP BY label ORDER BY label", "--csv", "--db", db])
        #expect(csv.stdout == "label,n\nnegative,33\nneutral,18\npositive,60\n")
        let json = try winnow(["sql", "SELECT uid, hash FROM samples s JOIN contents c ON c.sample_id = s.id WHERE uid = 'rev-001'", "--json", "--db", db])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(doc["columns"] as? [String] == ["uid", "hash"])
        #expect(((doc["rows"] as? [[String: Any]])?.first?["hash"] as? String)?.count == 64)
        for statement in [
            "DELETE FROM samples", "UPDATE samples SET status = 'dropped'", "DROP TABLE samples",
            "INSERT INTO labels VALUES ('x', 1)", "ATTACH DATABASE '/tmp/x.db' AS x", "PRAGMA journal_mode = DELETE",
        ] {
            let run = try winnow(["sql", statement, "--db", db])
            #expect(run.status == 1, "\(statement)")
            #expect(run.stderr.contains("winnow sql only reads"), "\(statement): \(run.stderr)")
        }
        let bad = try winnow(["sql", "SELEKT 1", "--db", db])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: SQL error: near \"SELEKT\": syntax error"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 111)
    }

    @Test func aCopyOfTheBinaryElsewhereCarriesItsMigrations() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: winnowBinary, toPath: dir.file("winnow-copy"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dir.file("winnow-copy"))
        process.arguments = ["init", "--db", dir.file("w.db")]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        try process.run(); process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try query(dir.file("w.db"), "SELECT identifier FROM grdb_migrations", as: String.self) == "0001_initial")
    }
}

/// Several processes opening one new store at the same instant: the file lock makes them
/// migrate it once, and none fails.
@Suite struct ConcurrentOpenTests {
    @Test func fourProcessesOpenAFreshStoreAtOnce() throws {
        for round in 0..<5 {
            let dir = TempDir()
            let db = dir.file("w.db")
            let processes = (0..<4).map { i -> Process in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: winnowBinary)
                p.arguments = i % 2 == 0 ? ["init", "--db", db] : ["import", repoRoot + "/demo/nli.csv", "--db", db]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                return p
            }
            for p in processes { try p.run() }
            for p in processes { p.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "round \(round)")
            #expect(try query(db, "SELECT count(*) FROM grdb_migrations") == (try query(db, "SELECT count(DISTINCT identifier) FROM grdb_migrations")))
            #expect(try query(db, "SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1", as: String.self) == latestSchema)
            #expect(try query(db, "SELECT count(*) FROM sources") == 1) // the two imports of one file: once
        }
    }
}
