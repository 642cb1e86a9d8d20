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
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case detector, run, scanned, flagged, seconds
        case keptReviewed = "kept_reviewed"
    }
}

extension Store {
    /// Runs detectors over the active samples in one pass and records each run. A run replaces
    /// the detector's open flags; flags a reviewer confirmed or dismissed are never reopened
    /// for unchanged content.
    public func detect(_ names: [DetectorName], config: DetectConfig,
                       progress: ((Int, Int) -> Void)? = nil) throws -> [DetectRunResult] {
        let started = Date()
        var detectors: [(DetectorName, Detector)] = []
        for name in names { if let d = try config.make(name) { detectors.append((name, d)) } }
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
                SELECT s.id, s.uid, r.content_id, r.label, c.text, c.text_a, c.text_b, c.instruction, c.input, c.output, c.messages
                FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id
                WHERE s.status = 'active' ORDER BY s.id
                """)
            while let row = try cursor.next() {
                let sample = DetectSample(sampleID: row["id"], contentID: row["content_id"], uid: row["uid"],
                                          label: row["label"], content: Store.content(row))
                for (name, detector) in detectors { hits[name.rawValue, default: []] += detector.observe(sample) }
                for helper in helpers { _ = helper.observe(sample) }
                if wantsConflicts {
                    if let label = sample.label { labels[sample.sampleID] = label }
                    contentOf[sample.sampleID] = sample.contentID
                    uidOf[sample.sampleID] = sample.uid
                }
                scanned += 1
                if scanned % 2048 == 0 { progress?(scanned, total) }
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
        progress?(scanned, scanned)
        for (name, detector) in detectors { hits[name.rawValue, default: []] += detector.finish() }
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
        }

        let seconds = Date().timeIntervalSince(started)
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
            results.append(try record(name.rawValue, parameters: parameters, hits: hits[name.rawValue] ?? [],
                                      scanned: scanned, started: startedText, seconds: seconds))
        }
        return results
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
