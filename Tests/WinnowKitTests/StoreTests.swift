import Foundation
import GRDB
import Testing
@testable import WinnowKit

@Suite struct StoreTests {
    @Test func embeddedMigrationsMatchTheMigrationsFolder() throws {
        let folder = repoRoot + "/migrations"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Migrations.embedded.map(\.identifier) == files.map { String($0.dropLast(4)) },
                "Migrations+Embedded.swift is out of date, please run scripts/gen-migrations")
        for (migration, file) in zip(Migrations.embedded, files) {
            let sql = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            #expect(migration.sql.trimmingCharacters(in: .whitespacesAndNewlines) == sql.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(file) differs from the embedded copy, please run scripts/gen-migrations")
        }
    }

    @Test func newStoreIsMarkedAndMigrated() throws {
        let dir = TempDir()
        let store = try dir.store()
        #expect(try store.schemaVersion() == Migrations.identifiers.last)
        let (appID, journal, fk) = try store.pool.read { db in
            (try Int32.fetchOne(db, sql: "PRAGMA application_id"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(appID == Store.applicationID)
        #expect(journal == "wal")
        #expect(fk == 1)
    }

    @Test func migratorIsSafeForRelease() {
        #expect(Migrations.migrator().eraseDatabaseOnSchemaChange == false)
    }

    @Test func missingStoreIsNotCreatedByReadCommands() {
        let dir = TempDir()
        #expect(throws: WinnowError.storeMissing(path: dir.path("none.db"))) { try Store(path: dir.path("none.db")) }
        #expect(!FileManager.default.fileExists(atPath: dir.path("none.db")))
    }

    @Test func storeFromANewerVersionIsRefusedAndLeftUnchanged() throws {
        let dir = TempDir()
        do {
            let store = try dir.store()
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
            }
            try store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try store.pool.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path("w.db")))
        do {
            _ = try Store(path: dir.path("w.db"))
            Issue.record("expected a refusal")
        } catch let error as WinnowError {
            #expect(error.exitCode == 3)
            #expect(error.description.contains("created by a newer version of Winnow"))
            #expect(error.description.contains("9999_from_the_future"))
            #expect(error.description.contains(Migrations.identifiers.last!))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("w.db"))) == before)
    }

    @Test func otherFilesAreRefused() throws {
        let dir = TempDir()
        let text = dir.write("notes.txt", "just some text that is long enough to not be a header")
        #expect(throws: WinnowError.self) { try Store(path: text, mode: .createIfMissing) }
        let other = dir.path("other.db")
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        do {
            _ = try Store(path: other, mode: .createIfMissing)
            Issue.record("expected a refusal")
        } catch let error as WinnowError {
            #expect(error.description.contains("an SQLite database of another application"))
        }
        #expect(throws: WinnowError.self) { try Store(path: dir.url.path, mode: .createIfMissing) }
    }

    @Test func snapshotsAndRevisionsRefuseChangesInTheStoreItself() throws {
        let dir = TempDir()
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(repoRoot + "/demo/nli.csv")
        #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: "UPDATE revisions SET label = 'x'") }
        }
        #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: "DELETE FROM contents") }
        }
    }
}
