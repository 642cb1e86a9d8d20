import Foundation
import GRDB

/// Feature-space diversity of one model's vectors, for `winnow stats`: over all samples with
/// a vector, per label and per scene category.
public struct VectorStats: Codable, Sendable, Equatable {
    public var model: String
    public var dimension: Int
    /// Samples counted (active ones, or a snapshot's members) with no vector of this model.
    public var withoutVector: Int
    /// The seed of the Vendi score's sample.
    public var seed: UInt64
    /// The most rows a Vendi score is computed on.
    public var vendiSampleSize: Int
    public var all: VectorDiversityReport
    public var labels: [String: VectorDiversityReport]
    /// DIM → CATEGORY → report.
    public var scenes: [String: [String: VectorDiversityReport]]

    enum CodingKeys: String, CodingKey {
        case model, dimension, seed, all, labels, scenes
        case withoutVector = "without_vector"
        case vendiSampleSize = "vendi_sample_size"
    }
}

extension Store {
    /// Feature-space diversity for each model (only `model` when named) over the active
    /// samples, or over a snapshot's members with their frozen revisions' vectors, labels, and
    /// the scenes in force at its watermark. Empty when the store holds no vectors.
    static func vectorStats(_ db: Database, snapshot: MetricSnapshot?, model name: String?) throws -> [VectorStats] {
        var models = try EmbeddingModelRecord.order(EmbeddingModelRecord.Columns.name).fetchAll(db).map(EmbeddingModel.init)
        if let name {
            guard let model = models.first(where: { $0.name == name }) else {
                throw WinnowError.unknownName(
                    kind: "vector model", name: name, known: models.map(\.name), hint: "`winnow vectors list` shows the models with vectors")
            }
            models = [model]
        }
        guard !models.isEmpty else { return [] }
        let counted = try sampleCount(db, snapshot: snapshot)
        // The current scene of each counted sample, per dimension.
        let sceneRows: [Row]
        if let snapshot {
            sceneRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.sample_id, a.dimension, a.category
                    FROM scene_annotations a CROSS JOIN snapshot_members m ON m.snapshot_id = ? AND m.sample_id = a.sample_id
                    WHERE a.id <= ? AND (a.replaced_by IS NULL OR a.replaced_by > ?)
                    """, arguments: [snapshot.id, snapshot.watermark, snapshot.watermark])
        } else {
            sceneRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.sample_id, a.dimension, a.category FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
                    WHERE a.replaced_by IS NULL AND s.status = '\(SampleStatus.active.rawValue)'
                    """)
        }
        var scenesOf: [Int64: [(dimension: String, category: String)]] = [:]
        for row in sceneRows {
            scenesOf[try row.value("sample_id"), default: []].append((try row.value("dimension"), try row.value("category")))
        }
        return try models.map { model in
            let (ids, labels, matrix) = try vectorRows(db, model: model, snapshot: snapshot)
            var byLabel: [String: [Int]] = [:]
            var byScene: [String: [String: [Int]]] = [:]
            for (i, id) in ids.enumerated() {
                if let label = labels[i] { byLabel[label, default: []].append(i) }
                for scene in scenesOf[id] ?? [] { byScene[scene.dimension, default: [:]][scene.category, default: []].append(i) }
            }
            return VectorStats(
                model: model.name, dimension: model.dimension, withoutVector: counted - ids.count, seed: VectorDiversity.seed,
                vendiSampleSize: VectorDiversity.vendiSampleSize, all: VectorDiversity.report(matrix),
                labels: byLabel.mapValues { VectorDiversity.report(matrix, rows: $0) },
                scenes: byScene.mapValues { $0.mapValues { VectorDiversity.report(matrix, rows: $0) } })
        }
    }

    /// Sample ids, labels and vectors of `model` of the counted samples that have one (active
    /// samples' current revisions, or a snapshot's members' frozen ones), in sample id order.
    static func vectorRows(_ db: Database, model: EmbeddingModel, snapshot: MetricSnapshot?) throws -> (ids: [Int64], labels: [String?], matrix: VectorMatrix) {
        let cursor: RowCursor
        if let snapshot {
            cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT m.sample_id AS sample_id, r.label AS label, v.vector FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
                    JOIN vectors v ON v.model_id = ? AND v.content_id = r.content_id
                    WHERE m.snapshot_id = ? ORDER BY m.sample_id
                    """, arguments: [model.id, snapshot.id])
        } else {
            cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.id AS sample_id, r.label AS label, v.vector FROM samples s \(CurrentRevision.join)
                    JOIN vectors v ON v.model_id = ? AND v.content_id = r.content_id
                    WHERE s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                    """, arguments: [model.id])
        }
        var ids: [Int64] = [], labels: [String?] = []
        let matrix = try readVectors(cursor, column: 2, model: model, path: "the store") { r in
            ids.append(try r.value("sample_id", as: Int64.self))
            labels.append(try r.value("label", as: String?.self))
        }
        return (ids, labels, matrix)
    }
}
