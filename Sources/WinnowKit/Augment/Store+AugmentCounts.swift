import Foundation
import GRDB

/// Augmented samples counted apart, for `stats` and `coverage`: over active samples, or over
/// a snapshot's members (a sample is augmented iff it has an `augmented_samples` row, written
/// with the sample and never changed, so a snapshot's figures stay as they were).
extension Store {
    /// Augmented samples among the active samples, or among a snapshot's members.
    static func augmentedCount(_ db: Database, snapshot: MetricSnapshot?) throws -> Int {
        if let snapshot {
            return try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM augmented_samples x JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = x.sample_id",
                arguments: [snapshot.id]) ?? 0
        }
        return try Int.fetchOne(
            db, sql: "SELECT count(*) FROM augmented_samples x JOIN samples s ON s.id = x.sample_id WHERE s.status = '\(SampleStatus.active.rawValue)'") ?? 0
    }

    /// Augmented samples per label (current labels of active samples, or members' frozen ones).
    static func augmentedLabelCounts(_ db: Database, snapshot: MetricSnapshot?) throws -> [String: Int] {
        let rows: [Row]
        if let snapshot {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.label, count(*) AS n FROM augmented_samples x
                    JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = x.sample_id JOIN revisions r ON r.id = m.revision_id
                    WHERE r.label IS NOT NULL GROUP BY r.label
                    """, arguments: [snapshot.id])
        } else {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.label, count(*) AS n FROM augmented_samples x JOIN samples s ON s.id = x.sample_id \(CurrentRevision.join)
                    WHERE s.status = '\(SampleStatus.active.rawValue)' AND r.label IS NOT NULL GROUP BY r.label
                    """)
        }
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.value("label")] = try row.value("n") }
        return counts
    }

    /// Augmented samples per category of each dimension (current annotations of active
    /// samples, or those in force at a snapshot's watermark).
    static func augmentedSceneCounts(_ db: Database, snapshot: MetricSnapshot?) throws -> [String: [String: Int]] {
        let rows: [Row]
        if let snapshot {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.dimension, a.category, count(*) AS n FROM augmented_samples x
                    JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = x.sample_id
                    JOIN scene_annotations a ON a.sample_id = x.sample_id AND a.id <= ? AND (a.replaced_by IS NULL OR a.replaced_by > ?)
                    GROUP BY a.dimension, a.category
                    """, arguments: [snapshot.id, snapshot.watermark, snapshot.watermark])
        } else {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.dimension, a.category, count(*) AS n FROM augmented_samples x JOIN samples s ON s.id = x.sample_id
                    JOIN scene_annotations a ON a.sample_id = x.sample_id AND a.replaced_by IS NULL
                    WHERE s.status = '\(SampleStatus.active.rawValue)' GROUP BY a.dimension, a.category
                    """)
        }
        var counts: [String: [String: Int]] = [:]
        for row in rows {
            counts[try row.value("dimension"), default: [:]][try row.value("category")] = try row.value("n")
        }
        return counts
    }
}
