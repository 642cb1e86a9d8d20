import Foundation
import GRDB

/// Everything `winnow stats` reports (SPEC section 11, `stats --json`).
public struct StatsReport: Codable, Sendable {
    public struct Samples: Codable, Sendable {
        public var total: Int
        public var active: Int
        public var dropped: Int
        /// Of `active`, the samples `winnow augment` made.
        public var augmented: Int? = nil
    }
    public struct Label: Codable, Sendable {
        public var label: String
        public var index: Int
        public var count: Int
        public var weightInverse: Double
        public var weightBalanced: Double
        public var weightNormalized: Double
        /// Of `count`, the samples `winnow augment` made.
        public var augmented: Int? = nil
        enum CodingKeys: String, CodingKey {
            case label, index, count, augmented
            case weightInverse = "weight_inverse"
            case weightBalanced = "weight_balanced"
            case weightNormalized = "weight_normalized"
        }
    }
    public struct Diversity: Codable, Sendable {
        @NullEncodable public var labels: DiversityReport?
        public var scenes: [String: DiversityReport]
        public var distinct1: Double
        public var distinct2: Double
        /// Feature-space diversity per model with vectors (empty when the store holds none).
        public var vectors: [VectorStats] = []
        enum CodingKeys: String, CodingKey {
            case labels, scenes, vectors
            case distinct1 = "distinct_1"
            case distinct2 = "distinct_2"
        }
    }
    /// Word counts of a group of samples.
    public struct Lengths: Codable, Sendable {
        public var samples: Int
        public var mean: Double
        public var p50: Int
        public var p95: Int
        public var max: Int
    }
    public struct Flags: Codable, Sendable {
        public var total: Int
        public var open: Int
        public var confirmed: Int
        public var dismissed: Int
        public var byDetector: [String: Int]
        enum CodingKeys: String, CodingKey {
            case total, open, confirmed, dismissed
            case byDetector = "by_detector"
        }
    }
    public struct Review: Codable, Sendable {
        public var queues: Int
        public var items: Int
        public var decisions: Int
        public var decidedSamples: Int
        enum CodingKeys: String, CodingKey {
            case queues, items, decisions
            case decidedSamples = "decided_samples"
        }
    }

    public var samples: Samples
    public var labels: [Label]
    @NullEncodable public var imbalanceRatio: Double?
    public var diversity: Diversity
    /// Word-count summary over all active samples ("all") and per label.
    public var lengths: [String: Lengths]
    public var flags: Flags
    public var review: Review

    enum CodingKeys: String, CodingKey {
        case samples, labels, diversity, lengths, flags, review
        case imbalanceRatio = "imbalance_ratio"
    }
}

extension Store {
    /// Totals, label balance, lengths, diversity, flags and review progress over active samples,
    /// or over a snapshot's members as frozen (`snapshot`): their revisions' labels and texts,
    /// the scenes in force at its watermark, the flags frozen with it, and the queue items and
    /// decisions on its members up to its creation.
    /// `model` restricts the feature-space diversity to that model's vectors (default: every model's).
    public func stats(snapshot: String? = nil, model: String? = nil) throws -> StatsReport {
        try read { db in
            let snapshot = try MetricSnapshot.named(snapshot, in: db)
            // A snapshot holds active samples only: its members are its total.
            let active = try Store.sampleCount(db, snapshot: snapshot)
            let total = snapshot == nil ? try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? 0 : active
            let labelCounts = try Store.labelCounts(db, snapshot: snapshot)
            let weights = Balance.weights(labelCounts.map(\.count))
            let augmentedLabels = try Store.augmentedLabelCounts(db, snapshot: snapshot)
            let labels = labelCounts.enumerated().map { i, entry in
                StatsReport.Label(
                    label: entry.label, index: i, count: entry.count, weightInverse: weights.inverse[i],
                    weightBalanced: weights.balanced[i], weightNormalized: weights.normalized[i],
                    augmented: augmentedLabels[entry.label] ?? 0)
            }
            let taxonomy = try Store.taxonomy(db)
            var scenes: [String: DiversityReport] = [:]
            let sceneCounts = try Store.sceneCounts(db, snapshot: snapshot)
            for name in taxonomy.dimensionNames(with: sceneCounts) {
                let counts = sceneCounts[name] ?? [:]
                let categories = taxonomy.categoryNames(of: name)
                let all = categories + counts.keys.filter { !categories.contains($0) }.sorted()
                scenes[name] = DiversityReport(counts: all.map { counts[$0] ?? 0 }, categories: max(categories.count, counts.count))
            }
            let observedLabels = labelCounts.filter { $0.count > 0 }.count

            // One pass over the texts for lengths and distinct-n.
            var distinct = Lexical.Distinct()
            var lengthsByLabel: [String: [Int]] = [:]
            var all: [Int] = []
            // Active samples' current revisions, or a snapshot's members' frozen ones.
            let cursor: RowCursor
            if let snapshot {
                cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT r.label, \(ContentColumns.selectList())
                        FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id JOIN contents c ON c.id = r.content_id
                        WHERE m.snapshot_id = ?
                        """, arguments: [snapshot.id])
            } else {
                cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT r.label, \(ContentColumns.selectList())
                        FROM samples s \(CurrentRevision.joinWithContent)
                        WHERE s.status = '\(SampleStatus.active.rawValue)'
                        """)
            }
            while let row = try cursor.next() {
                let words = Lexical.words(try ContentColumns.content(row).plainText)
                distinct.add(words)
                all.append(words.count)
                if let label: String = try row.value("label") { lengthsByLabel[label, default: []].append(words.count) }
            }
            func summary(_ values: [Int]) -> StatsReport.Lengths {
                let sorted = values.sorted()
                return .init(
                    samples: sorted.count,
                    mean: sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count),
                    p50: Lexical.quantile(sorted, 0.5), p95: Lexical.quantile(sorted, 0.95), max: sorted.last ?? 0)
            }
            var lengths = ["all": summary(all)]
            for (label, values) in lengthsByLabel { lengths[label] = summary(values) }

