import Crypto
import Foundation
import GRDB

/// `snapshot create|show --json` (SPEC section 11).
public struct SnapshotInfo: Codable, Sendable {
    public var name: String
    public var fingerprint: String
    public var members: Int
    public var createdAt: String
    @NullEncodable public var message: String?
    public var labels: [String: Int]

    enum CodingKeys: String, CodingKey {
        case name, fingerprint, members, message, labels
        case createdAt = "created_at"
    }
}

/// `snapshot diff --json`: counts, and with a limit the uids.
public struct SnapshotDiff: Codable, Sendable {
    public var from: String
    public var to: String
    public var added: Int
    public var removed: Int
    public var contentChanged: Int
    public var relabeled: Int
    public var reannotated: Int
    public var uids: [String: [String]]?

    enum CodingKeys: String, CodingKey {
        case from, to, added, removed, relabeled, reannotated, uids
        case contentChanged = "content_changed"
    }
}

/// Which samples a snapshot takes.
public struct SnapshotSelection: Sendable {
    public var excludeFlagged = false
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var source: String?
    public init() {}

    var json: String {
        var pairs: [(String, String)] = [("exclude_flagged", excludeFlagged ? "true" : "false")]
        if let label { pairs.append(("label", JSONText.quote(label))) }
        if let scene { pairs.append(("scene", JSONText.quote("\(scene.dimension)=\(scene.category)"))) }
        if let source { pairs.append(("source", JSONText.quote(source))) }
        return jsonObject(pairs)
    }
}

/// One member as the fingerprint and exports see it.
struct SnapshotMember {
    var sampleID: Int64
    var uid: String
    var hash: [UInt8]
    var label: String?
    var scenes: [(String, String)]
}

extension Store {
    /// Freezes the active samples (narrowed by `selection`) with their current revision,
    /// label and scene annotations. No content is copied: members point at revisions.
    public func createSnapshot(name: String, message: String?, selection: SnapshotSelection) throws -> SnapshotInfo {
        guard !name.isEmpty, !name.contains(":") else {
            throw WinnowError.invalidArgument("a snapshot name must be non-empty and without ':'")
        }
        return try writeImmediate { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM snapshots WHERE name = ?)", arguments: [name]) == true {
                throw WinnowError.invalidArgument("snapshot '\(name)' exists already and never changes; choose another name (snapshots are immutable)")
            }
            var conditions = ["s.status = 'active'"]
            var arguments: StatementArguments = []
            if selection.excludeFlagged { conditions.append("NOT EXISTS (SELECT 1 FROM flags f WHERE f.sample_id = s.id AND f.status = 'open')") }
            let shared = Store.selectionConditions(label: selection.label, scene: selection.scene, source: selection.source)
            conditions += shared.conditions
            arguments += shared.arguments
            let watermark = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scene_annotations") ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.id, s.uid, s.revision_id, c.hash, r.label FROM samples s
                JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.id
                """, arguments: arguments)
            let scenes = try Store.scenes(db, watermark: watermark)
            let members = rows.map { row in
                SnapshotMember(sampleID: row["id"], uid: row["uid"], hash: [UInt8](row["hash"] as Data), label: row["label"],
                               scenes: scenes[row["id"] as Int64] ?? [])
            }
            let now = Timestamp.string(Date())
            let metrics = try Store.snapshotMetrics(db, members: members)
            try db.execute(sql: """
                INSERT INTO snapshots (name, message, created_at, fingerprint, members, selection, scene_watermark, metrics)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [name, message, now, Store.fingerprint(members), rows.count, selection.json, watermark, metrics])
            let snapshotID = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: "INSERT INTO snapshot_members (snapshot_id, sample_id, revision_id) VALUES (?, ?, ?)")
            for row in rows { try insert.execute(arguments: [snapshotID, row["id"] as Int64, row["revision_id"] as Int64]) }
            return try Store.snapshotInfo(db, name: name)
        }
    }
}

