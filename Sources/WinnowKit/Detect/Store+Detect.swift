import Foundation
import GRDB

/// What one detector run did.
public struct DetectRunResult: Codable, Sendable, Equatable {
    public var detector: String
    public var run: Int64
    public var scanned: Int
    /// Open flags this run holds for the detector.
    public var flagged: Int
    /// Hits not flagged because a reviewer already confirmed or dismissed them for this content.
    public var keptReviewed: Int
    /// This detector's own time: its look at each sample, its work after the pass (label-noise's
    /// training) and recording its flags. Reading the samples, shared by all, is `DetectPass.seconds`.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case detector, run, scanned, flagged, seconds
        case keptReviewed = "kept_reviewed"
    }
}

/// How far `Store.detect` is: which step, and how much of it is done.
public struct DetectProgress: Sendable, Equatable {
    /// "reading" during the pass over the samples, then a detector's name with what it does
    /// after the pass ("label-noise training").
    public var step: String
    public var done: Int
    public var total: Int
    /// What `done` and `total` count ("samples", "steps").
    public var unit: String
}

/// One `Store.detect` pass: each detector's run, and the whole pass's time.
public struct DetectPass: Sendable {
    public var runs: [DetectRunResult]
    /// The whole pass, reading the samples included.
    public var seconds: Double
    /// What the user should know (samples without a vector left out, …).
    public var warnings: [String] = []
}

extension Store {
    /// Runs detectors over the active samples in one pass and records each run. A run replaces
    /// the detector's open flags; flags a reviewer confirmed or dismissed are never reopened
    /// for unchanged content. `progress` hears about the pass and each detector's long step.
    public func detect(
        _ names: [DetectorName], config: DetectConfig,
        progress: (@Sendable (DetectProgress) -> Void)? = nil
    ) throws -> DetectPass {
        let started = Timestamp.string(clock.now())
        let passStarted = monotonicSeconds()
        let run = try DetectionRun(names, config: config)
        // The model before the pass: the vector detectors fail here, clearly, on a store without vectors.
        let model = run.vectorDetectors.isEmpty ? nil : try vectorModel(config.model)
        try read { db in try run.read(db, vectors: model, path: path, progress: progress) }
        progress?(DetectProgress(step: "reading", done: run.scanned, total: run.scanned, unit: "samples"))
        run.finish(progress: progress)
        run.findLabelConflicts()
        var results: [DetectRunResult] = []
        for name in names {
            let t0 = monotonicSeconds()
            var result = try record(
                name.rawValue, parameters: run.parameters(name), hits: run.hits[name.rawValue] ?? [],
                scanned: run.scanned, started: started, seconds: 0)
            result.seconds = (run.own[name.rawValue] ?? 0) + monotonicSeconds() - t0
            results.append(result)
        }
        return DetectPass(runs: results, seconds: monotonicSeconds() - passStarted, warnings: run.warnings)
    }

    /// What `winnow detect` runs when no detector is named: every built-in one, less those of
    /// feature vectors when the store holds none.
    /// With vectors of several models and no `model` named, the vector detectors are left out
    /// too, and `skipped` says why (the text detectors still run).
    public func defaultDetectors(model: String? = nil) throws -> (detectors: [DetectorName], skipped: String?) {
        let models = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM embedding_models") ?? 0 }
        let vectorDetectors = DetectorName.allCases.filter(\.needsVectors).map(\.rawValue).joined(separator: ", ")
        if models > 1 && model == nil {
            return (
                DetectorName.allCases.filter { !$0.needsVectors },
                "\(vectorDetectors) not run: the store holds vectors of \(models) models; pass --model NAME to run them"
            )
        }
        return (DetectorName.allCases.filter { models > 0 || !$0.needsVectors }, nil)
    }

    /// Records a run and replaces the detector's open flags with `hits`; a hit on content a
    /// reviewer already confirmed or dismissed for this detector is kept out.
    func record(
        _ detector: String, parameters: String, hits: [DetectorHit], scanned: Int, started: String,
        seconds: Double
    ) throws -> DetectRunResult {
        try write { db in
            let now = Timestamp.string(clock.now())
            try DetectorRunRecord(
                id: nil, detector: detector, parameters: parameters, startedAt: started, finishedAt: now,
                scanned: Int64(scanned), flagged: 0
            ).insert(db)
            let run = db.lastInsertedRowID
            try db.execute(sql: "DELETE FROM flags WHERE detector = ? AND status = ?", arguments: [detector, FlagStatus.open])
            var reviewed = Set<String>()
            let closed = try Row.fetchCursor(
                db, sql: "SELECT sample_id, content_id FROM flags WHERE detector = ? AND status <> ?",
                arguments: [detector, FlagStatus.open])
            while let row = try closed.next() { reviewed.insert("\(try row.value("sample_id") as Int64):\(try row.value("content_id") as Int64)") }
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO flags (sample_id, content_id, detector, run_id, score, reason, details, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // A reviewed flag stays as the reviewer left it, but takes the new run's cluster, so
            // `--group` keeps the clusters of the latest run together (an old representative may
            // have been dropped since, and the cluster's survivors re-formed around another).
            let recluster = try db.makeStatement(
                sql: """
                    UPDATE flags SET details = json_set(details, '$.cluster', json_extract(?3, '$.cluster'))
                    WHERE detector = ?4 AND sample_id = ?1 AND content_id = ?2 AND status <> 'open'
                      AND json_valid(details) AND json_valid(?3) AND json_extract(?3, '$.cluster') IS NOT NULL
                    """)
            var flagged = 0, kept = 0
            for hit in hits {
                if reviewed.contains("\(hit.sampleID):\(hit.contentID)") {
                    kept += 1
                    try recluster.execute(arguments: [hit.sampleID, hit.contentID, hit.details, detector])
                    continue
                }
                try insert.execute(arguments: [hit.sampleID, hit.contentID, detector, run, hit.score, hit.reason, hit.details, now])
                flagged += 1
            }
            try db.execute(sql: "UPDATE detector_runs SET flagged = ? WHERE id = ?", arguments: [flagged, run])
            return DetectRunResult(detector: detector, run: run, scanned: scanned, flagged: flagged, keptReviewed: kept, seconds: seconds)
        }
    }
}
