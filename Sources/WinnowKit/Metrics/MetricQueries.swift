import Foundation
import GRDB

/// A snapshot the metrics are computed over instead of the live store (`--snapshot NAME`):
/// its members, each with its frozen revision (content and label), and the scene annotations
/// in force at its watermark. `nil` in the queries below means the live store: active samples
/// with their current revision and annotations.
struct MetricSnapshot {
    var id: Int64
    var name: String
    /// Scene annotations with id <= this were in force when it was made.
    var watermark: Int64
    var createdAt: String
    /// The figures frozen with it (`SnapshotMetrics` as JSON).
    var metrics: String

    /// The named snapshot, or nil (the live store) without a name; an unknown name throws an
    /// error naming the snapshots there are.
    static func named(_ name: String?, in db: Database) throws -> MetricSnapshot? {
        guard let name else { return nil }
        let snapshot = try Store.snapshotRecord(db, name: name)
        return MetricSnapshot(
            id: snapshot.id ?? 0, name: name, watermark: snapshot.sceneWatermark,
            createdAt: snapshot.createdAt, metrics: snapshot.metrics)
    }
}

/// Counts for the metrics, taken with SQL over the live store or over a snapshot.
extension Store {
    /// Samples per category of each dimension. Live: active samples' current annotations, read
    /// from `scene_counts`, which triggers keep. Snapshot: its members' annotations in force at
    /// its watermark (id <= W, not replaced by W), by one group-by over the annotation history.
    static func sceneCounts(_ db: Database, snapshot: MetricSnapshot?) throws -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        let rows: [Row]
        if let snapshot {
            // Annotations outermost (a range of their ids), members by primary key: there is no
            // index of all annotations by sample, so the other order would scan them per member.
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.dimension, a.category, count(*) AS count
                    FROM scene_annotations a CROSS JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = a.sample_id
                    WHERE a.id <= ? AND (a.replaced_by IS NULL OR a.replaced_by > ?)
                    GROUP BY a.dimension, a.category
                    """, arguments: [snapshot.id, snapshot.watermark, snapshot.watermark])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT dimension, category, count FROM scene_counts WHERE count > 0")
        }
        for row in rows {
            let dimension: String = try row.value("dimension"), category: String = try row.value("category")
            counts[dimension, default: [:]][category] = try row.value("count", as: Int.self)
        }
        return counts
    }

    /// The samples the metrics count: active samples, or a snapshot's members.
    static func sampleCount(_ db: Database, snapshot: MetricSnapshot?) throws -> Int {
        if let snapshot {
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshot_members WHERE snapshot_id = ?", arguments: [snapshot.id]) ?? 0
        }
        return try activeCount(db)
    }

    static func activeCount(_ db: Database) throws -> Int {
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? 0
        // Matches the partial index samples_by_status, so only non-active samples are read.
        let inactive = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE status <> '\(SampleStatus.active.rawValue)'") ?? 0
        return total - inactive
    }

    /// Scene coverage per dimension (SPEC section 4), over the live store or a snapshot's
    /// members; categories, targets and weights come from the current taxonomy either way.
    public func coverage(
        dimension: String? = nil, minCount: Int = 1, overFill: Double = 1.5,
        snapshot: String? = nil
    ) throws -> [CoverageReport] {
        try read { db in
            let snapshot = try MetricSnapshot.named(snapshot, in: db)
            let taxonomy = try Store.taxonomy(db)
            let counts = try Store.sceneCounts(db, snapshot: snapshot)
            var names = taxonomy.dimensionNames(with: counts)
            if let dimension {
                guard names.contains(dimension) else {
                    throw WinnowError.invalidArgument(
                        "no dimension '\(dimension)' in the taxonomy or the annotations\(snapshot.map { " of snapshot '\($0.name)'" } ?? ""); known: \(names.isEmpty ? "none (load one with `winnow taxonomy load FILE`)" : names.joined(separator: ", "))"
                    )
                }
                names = [dimension]
            }
            let samples = try Store.sampleCount(db, snapshot: snapshot)
            let augmented = try Store.augmentedSceneCounts(db, snapshot: snapshot)
            return names.map { name in
                let dimensionCounts = counts[name] ?? [:]
                var report = Coverage.report(
                    dimension: name, categories: taxonomy.coverageSpecs(of: name), counts: dimensionCounts,
                    unannotated: max(0, samples - dimensionCounts.values.reduce(0, +)),
                    minCount: minCount, overFill: overFill)
                for i in report.categories.indices { report.categories[i].augmented = augmented[name]?[report.categories[i].category] ?? 0 }
                return report
            }
        }
    }

    /// Labelled samples per label, in label-index order: the taxonomy's order when it fixes one
    /// (labels it does not list follow by name), else by name. Over active samples' current
    /// labels, or a snapshot's members' frozen labels.
    public func labelCounts(snapshot: String? = nil) throws -> [(label: String, count: Int)] {
        try read { db in try Store.labelCounts(db, snapshot: try MetricSnapshot.named(snapshot, in: db)) }
    }

    static func labelCounts(_ db: Database, snapshot: MetricSnapshot? = nil) throws -> [(label: String, count: Int)] {
        var counts: [String: Int] = [:]
        let rows: [Row]
        if let snapshot {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.label, count(*) AS n FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
                    WHERE m.snapshot_id = ? AND r.label IS NOT NULL GROUP BY r.label
                    """, arguments: [snapshot.id])
        } else {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.label, count(*) AS n FROM samples s \(CurrentRevision.join)
                    WHERE s.status = '\(SampleStatus.active.rawValue)' AND r.label IS NOT NULL GROUP BY r.label
                    """)
        }
        for row in rows {
            let label: String = try row.value("label")
            counts[label] = try row.value("n", as: Int.self)
        }
        let order = try Store.labelOrder(db, counts.keys)
        return order.map { ($0, counts[$0] ?? 0) }
    }
}
