import Foundation
import GRDB

/// The clusters `--group near-duplicate` (or another duplicate detector's grouping) keeps in
/// one split: per sample, the sample id of its cluster's representative (the cluster's
/// earliest member). Frozen per detector with each snapshot when it is made
/// (`snapshot_clusters`, migrations 0006 and 0008), so flags changed afterwards never change
/// how an immutable snapshot is split.
struct NearDuplicateClusters {
    /// Per clustered sample, its cluster's representative.
    var clusterOf: [Int64: Int64]
    /// false when read from the flags as they are now: the snapshot was made before clusters
    /// were frozen with snapshots.
    var frozen: Bool
    /// Frozen before any near-duplicate detection had run (no clusters kept), while members of
    /// the snapshot have near-duplicate flags now: grouping keeps nothing together.
    var frozenBeforeDetection = false

    /// The clusters `grouping` keeps together for snapshot `id`: its detector's, as `of(snapshot:detector:)`.
    static func of(snapshot id: Int64, grouping: SplitGrouping, _ db: Database) throws -> NearDuplicateClusters {
        try of(snapshot: id, detector: grouping.rawValue, db)
    }

    /// The clusters of snapshot `id`: those frozen with it, else (a snapshot older than 0006,
    /// or for semantic-duplicate older than 0008) those of the detector's flags now.
    static func of(snapshot id: Int64, detector: String = DetectorName.nearDuplicate.rawValue, _ db: Database) throws -> NearDuplicateClusters {
        let key: [String: (any DatabaseValueConvertible)?] = ["snapshot_id": id, "detector": detector]
        guard let set = try SnapshotClusterSetRecord.fetchOne(db, key: key) else {
            return NearDuplicateClusters(clusterOf: try live(db, detector: detector), frozen: false)
        }
        var clusterOf: [Int64: Int64] = [:]
        let rows = try Row.fetchCursor(
            db, sql: "SELECT sample_id, cluster FROM snapshot_clusters WHERE snapshot_id = ? AND detector = ?", arguments: [id, detector])
        while let r = try rows.next() { clusterOf[try r.decode(atIndex: 0)] = try r.decode(atIndex: 1) }
        var clusters = NearDuplicateClusters(clusterOf: clusterOf, frozen: true)
        if clusterOf.isEmpty, set.flags == 0 {
            clusters.frozenBeforeDetection =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM flags f JOIN snapshot_members m ON m.sample_id = f.sample_id AND m.snapshot_id = ?
                                       WHERE f.detector = ?)
                        """, arguments: [id, detector]) ?? false
        }
        return clusters
    }

    /// At `snapshot create`, inside its transaction once the members are in: keeps the cluster
    /// of every member that `detector`'s flags put in one.
    static func freeze(_ db: Database, snapshot id: Int64, detector: String = DetectorName.nearDuplicate.rawValue) throws {
        let flags = try FlagRecord.filter(FlagRecord.Columns.detector == detector).fetchCount(db)
        try SnapshotClusterSetRecord(snapshotId: id, detector: detector, flags: Int64(flags)).insert(db)
        guard flags > 0 else { return }
        let insert = try db.makeStatement(
            sql: """
                INSERT INTO snapshot_clusters (snapshot_id, detector, sample_id, cluster)
                SELECT ?1, ?4, ?2, ?3 WHERE EXISTS (SELECT 1 FROM snapshot_members WHERE snapshot_id = ?1 AND sample_id = ?2)
                """)
        for (sample, cluster) in try live(db, detector: detector) { try insert.execute(arguments: [id, sample, cluster, detector]) }
    }

    /// From `detector`'s flags in the store now, of any status: a flagged sample and the
    /// representative its flag names are in one cluster, and clusters that share a sample are one.
    static func live(_ db: Database, detector: String = DetectorName.nearDuplicate.rawValue) throws -> [Int64: Int64] {
        // Union-find over (sample, named representative): flags from different runs that chain
        // (a reviewed flag naming an older cluster) end in one cluster, keyed by its smallest
        // sample id, which for one run's flags is the representative they name.
        var root: [Int64: Int64] = [:]
        func find(_ x: Int64) -> Int64 {
            var x = x
            while let r = root[x], r != x { root[x] = root[r] ?? r; x = r }
            return x
        }
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT sample_id, json_extract(details, '$.cluster') AS cluster FROM flags WHERE detector = ? ORDER BY id
                """, arguments: [detector])
        while let r = try rows.next() {
            guard let c: Int64 = try r.value("cluster") else { continue }
            let sample: Int64 = try r.value("sample_id")
            if root[sample] == nil { root[sample] = sample }
            if root[c] == nil { root[c] = c }
            let ra = find(sample), rc = find(c)
            if ra != rc { root[max(ra, rc)] = min(ra, rc) }
        }
        var clusterOf: [Int64: Int64] = [:]
        for sample in root.keys { clusterOf[sample] = find(sample) }
        return clusterOf
    }
}
