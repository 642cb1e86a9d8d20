import Foundation
import GRDB

/// What `winnow check` found: SQLite's own integrity and foreign-key checks, and every
/// snapshot's fingerprint recomputed from its members (RELIABILITY F3, S3).
public struct StoreCheck: Codable, Sendable {
    public var integrity: [String]
    public var foreignKeyProblems: Int
    public var snapshots: [SnapshotCheck]
    /// `augmented_samples` rows Winnow never writes: a parent that is itself augmented, a
    /// sample its own parent, or operations that are not a JSON array (references to samples
    /// and runs are checked with the other foreign keys).
    public var augmentationProblems: Int = 0
    public var ok: Bool { integrity == ["ok"] && foreignKeyProblems == 0 && augmentationProblems == 0 && snapshots.allSatisfy(\.ok) }

    public struct SnapshotCheck: Codable, Sendable {
        public var name: String
        public var members: Int
        public var stored: String
        public var recomputed: String
        public var ok: Bool { stored == recomputed }
    }

    enum CodingKeys: String, CodingKey {
        case integrity, snapshots, ok
        case foreignKeyProblems = "foreign_key_problems"
        case augmentationProblems = "augmentation_problems"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(integrity, forKey: .integrity)
        try c.encode(foreignKeyProblems, forKey: .foreignKeyProblems)
        try c.encode(augmentationProblems, forKey: .augmentationProblems)
        try c.encode(snapshots, forKey: .snapshots)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        integrity = try c.decode([String].self, forKey: .integrity)
        foreignKeyProblems = try c.decode(Int.self, forKey: .foreignKeyProblems)
        snapshots = try c.decode([SnapshotCheck].self, forKey: .snapshots)
        augmentationProblems = try c.decodeIfPresent(Int.self, forKey: .augmentationProblems) ?? 0
    }

    init(integrity: [String], foreignKeyProblems: Int, snapshots: [SnapshotCheck]) {
        self.integrity = integrity
        self.foreignKeyProblems = foreignKeyProblems
        self.snapshots = snapshots
    }
}

extension Store {
    /// Checks the store at `path` through a read-only connection: nothing is written, not
    /// even a migration, so a damaged file stays as it was found.
    public static func check(path: String) throws -> StoreCheck {
        _ = try checkFile(path: path, allowMissing: false)
        try preflight(path: path)
        return try readOnly(path: path) { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check(100)")
            let fk = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
            var snapshots: [StoreCheck.SnapshotCheck] = []
            var augmentation = 0
            if integrity == ["ok"] {
                augmentation =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM augmented_samples x
                            WHERE x.parent_id = x.sample_id OR NOT json_valid(x.operations) OR json_type(x.operations) <> 'array'
                               OR EXISTS (SELECT 1 FROM augmented_samples p WHERE p.sample_id = x.parent_id)
                            """) ?? 0
                for row in try Row.fetchAll(db, sql: "SELECT id, name, fingerprint, scene_watermark FROM snapshots ORDER BY id") {
                    let pass = try Store.memberPass(db, snapshot: try row.value("id"), watermark: try row.value("scene_watermark"))
                    snapshots.append(
                        .init(
                            name: try row.value("name"), members: pass.members, stored: try row.value("fingerprint"),
                            recomputed: pass.fingerprint))
                }
            }
            var check = StoreCheck(integrity: integrity, foreignKeyProblems: fk, snapshots: snapshots)
            check.augmentationProblems = augmentation
            return check
        }
    }
}
