import Foundation
import GRDB

/// Step 1 of an export, the plan: the snapshot, its members in uid order (everything but
/// their content, which is streamed to the files afterwards in the same order), the figures
/// frozen with it, and the split of every member. Read in one read transaction (the snapshot
/// is immutable), so writers are not held up while every member is read; nothing is saved.
struct ExportPlan {
    var snapshot: SnapshotRecord
    var members: [ExportMember]
    var metrics: SnapshotMetrics
    var splits: SplitPlan
    /// `--resample`: the resampled splits (nil without it).
    var resampling: ExportResampling?

    init(_ db: Database, snapshot name: String, options: ExportOptions) throws {
        snapshot = try Store.snapshotRecord(db, name: name)
        members = try Self.members(db, snapshot)
        try Self.check(members, snapshot: name, format: options.format)
        metrics = try JSONDecoder().decode(SnapshotMetrics.self, from: Data(snapshot.metrics.utf8))
        splits = try Store.planSplits(db, snapshot: snapshot.id ?? 0, records: members, options: options)
        if let resample = options.resample {
            resampling = try ExportResampling(
                db, options: resample, snapshot: snapshot, members: members, splitOf: splits.splits,
                splitNames: splits.settings.ratios.map(\.0), labels: metrics.labels, seed: splits.settings.seed,
                format: options.writesParquet ? .parquet : options.format) // hf --data parquet: a column, as parquet's
        }
    }

    /// The members with their frozen revision's label and score and the scenes in force at the
    /// snapshot's watermark, in uid order.
    static func members(_ db: Database, _ snapshot: SnapshotRecord) throws -> [ExportMember] {
        let reader = try SceneReader(db, watermark: snapshot.sceneWatermark)
        var members: [ExportMember] = []
        members.reserveCapacity(Int(snapshot.members))
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT m.sample_id, s.uid, s.kind, rv.label, rv.score, rv.content_id
                FROM snapshot_members m JOIN samples s ON s.id = m.sample_id JOIN revisions rv ON rv.id = m.revision_id
                WHERE m.snapshot_id = ? ORDER BY s.uid
                """, arguments: [snapshot.id])
        while let r = try cursor.next() {
            let id: Int64 = try r.decode(atIndex: 0)
            members.append(
                ExportMember(
                    sampleID: id, contentID: try r.decode(atIndex: 5), uid: try r.decode(atIndex: 1),
                    kind: SampleKind(rawValue: try r.decode(atIndex: 2)) ?? .text,
                    label: try r.decode(atIndex: 3), score: try r.decode(atIndex: 4), scenes: reader.scenes(id)))
        }
        return members
    }

    /// Refuses a snapshot the format cannot express: empty, a kind it has no field for, or
    /// (openai-chat) a text sample without the label that would be the assistant's turn.
    static func check(_ members: [ExportMember], snapshot name: String, format: ExportFormat) throws {
        if members.isEmpty {
            throw WinnowError.invalidArgument(
                "snapshot \(name) is empty (0 members): nothing to export, nothing written; make a snapshot whose selection matches samples (`winnow samples --count` with the same --label/--scene/--source shows how many)"
            )
        }
        let unfit = Set(members.map(\.kind)).subtracting(format.kinds)
        if let kind = unfit.sorted(by: { $0.rawValue < $1.rawValue }).first {
            let fits = ExportFormat.allCases.filter { $0.kinds.contains(kind) }.map(\.rawValue)
            throw WinnowError.invalidArgument(
                "snapshot \(name) holds \(kind.rawValue) samples, which --format \(format.rawValue) cannot express; formats for \(kind.rawValue) samples: \(fits.joined(separator: ", ")) (or snapshot a selection without them)"
            )
        }
        if format == .openaiChat, let bare = members.first(where: { $0.kind == .text && $0.label == nil }) {
            throw WinnowError.invalidArgument("openai-chat needs a label on text samples (user text, assistant label); \(bare.uid) has none — label it or export jsonl")
        }
    }
}
