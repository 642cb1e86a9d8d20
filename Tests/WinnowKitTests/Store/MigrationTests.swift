import Crypto
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
                try db.execute(
                    sql: """
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
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count FROM scene_counts WHERE category = 'news'") } == 2)
        #expect(try store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try store.samples(SampleFilter()).count == 3)
    }

    /// Issue 11 item 9: the 0003 fixture with a crafted colliding pair (hashed the old way,
    /// U+001F inside a field) upgrades: that content alone is re-hashed, the snapshot holding
    /// it that verified gets a new fingerprint and verifies, one that did not verify still does
    /// not, the fixture's own snapshots keep theirs, and the other half of the pair imports.
    @Test func upgradeFrom0003ReHashesACollidingPairAndKeepsSnapshotsVerifying() throws {
        let dir = TempDir()
        let path = dir.path("old.db")
        try FileManager.default.copyItem(atPath: fixtures + "/stores/0003_review.db", toPath: path)
        func legacyHash(_ fields: [String], kind: String) -> Data {
            var bytes = Array(kind.utf8) + [0x1E]
            for (i, f) in fields.enumerated() { if i > 0 { bytes.append(0x1F) }; bytes += Normalizer.normalize(f) }
            return Data(SHA256.hash(data: bytes))
        }
        var fixtureFingerprints: [String: String] = [:]
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                #expect(try String.fetchOne(db, sql: "SELECT max(identifier) FROM grdb_migrations") == "0003_review")
                for row in try Row.fetchAll(db, sql: "SELECT name, fingerprint FROM snapshots") { fixtureFingerprints[row["name"]] = row["fingerprint"] }
                let source = try Int64.fetchOne(db, sql: "SELECT min(id) FROM sources")!
                let sample = try Int64.fetchOne(db, sql: "SELECT max(id) + 1 FROM samples")!
                let content = try Int64.fetchOne(db, sql: "SELECT max(id) + 1 FROM contents")!
                let revision = try Int64.fetchOne(db, sql: "SELECT max(id) + 1 FROM revisions")!
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                try db.execute(
                    sql: """
                        INSERT INTO samples (id, uid, kind, revision_id, source_id, created_at) VALUES (?, 'crafted', 'pair', ?, ?, 't');
                        INSERT INTO contents (id, sample_id, hash, text_a, text_b) VALUES (?, ?, ?, ?, 'p');
                        INSERT INTO revisions (id, sample_id, content_id, label, origin, created_at) VALUES (?, ?, ?, 'entailment', 'import', 't');
                        """,
                    arguments: [
                        sample, revision, source, content, sample, legacyHash(["q\u{1F}x", "p"], kind: "pair"), "q\u{1F}x",
                        revision, sample, content,
                    ])
                // A chat whose message holds U+001E: stored as JSON, where it is \u001e.
                let messages = SampleContent.messagesJSON([ChatMessage(role: "user", content: "hi\u{1E}there")])
                #expect(messages.contains("\\u001e"))
                try db.execute(
                    sql: """
                        INSERT INTO samples (id, uid, kind, revision_id, source_id, created_at) VALUES (?, 'crafted-chat', 'chat', ?, ?, 't');
                        INSERT INTO contents (id, sample_id, hash, messages) VALUES (?, ?, ?, ?);
                        INSERT INTO revisions (id, sample_id, content_id, origin, created_at) VALUES (?, ?, ?, 'import', 't');
                        """,
                    arguments: [
                        sample + 1, revision + 1, source, content + 1, sample + 1, legacyHash(["user", "hi\u{1E}there"], kind: "chat"),
                        messages, revision + 1, sample + 1, content + 1,
                    ])
                let watermark = try Int64.fetchOne(db, sql: "SELECT max(id) FROM scene_annotations") ?? 0
                for (id, name, good) in [(Int64(10), "crafted-ok", true), (Int64(11), "crafted-tampered", false)] {
                    try db.execute(
                        sql: """
                            INSERT INTO snapshot_members (snapshot_id, sample_id, revision_id)
                            SELECT ?, id, revision_id FROM samples WHERE status = 'active'
                            """, arguments: [id])
                    let fingerprint = good ? try Store.memberPass(db, snapshot: id, watermark: watermark).fingerprint : String(repeating: "0", count: 64)
                    let members = try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshot_members WHERE snapshot_id = ?", arguments: [id])!
                    try db.execute(
                        sql: """
                            INSERT INTO snapshots (id, name, created_at, fingerprint, members, scene_watermark) VALUES (?, ?, 't', ?, ?, ?)
                            """, arguments: [id, name, fingerprint, members, watermark])
                    if good { fixtureFingerprints[name] = fingerprint }
                }
            }
            try queue.close()
        }
        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Migrations.identifiers.last)
        let stored = try store.sample(uid: "crafted")
        #expect(stored.contentHash == ContentHash.hex(ContentHash.of(.pair("q\u{1F}x", "p"))))
        #expect(try store.sample(uid: "crafted-chat").contentHash == ContentHash.hex(ContentHash.of(.chat([ChatMessage(role: "user", content: "hi\u{1E}there")]))))
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM rehashed_contents") } == 2)
        // The fixture's contents kept their hashes: its snapshots keep their fingerprints and verify.
        for name in ["v1", "v2"] {
            let v = try store.verifySnapshot(name)
            #expect(v.stored == fixtureFingerprints[name] && v.recomputed == v.stored, "\(name)")
        }
        let ok = try store.verifySnapshot("crafted-ok")
        #expect(ok.stored == ok.recomputed)
        #expect(ok.stored != fixtureFingerprints["crafted-ok"])
        #expect(
            try store.read { try String.fetchOne($0, sql: "SELECT old_fingerprint FROM refingerprinted_snapshots WHERE snapshot_id = 10") }
                == fixtureFingerprints["crafted-ok"])
        let tampered = try store.verifySnapshot("crafted-tampered")
        #expect(tampered.stored != tampered.recomputed)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM refingerprinted_snapshots") } == 1)
        // Immutability is back in force.
        #expect(throws: (any Error).self) { try store.write { try $0.execute(sql: "UPDATE snapshots SET fingerprint = 'x' WHERE id = 10") } }
        #expect(throws: (any Error).self) { try store.write { try $0.execute(sql: "UPDATE contents SET text = 'x' WHERE id = 1") } }
        // The other half of the old collision is a sample of its own now.
        let result = try Importer(store: store, options: ImportOptions()).importFile(
            dir.write("other.jsonl", #"{"id": "other", "text_a": "q", "text_b": "x\u001fp", "label": "neutral"}"# + "\n"))
        #expect(result.imported == 1 && result.duplicates == 0 && result.labelConflicts == 0)
        #expect(try store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    /// RELIABILITY M3: no development option that could drop a user's data ships, and the
    /// store's connections enforce foreign keys.
    @Test func releaseConfigurationKeepsDataAndForeignKeys() throws {
        #expect(Migrations.migrator().eraseDatabaseOnSchemaChange == false)
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        #expect(try store.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.write { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func sceneCountsFollowAnnotationsAndDrops() throws {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(["scene.domain=domain"])
        _ = try Importer(store: store, options: options).importFile(
            dir.write(
                "a.jsonl",
                """
                {"id": "1", "text": "one", "domain": "news"}
                {"id": "2", "text": "two", "domain": "news"}
                {"id": "3", "text": "three", "domain": "sport"}
                """))
        func count(_ category: String) throws -> Int {
            try store.read { try Int.fetchOne($0, sql: "SELECT count FROM scene_counts WHERE dimension = 'domain' AND category = ?", arguments: [category]) } ?? -1
        }
        #expect(try count("news") == 2)
        _ = try store.annotate([(1, SceneAssignment(uid: "1", dimension: "domain", category: "sport"))], origin: "file", file: "f")
        #expect(try count("news") == 1)
        #expect(try count("sport") == 2)
        try store.write { try $0.execute(sql: "UPDATE samples SET status = 'dropped' WHERE uid = '3'") }
        #expect(try count("sport") == 1)
        try store.write { try $0.execute(sql: "UPDATE samples SET status = 'active' WHERE uid = '3'") }
        #expect(try count("sport") == 2)
        // The maintained counts equal a full recount.
        let recount = try store.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
                    WHERE a.replaced_by IS NULL AND s.status = 'active' AND a.category = 'sport'
                    """)
        }
        #expect(recount == 2)
    }
}
