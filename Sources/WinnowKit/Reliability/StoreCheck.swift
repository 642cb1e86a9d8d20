import Foundation
import GRDB

/// What `winnow check` found: SQLite's own integrity and foreign-key checks, and every
/// snapshot's fingerprint recomputed from its members (RELIABILITY F3, S3).
public struct StoreCheck: Codable, Sendable {
    public var integrity: [String]
    public var foreignKeyProblems: Int
    public var snapshots: [SnapshotCheck]
    public var ok: Bool { integrity == ["ok"] && foreignKeyProblems == 0 && snapshots.allSatisfy(\.ok) }

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
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(integrity, forKey: .integrity)
        try c.encode(foreignKeyProblems, forKey: .foreignKeyProblems)
        try c.encode(snapshots, forKey: .snapshots)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        integrity = try c.decode([String].self, forKey: .integrity)
        foreignKeyProblems = try c.decode(Int.self, forKey: .foreignKeyProblems)
        snapshots = try c.decode([SnapshotCheck].self, forKey: .snapshots)
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
            if integrity == ["ok"] {
                for row in try Row.fetchAll(db, sql: "SELECT id, name, fingerprint, scene_watermark FROM snapshots ORDER BY id") {
                    let pass = try Store.memberPass(db, snapshot: try row.value("id"), watermark: try row.value("scene_watermark"))
                    snapshots.append(
                        .init(
                            name: try row.value("name"), members: pass.members, stored: try row.value("fingerprint"),
                            recomputed: pass.fingerprint))
                }
            }
            return StoreCheck(integrity: integrity, foreignKeyProblems: fk, snapshots: snapshots)
        }
    }
}
