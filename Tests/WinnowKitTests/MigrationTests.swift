import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// Stores made by older builds keep opening: they are migrated on open, data intact.
@Suite struct MigrationTests {
    @Test func aStoreAtSchema0001UpgradesWithCountsBackfilled() throws {
        let dir = TempDir()
        let path = dir.path("old.db")
        // Build a store as the 0001 release did: only the first migration, then data.
        do {
            let pool = try DatabasePool(path: path)
            try Migrations.migrator().migrate(pool, upTo: "0001_initial")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO sources (id, path, name, format, kind, sha256, bytes, imported_at) VALUES (1, 'a', 'a', 'jsonl', 'text', 'x', 1, 't');
                    INSERT INTO samples (id, uid, kind, status, revision_id, source_id, created_at) VALUES
                        (1, 's1', 'text', 'active', 1, 1, 't'), (2, 's2', 'text', 'active', 2, 1, 't'), (3, 's3', 'text', 'dropped', 3, 1, 't');
                    INSERT INTO contents (id, sample_id, hash, text) VALUES
                        (1, 1, randomblob(32), 'a'), (2, 2, randomblob(32), 'b'), (3, 3, randomblob(32), 'c');
                    INSERT INTO revisions (id, sample_id, content_id, origin, created_at) VALUES
                        (1, 1, 1, 'import', 't'), (2, 2, 2, 'import', 't'), (3, 3, 3, 'import', 't');
                    INSERT INTO scene_annotations (id, sample_id, dimension, category, origin, created_at) VALUES
                        (1, 1, 'domain', 'news', 'import', 't'), (2, 2, 'domain', 'news', 'import', 't'),
                        (3, 3, 'domain', 'news', 'import', 't');
                    """)
            }
            try pool.close()
        }
        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Migrations.identifiers.last)
        let report = try store.coverage(dimension: "domain")
        #expect(report.first?.unknown == ["news"])
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "SELECT count FROM scene_counts WHERE category = 'news'") } == 2)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try store.samples(SampleFilter()).count == 3)
    }

    /// RELIABILITY M3: no development option that could drop a user's data ships, and the
    /// store's connections enforce foreign keys.
    @Test func releaseConfigurationKeepsDataAndForeignKeys() throws {
        #expect(Migrations.migrator().eraseDatabaseOnSchemaChange == false)
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func sceneCountsFollowAnnotationsAndDrops() throws {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(["scene.domain=domain"])
        _ = try Importer(store: store, options: options).importFile(dir.write("a.jsonl", """
            {"id": "1", "text": "one", "domain": "news"}
            {"id": "2", "text": "two", "domain": "news"}
            {"id": "3", "text": "three", "domain": "sport"}
            """))
        func count(_ category: String) throws -> Int {
            try store.pool.read { try Int.fetchOne($0, sql: "SELECT count FROM scene_counts WHERE dimension = 'domain' AND category = ?", arguments: [category]) } ?? -1
        }
        #expect(try count("news") == 2)
        _ = try store.annotate([(1, SceneAssignment(uid: "1", dimension: "domain", category: "sport"))], origin: "file", file: "f")
        #expect(try count("news") == 1)
        #expect(try count("sport") == 2)
        try store.pool.write { try $0.execute(sql: "UPDATE samples SET status = 'dropped' WHERE uid = '3'") }
        #expect(try count("sport") == 1)
        try store.pool.write { try $0.execute(sql: "UPDATE samples SET status = 'active' WHERE uid = '3'") }
        #expect(try count("sport") == 2)
        // The maintained counts equal a full recount.
        let recount = try store.pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
                WHERE a.replaced_by IS NULL AND s.status = 'active' AND a.category = 'sport'
                """)
        }
        #expect(recount == 2)
    }
}
