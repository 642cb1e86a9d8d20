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
}

/// Seconds on a monotonic clock, for timing detectors.
private func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

extension Store {
    /// Runs detectors over the active samples in one pass and records each run. A run replaces
    /// the detector's open flags; flags a reviewer confirmed or dismissed are never reopened
    /// for unchanged content. `progress` hears about the pass and each detector's long step.
    public func detect(_ names: [DetectorName], config: DetectConfig,
                       progress: (@Sendable (DetectProgress) -> Void)? = nil) throws -> DetectPass {
        let started = Date()
        let passStarted = monotonicSeconds()
        // Each detector's own seconds (label-conflict's include the duplicate detectors run for it alone).
        var own: [String: Double] = [:]
        var detectors: [(DetectorName, Detector)] = []
        for name in names { if let d = try config.make(name) { detectors.append((name, d)) } }
        var observing = [Double](repeating: 0, count: detectors.count), helping = 0.0
        // label-conflict is derived from the duplicate detectors: run them too, unrecorded.
        let wantsConflicts = names.contains(.labelConflict)
        var exact = detectors.first { $0.0 == .exactDuplicate }?.1 as? ExactDuplicateDetector
        var near = detectors.first { $0.0 == .nearDuplicate }?.1 as? NearDuplicateDetector
        var helpers: [Detector] = []
        if wantsConflicts && exact == nil { let d = ExactDuplicateDetector(); exact = d; helpers.append(d) }
        if wantsConflicts && near == nil {
            let d = NearDuplicateDetector(threshold: config.nearThreshold, bands: config.nearBands, rows: config.nearRows)
            near = d
            helpers.append(d)
        }

        var hits: [String: [DetectorHit]] = [:]
        var labels: [Int64: String] = [:]
        var contentOf: [Int64: Int64] = [:]
        var uidOf: [Int64: String] = [:]
        var scanned = 0
        var occurrenceConflicts: [(Int64, String, String)] = []
        try pool.read { db in
            let total = try Store.activeCount(db)
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT s.id, s.uid, r.content_id, r.label, \(ContentColumns.selectList())
                FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id
                WHERE s.status = 'active' ORDER BY s.id
                """)
            while let row = try cursor.next() {
                let sample = DetectSample(sampleID: row["id"], contentID: row["content_id"], uid: row["uid"],
                                          label: row["label"], content: try ContentColumns.content(row))
                // One clock reading per detector: each one's end is the next one's start.
                var clock = monotonicSeconds()
                for (i, (name, detector)) in detectors.enumerated() {
                    let found = detector.observe(sample)
                    if !found.isEmpty { hits[name.rawValue, default: []] += found }
                    let now = monotonicSeconds()
                    observing[i] += now - clock
                    clock = now
                }
                if !helpers.isEmpty {
                    for helper in helpers { _ = helper.observe(sample) }
                    helping += monotonicSeconds() - clock
                }
                if wantsConflicts {
                    if let label = sample.label { labels[sample.sampleID] = label }
                    contentOf[sample.sampleID] = sample.contentID
                    uidOf[sample.sampleID] = sample.uid
                }
                scanned += 1
                if scanned % 2048 == 0 { progress?(DetectProgress(step: "reading", done: scanned, total: total, unit: "samples")) }
            }
            if wantsConflicts {
                // The same content imported under different labels.
                for row in try Row.fetchAll(db, sql: """
                    SELECT o.sample_id, r.label AS current, o.label AS other FROM occurrences o
                    JOIN samples s ON s.id = o.sample_id JOIN revisions r ON r.id = s.revision_id
                    WHERE s.status = 'active' AND o.label IS NOT NULL AND r.label IS NOT NULL AND o.label <> r.label
                    GROUP BY o.sample_id, o.label
                    """) {
                    occurrenceConflicts.append((row["sample_id"], row["current"], row["other"]))
                }
            }
        }
        progress?(DetectProgress(step: "reading", done: scanned, total: scanned, unit: "samples"))
        for (i, (name, _)) in detectors.enumerated() { own[name.rawValue, default: 0] += observing[i] }
        own[DetectorName.labelConflict.rawValue, default: 0] += helping
        for (name, detector) in detectors {
            let t0 = monotonicSeconds()
            let step = name == .labelNoise ? "\(name.rawValue) training" : name.rawValue
            hits[name.rawValue, default: []] += detector.finish { done, total, unit in
                progress?(DetectProgress(step: step, done: done, total: total, unit: unit))
            }
            own[name.rawValue, default: 0] += monotonicSeconds() - t0
        }
        let conflictsStarted = monotonicSeconds()
        for helper in helpers { _ = helper.finish() }

        if wantsConflicts {
            var conflictHits: [Int64: DetectorHit] = [:]
            for (sample, current, other) in occurrenceConflicts where conflictHits[sample] == nil {
                conflictHits[sample] = DetectorHit(
                    sampleID: sample, contentID: contentOf[sample] ?? 0, score: 1,
                    reason: "the same content was imported labelled '\(current)' and '\(other)'",
                    details: jsonObject([("labels", jsonArray([current, other]))]))
            }
            let groups = (exact?.groups.map { ($0.sampleID, $0.firstID) } ?? []) + (near?.clusters ?? [])
            for (sample, representative, label, otherLabel) in LabelConflicts.find(groups: groups, labels: labels)
            where conflictHits[sample] == nil {
                let other = uidOf[representative] ?? "\(representative)"
                conflictHits[sample] = DetectorHit(
                    sampleID: sample, contentID: contentOf[sample] ?? 0, score: 1,
                    reason: "labelled '\(label)' but its near duplicate \(other) is labelled '\(otherLabel)'",
                    details: jsonObject([("labels", jsonArray([label, otherLabel])), ("duplicate_of", JSONText.quote(other))]))
            }
            hits[DetectorName.labelConflict.rawValue] = conflictHits.values.sorted { $0.sampleID < $1.sampleID }
            own[DetectorName.labelConflict.rawValue, default: 0] += monotonicSeconds() - conflictsStarted
        }

        let startedText = Timestamp.string(started)
        var results: [DetectRunResult] = []
        for name in names {
            let detector = detectors.first { $0.0 == name }?.1
            let parameters: String
            switch name {
            case .labelConflict:
                parameters = jsonObject([("near_duplicate_threshold", jsonNumber(config.nearThreshold))])
            default:
                parameters = detector?.parametersJSON ?? "{}"
            }
            let t0 = monotonicSeconds()
            var result = try record(name.rawValue, parameters: parameters, hits: hits[name.rawValue] ?? [],
                                    scanned: scanned, started: startedText, seconds: 0)
            result.seconds = (own[name.rawValue] ?? 0) + monotonicSeconds() - t0
            results.append(result)
        }
        return DetectPass(runs: results, seconds: monotonicSeconds() - passStarted)
    }

    /// Records a run and replaces the detector's open flags with `hits`.
    func record(_ detector: String, parameters: String, hits: [DetectorHit], scanned: Int, started: String,
                seconds: Double) throws -> DetectRunResult {
        try pool.write { db in
            let now = Timestamp.string(Date())
            try db.execute(sql: """
                INSERT INTO detector_runs (detector, parameters, started_at, finished_at, scanned) VALUES (?, ?, ?, ?, ?)
                """, arguments: [detector, parameters, started, now, scanned])
            let run = db.lastInsertedRowID
            try db.execute(sql: "DELETE FROM flags WHERE detector = ? AND status = 'open'", arguments: [detector])
            let reviewed = try Set(Row.fetchAll(db, sql: """
                SELECT sample_id, content_id FROM flags WHERE detector = ? AND status <> 'open'
                """, arguments: [detector]).map { "\($0["sample_id"] as Int64):\($0["content_id"] as Int64)" })
            let insert = try db.makeStatement(sql: """
                INSERT INTO flags (sample_id, content_id, detector, run_id, score, reason, details, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var flagged = 0, kept = 0
            for hit in hits {
                if reviewed.contains("\(hit.sampleID):\(hit.contentID)") { kept += 1; continue }
                try insert.execute(arguments: [hit.sampleID, hit.contentID, detector, run, hit.score, hit.reason, hit.details, now])
                flagged += 1
            }
            try db.execute(sql: "UPDATE detector_runs SET flagged = ? WHERE id = ?", arguments: [flagged, run])
            return DetectRunResult(detector: detector, run: run, scanned: scanned, flagged: flagged, keptReviewed: kept, seconds: seconds)
        }
    }
}
