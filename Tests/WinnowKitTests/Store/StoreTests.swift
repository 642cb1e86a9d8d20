import Crypto
import Foundation
import GRDB
import Testing
@testable import WinnowKit

@Suite struct StoreTests {
    /// Rule 6: a landed migration never changes (stores out there were made by it). Each one's
    /// SHA-256 is pinned here when it lands; a new migration file must be added to the list,
    /// and an edit to a pinned one fails. History broke the rule twice before this test.
    static let landedMigrations: [String: String] = [
        "0001_initial.sql": "f5d0ce036ac547f95229bb49911689f57de27d9b4066a98b66b91dd4ac969906",
        "0002_scene_counts.sql": "9564a17b04b233773090ce04c4541dbb9faea4b4b2fda90c0aa841c58598ae32",
        "0003_review.sql": "f357006d6f3da2403ec24fa22cd1baffd40ccd87a71e287f71c505554e4957b6",
        "0004_content_hash.sql": "5c9974e22875d5921c2952dc188059ab8772a04f79f0e72402e2df9a780bcd45",
        "0005_bulk_decisions.sql": "b6e8dd7e6ab2d136113121befbd40e6147b176171a2fd31c2ad34c37cbe8f6e3",
        "0006_snapshot_clusters.sql": "6a36410a3e96b22f2ecfb0eedb319c9043337fd353fb784a4ff48baf2132a5aa",
        "0007_augmentation.sql": "d117d8d787da8b381abb0e8e1bb5ee7b2ec56147d105230704b48a758c0e7c15",
        "0008_vectors.sql": "acfa0acd5493d5f29769dd3535508f600e073cf05894bbc25b8f0fd92d4acef9",
        "0009_content_search.sql": "1eb0106269f85d1d1a03878647d92285ed8bf14e251e3ef7074a58e4c079585b",
        "0010_parquet_sources.sql": "5f02225c625e8be1acd505bb758f1d516183955cce1868d7994b53587482ebdc",
    ]

    @Test func landedMigrationsNeverChange() throws {
        let folder = repoRoot + "/migrations"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(
            Set(files) == Set(Self.landedMigrations.keys),
            "a migration was added or removed: pin a new one's SHA-256 in StoreTests.landedMigrations when it lands; never remove one")
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            if let pinned = Self.landedMigrations[file] {
                #expect(digest == pinned, "\(file) changed after it landed: stores made by it exist; add a new numbered migration instead")
            }
        }
    }

    @Test func newStoreIsMarkedAndMigrated() throws {
        let dir = TempDir()
        let store = try dir.store()
        #expect(try store.schemaVersion() == Migrations.identifiers.last)
        let (appID, journal, fk) = try store.read { db in
            (
                try Int32.fetchOne(db, sql: "PRAGMA application_id"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
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
            try store.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
            }
            try store.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            // Closed when `store` goes out of scope (readers, then the writer: the WAL is checkpointed away).
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
        // Refused by the schema's triggers; the façade reports it as a WinnowError.
        #expect(throws: WinnowError.self) {
            try store.write { try $0.execute(sql: "UPDATE revisions SET label = 'x'") }
        }
        #expect(throws: WinnowError.self) {
            try store.write { try $0.execute(sql: "DELETE FROM contents") }
        }
    }
}