            let (byDetector, byStatus) = try Store.flagCounts(db, snapshot: snapshot)
            let review = try Store.reviewProgress(db, snapshot: snapshot)

            return StatsReport(
                samples: .init(total: total, active: active, dropped: total - active, augmented: try Store.augmentedCount(db, snapshot: snapshot)),
                labels: labels,
                imbalanceRatio: Balance.imbalanceRatio(labelCounts.map(\.count)),
                diversity: .init(
                    labels: observedLabels > 0 ? DiversityReport(counts: labelCounts.map(\.count), categories: observedLabels) : nil,
                    scenes: scenes, distinct1: distinct.distinct1, distinct2: distinct.distinct2,
                    vectors: try Store.vectorStats(db, snapshot: snapshot, model: model)),
                lengths: lengths,
                flags: .init(
                    total: byStatus.values.reduce(0, +), open: byStatus[FlagStatus.open.rawValue] ?? 0,
                    confirmed: byStatus[FlagStatus.confirmed.rawValue] ?? 0, dismissed: byStatus[FlagStatus.dismissed.rawValue] ?? 0, byDetector: byDetector),
                review: review)
        }
    }

    /// Flags per detector and per status: all flags, or those on a snapshot's members as
    /// frozen with it (flag statuses change with review and undo, so they are not rebuilt).
    static func flagCounts(_ db: Database, snapshot: MetricSnapshot?) throws -> (byDetector: [String: Int], byStatus: [String: Int]) {
        var byDetector: [String: Int] = [:]
        var byStatus: [String: Int] = [:]
        if let snapshot {
            // A snapshot's figures are written by createSnapshot; unreadable ones are an error, not zero flags.
            let frozen = try JSONDecoder().decode(SnapshotMetrics.self, from: Data(snapshot.metrics.utf8))
            for (detector, statuses) in frozen.flags {
                for (status, n) in statuses {
                    byDetector[detector, default: 0] += n
                    byStatus[status, default: 0] += n
                }
            }
        } else {
            for row in try Row.fetchAll(db, sql: "SELECT detector, status, count(*) AS n FROM flags GROUP BY detector, status") {
                let n: Int = try row.value("n")
                let detector: String = try row.value("detector"), status: String = try row.value("status")
                byDetector[detector, default: 0] += n
                byStatus[status, default: 0] += n
            }
        }
        return (byDetector, byStatus)
    }

    /// Queues, items and decisions (not undone; decided samples: not skips): all of them, or for
    /// a snapshot those on its members made before it, undone only after it.
    static func reviewProgress(_ db: Database, snapshot: MetricSnapshot?) throws -> StatsReport.Review {
        guard let snapshot else {
            return StatsReport.Review(
                queues: try Int.fetchOne(db, sql: "SELECT count(*) FROM queues") ?? 0,
                items: try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items") ?? 0,
                decisions: try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions WHERE undone_at IS NULL") ?? 0,
                decidedSamples: try Int.fetchOne(db, sql: "SELECT count(DISTINCT sample_id) FROM decisions WHERE undone_at IS NULL AND action <> '\(DecisionAction.skip.rawValue)'")
                    ?? 0)
        }
        // Timestamps are ISO 8601 UTC with milliseconds, so they compare as text.
        let items = try Row.fetchOne(
            db,
            sql: """
                SELECT count(DISTINCT qi.queue_id) AS queues, count(*) AS items FROM queue_items qi
                JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = qi.sample_id WHERE qi.added_at <= ?
                """, arguments: [snapshot.id, snapshot.createdAt])
        let decisions = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*) AS decisions, count(DISTINCT CASE WHEN d.action <> '\(DecisionAction.skip.rawValue)' THEN d.sample_id END) AS decided
                FROM decisions d JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = d.sample_id
                WHERE d.created_at <= ? AND (d.undone_at IS NULL OR d.undone_at > ?)
                """, arguments: [snapshot.id, snapshot.createdAt, snapshot.createdAt])
        return StatsReport.Review(
            queues: try items?.value("queues") ?? 0, items: try items?.value("items") ?? 0,
            decisions: try decisions?.value("decisions") ?? 0, decidedSamples: try decisions?.value("decided") ?? 0)
    }
}
