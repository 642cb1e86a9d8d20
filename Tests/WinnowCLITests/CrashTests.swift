import Foundation
import GRDB
import Testing

/// kill -9 at any moment of an import leaves a valid store, and re-running converges to
/// exactly the state of an uninterrupted import.
@Suite(.serialized) struct CrashTests {
    /// What a clean process sees: integrity, foreign keys, and a digest of the content.
    static func state(_ db: String) throws -> (integrity: String, fkProblems: Int, samples: Int, occurrences: Int, sources: Int, digest: String) {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: db, configuration: config)
        defer { try? queue.close() }
        return try queue.read { db in
            let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "?"
            let fk = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
            let samples = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? -1
            let occurrences = try Int.fetchOne(db, sql: "SELECT count(*) FROM occurrences") ?? -1
            let sources = try Int.fetchOne(db, sql: "SELECT count(*) FROM sources") ?? -1
            let digest =
                try String.fetchOne(
                    db,
                    sql: """
                        SELECT group_concat(uid || ':' || hex(hash) || ':' || coalesce(label, ''), ',') FROM
                        (SELECT s.uid, c.hash, r.label FROM samples s JOIN revisions r ON r.id = s.revision_id
                         JOIN contents c ON c.id = r.content_id ORDER BY s.uid)
                        """) ?? ""
            return (integrity, fk, samples, occurrences, sources, digest)
        }
    }

    @Test func killedImportsLeaveAValidStoreAndConverge() throws {
        let dir = TempDir()
        let corpus = dir.file("corpus.jsonl")
        try SeededCorpus.write(corpus, records: 8_000)
        let arguments = ["import", corpus, "--map", "scene.domain=domain"]

        // The reference: one uninterrupted import.
        let started = Date()
        let clean = try winnow(arguments + ["--db", dir.file("clean.db")])
        let duration = Date().timeIntervalSince(started)
        #expect(clean.status == 0, "\(clean.stderr)")
        let reference = try Self.state(dir.file("clean.db"))
        #expect(reference.samples > 7_000)

        // Kill at several points of the same store's imports, checking it after each kill.
        let db = dir.file("killed.db")
        try winnow(["init", "--db", db])
        var killedMidway = 0
        for fraction in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: winnowBinary)
            process.arguments = arguments + ["--db", db]
            var environment = ProcessInfo.processInfo.environment
            environment["WINNOW_IMPORT_BATCH_SECONDS"] = "0.05" // many batches, so kills land between them
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: duration * fraction)
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if wasRunning && process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let after = try Self.state(db)
            #expect(after.integrity == "ok", "after a kill at \(fraction)")
            #expect(after.fkProblems == 0)
            // The import commits in batches: what a kill leaves is a part of the file, under one
            // pending source that the next run resumes.
            #expect(after.samples <= reference.samples, "\(after.samples) samples after a kill at \(fraction)")
            #expect(after.occurrences <= reference.occurrences)
            #expect(after.sources <= 1, "a resumed import keeps its one source row")
        }
        #expect(killedMidway >= 3, "the kills should land while the import runs")

        // Re-running converges to the uninterrupted state, with no duplicate occurrences.
        let rerun = try winnow(arguments + ["--db", db])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let final = try Self.state(db)
        #expect(final.integrity == "ok")
        #expect(final.samples == reference.samples)
        #expect(final.occurrences == reference.occurrences)
        #expect(final.sources == 1)
        #expect(final.digest == reference.digest)
    }
}