extension Store {
    /// Scene annotations in force at `watermark`, per sample, sorted by dimension.
    static func scenes(_ db: Database, watermark: Int64) throws -> [Int64: [(String, String)]] {
        var result: [Int64: [(String, String)]] = [:]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT sample_id, dimension, category FROM scene_annotations
            WHERE id <= ? AND (replaced_by IS NULL OR replaced_by > ?) ORDER BY sample_id, dimension
            """, arguments: [watermark, watermark])
        while let row = try cursor.next() {
            result[row["sample_id"] as Int64, default: []].append((row["dimension"], row["category"]))
        }
        return result
    }

    /// SHA-256 over the members sorted by uid, one line each: uid, content hash (hex), label,
    /// and the scenes as dimension=category joined by ';', separated by tabs.
    static func fingerprint(_ members: [SnapshotMember]) -> String {
        var hasher = SHA256()
        for m in members.sorted(by: { $0.uid < $1.uid }) {
            let scenes = m.scenes.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
            hasher.update(data: Array("\(m.uid)\t\(ContentHash.hex(m.hash))\t\(m.label ?? "")\t\(scenes)\n".utf8))
        }
        return ContentHash.hex(Array(hasher.finalize()))
    }

    /// A snapshot's members as stored: each sample's frozen revision and the scenes in force then.
    static func members(_ db: Database, snapshot: Int64, watermark: Int64) throws -> [SnapshotMember] {
        let scenes = try Store.scenes(db, watermark: watermark)
        return try Row.fetchAll(db, sql: """
            SELECT m.sample_id, s.uid, c.hash, r.label FROM snapshot_members m JOIN samples s ON s.id = m.sample_id
            JOIN revisions r ON r.id = m.revision_id JOIN contents c ON c.id = r.content_id
            WHERE m.snapshot_id = ? ORDER BY m.sample_id
            """, arguments: [snapshot]).map { row in
            SnapshotMember(sampleID: row["sample_id"], uid: row["uid"], hash: [UInt8](row["hash"] as Data), label: row["label"],
                           scenes: scenes[row["sample_id"] as Int64] ?? [])
        }
    }

    static func snapshotRow(_ db: Database, name: String) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshots WHERE name = ?", arguments: [name]) else {
            let names = try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id")
            throw WinnowError.invalidArgument("no snapshot '\(name)'; snapshots: \(names.isEmpty ? "none (make one with `winnow snapshot create NAME`)" : names.joined(separator: ", "))")
        }
        return row
    }

    static func snapshotInfo(_ db: Database, name: String) throws -> SnapshotInfo {
        let row = try snapshotRow(db, name: name)
        var labels: [String: Int] = [:]
        for l in try Row.fetchAll(db, sql: """
            SELECT r.label, count(*) AS n FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
            WHERE m.snapshot_id = ? AND r.label IS NOT NULL GROUP BY r.label
            """, arguments: [row["id"] as Int64]) {
            labels[l["label"]] = l["n"]
        }
        return SnapshotInfo(name: row["name"], fingerprint: row["fingerprint"], members: row["members"],
                            createdAt: row["created_at"], message: row["message"], labels: labels)
    }

    /// One snapshot.
    public func snapshot(_ name: String) throws -> SnapshotInfo {
        try pool.read { db in try Store.snapshotInfo(db, name: name) }
    }

    /// Every snapshot, oldest first.
    public func snapshots() throws -> [SnapshotInfo] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id").map { try Store.snapshotInfo(db, name: $0) }
        }
    }

    /// Recomputes a snapshot's fingerprint from its members; returns (stored, recomputed).
    public func verifySnapshot(_ name: String) throws -> (stored: String, recomputed: String, members: Int) {
        try pool.read { db in
            let row = try Store.snapshotRow(db, name: name)
            let members = try Store.members(db, snapshot: row["id"], watermark: row["scene_watermark"])
            return (row["fingerprint"], Store.fingerprint(members), members.count)
        }
    }

    /// What changed from snapshot `a` to snapshot `b`.
    public func diffSnapshots(_ a: String, _ b: String, limit: Int?) throws -> SnapshotDiff {
        try pool.read { db in
            let ra = try Store.snapshotRow(db, name: a), rb = try Store.snapshotRow(db, name: b)
            let ma = try Store.members(db, snapshot: ra["id"], watermark: ra["scene_watermark"])
            let mb = try Store.members(db, snapshot: rb["id"], watermark: rb["scene_watermark"])
            let byA = Dictionary(uniqueKeysWithValues: ma.map { ($0.sampleID, $0) })
            let byB = Dictionary(uniqueKeysWithValues: mb.map { ($0.sampleID, $0) })
            var lists: [String: [String]] = ["added": [], "removed": [], "content_changed": [], "relabeled": [], "reannotated": []]
            for m in mb where byA[m.sampleID] == nil { lists["added"]!.append(m.uid) }
            for m in ma where byB[m.sampleID] == nil { lists["removed"]!.append(m.uid) }
            for m in mb {
                guard let old = byA[m.sampleID] else { continue }
                if old.hash != m.hash { lists["content_changed"]!.append(m.uid) }
                if old.label != m.label { lists["relabeled"]!.append(m.uid) }
                if old.scenes.map({ "\($0.0)=\($0.1)" }) != m.scenes.map({ "\($0.0)=\($0.1)" }) { lists["reannotated"]!.append(m.uid) }
            }
            return SnapshotDiff(from: a, to: b, added: lists["added"]!.count, removed: lists["removed"]!.count,
                                contentChanged: lists["content_changed"]!.count, relabeled: lists["relabeled"]!.count,
                                reannotated: lists["reannotated"]!.count,
                                uids: limit.map { n in lists.mapValues { Array($0.sorted().prefix(n)) } })
        }
    }
}

/// Figures frozen with a snapshot, so exports describe it as it was made.
public struct SnapshotMetrics: Codable, Sendable {
    /// Label names in index order.
    public var labels: [String]
    public var labelCounts: [String: Int]
    public var classWeights: Balance.Weights
    public var coverage: [CoverageReport]
    /// Per detector, flags on the members: open, confirmed, dismissed.
    public var flags: [String: [String: Int]]
    /// Decisions on the members by action.
    public var review: [String: Int]

    enum CodingKeys: String, CodingKey {
        case labels, coverage, flags, review
        case labelCounts = "label_counts"
        case classWeights = "class_weights"
    }
}

extension Store {
    static func snapshotMetrics(_ db: Database, members: [SnapshotMember]) throws -> String {
        var labelCounts: [String: Int] = [:]
        for m in members { if let l = m.label { labelCounts[l, default: 0] += 1 } }
        let fixed = try String.fetchAll(db, sql: "SELECT name FROM labels ORDER BY position")
        let order = fixed + labelCounts.keys.filter { !fixed.contains($0) }.sorted()
        let weights = Balance.weights(order.map { labelCounts[$0] ?? 0 })
        let taxonomy = try Store.taxonomy(db)
        var dims: [String: [String: Int]] = [:]
        var annotated: [String: Int] = [:]
        for m in members {
            for (d, c) in m.scenes { dims[d, default: [:]][c, default: 0] += 1; annotated[d, default: 0] += 1 }
        }
        var names = taxonomy.dimensions.map(\.name)
        for d in dims.keys.sorted() where !names.contains(d) { names.append(d) }
        let coverage = names.map { name in
            Coverage.report(dimension: name,
                            categories: taxonomy.dimensions.first { $0.name == name }?.categories.map {
                                Coverage.Spec(name: $0.name, target: $0.target, weight: $0.weight) } ?? [],
                            counts: dims[name] ?? [:], unannotated: members.count - (annotated[name] ?? 0))
        }
        let ids = Set(members.map(\.sampleID))
        var flags: [String: [String: Int]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sample_id, detector, status FROM flags") where ids.contains(row["sample_id"] as Int64) {
            flags[row["detector"], default: ["open": 0, "confirmed": 0, "dismissed": 0]][row["status"] as String, default: 0] += 1
        }
        var review: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sample_id, action FROM decisions WHERE undone_at IS NULL") where ids.contains(row["sample_id"] as Int64) {
            review[row["action"], default: 0] += 1
        }
        let metrics = SnapshotMetrics(labels: order, labelCounts: labelCounts, classWeights: weights, coverage: coverage,
                                      flags: flags, review: review)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(metrics), as: UTF8.self)
    }
}
