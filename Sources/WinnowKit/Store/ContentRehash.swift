import Crypto
import Foundation
import GRDB

/// The data step of migration 0004_content_hash: re-hashes the contents whose hash the
/// escaping changed (those with U+001B, U+001E or U+001F in a field), and recomputes the
/// fingerprint of each snapshot holding one — only if that snapshot verified under the old
/// hashes, so a snapshot whose data was already altered keeps failing `snapshot verify`.
/// What it replaces is kept in `rehashed_contents` and `refingerprinted_snapshots`.
enum ContentRehash {
    static func run(_ db: Database) throws {
        // Candidates by a scan in SQLite; stored messages are JSON, where the three are \u00XX.
        var conditions: [String] = []
        for column in ContentColumns.names {
            for code in [27, 30, 31] { conditions.append("instr(\(column), char(\(code))) > 0") }
        }
        for escape in ["\\u001b", "\\u001e", "\\u001f"] { conditions.append("messages LIKE '%\(escape)%'") }
        var changed: [(id: Int64, old: Data, new: Data)] = []
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, hash, \(ContentColumns.selectList("")) FROM contents
                WHERE \(conditions.joined(separator: " OR "))
                """)
        while let row = try rows.next() {
            let new = Data(ContentHash.of(try ContentColumns.content(row)))
            let old: Data = try row.value("hash")
            if new != old { changed.append((try row.value("id"), old, new)) }
        }
        if changed.isEmpty { return }

        try db.execute(sql: "CREATE TEMP TABLE rehash_ids (id INTEGER PRIMARY KEY)")
        defer { try? db.execute(sql: "DROP TABLE temp.rehash_ids") }
        for c in changed { try db.execute(sql: "INSERT INTO temp.rehash_ids (id) VALUES (?)", arguments: [c.id]) }

        // Which snapshots hold a changed content, and whether each verifies now.
        var verified: [(id: Int64, watermark: Int64, old: String)] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, s.fingerprint, s.scene_watermark FROM snapshots s
                WHERE EXISTS (SELECT 1 FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
                              WHERE m.snapshot_id = s.id AND r.content_id IN (SELECT id FROM temp.rehash_ids))
                ORDER BY s.id
                """)
        {
            let id: Int64 = try row.value("id"), watermark: Int64 = try row.value("scene_watermark")
            let stored: String = try row.value("fingerprint")
            if try Store.memberPass(db, snapshot: id, watermark: watermark).fingerprint == stored {
                verified.append((id, watermark, stored))
            }
        }

        // Two passes, so no new hash meets an old one still in place (hash is UNIQUE).
        for c in changed {
            let placeholder = Data(SHA256.hash(data: Data("winnow 0004 placeholder \(c.id)".utf8)))
            try db.execute(sql: "UPDATE contents SET hash = ? WHERE id = ?", arguments: [placeholder, c.id])
        }
        for c in changed {
            try db.execute(sql: "UPDATE contents SET hash = ? WHERE id = ?", arguments: [c.new, c.id])
            try db.execute(sql: "INSERT INTO rehashed_contents (content_id, old_hash) VALUES (?, ?)", arguments: [c.id, c.old])
        }
        for s in verified {
            let fingerprint = try Store.memberPass(db, snapshot: s.id, watermark: s.watermark).fingerprint
            try db.execute(sql: "UPDATE snapshots SET fingerprint = ? WHERE id = ?", arguments: [fingerprint, s.id])
            try db.execute(
                sql: "INSERT INTO refingerprinted_snapshots (snapshot_id, old_fingerprint) VALUES (?, ?)",
                arguments: [s.id, s.old])
        }
    }
}
