import Foundation
import GRDB

/// label-conflict: the same or near-duplicate content under different labels. The one producer
/// of its flags, for the import (a record whose content is stored already, under another label)
/// and for `detect` (which raises them again from the occurrences and the duplicate detectors).
public enum LabelConflicts {
    /// The same content imported under another label: `stored` is the sample's label, `other`
    /// that of the record at `path`:`line`.
    static func imported(sampleID: Int64, contentID: Int64, stored: String, other: String, path: String, line: Int) -> DetectorHit {
        DetectorHit(
            sampleID: sampleID, contentID: contentID, score: 1,
            reason: "same content labelled '\(stored)' before and '\(other)' at \((path as NSString).lastPathComponent):\(line)",
            details: jsonObject([("labels", jsonArray([stored, other])), ("file", JSONText.quote(path)), ("line", "\(line)")]))
    }

    /// An exact or near duplicate labelled otherwise than its group's representative `other` (a uid).
    static func duplicate(sampleID: Int64, contentID: Int64, label: String, otherLabel: String, other: String) -> DetectorHit {
        DetectorHit(
            sampleID: sampleID, contentID: contentID, score: 1,
            reason: "labelled '\(label)' but its near duplicate \(other) is labelled '\(otherLabel)'",
            details: jsonObject([("labels", jsonArray([label, otherLabel])), ("duplicate_of", JSONText.quote(other))]))
    }

    /// Members whose label differs from their group representative's.
    public static func find(groups: [(sampleID: Int64, representativeID: Int64)], labels: [Int64: String]) -> [(Int64, Int64, String, String)] {
        var result: [(Int64, Int64, String, String)] = []
        for (sample, representative) in groups {
            guard let a = labels[sample], let b = labels[representative], a != b else { continue }
            result.append((sample, representative, a, b))
        }
        return result
    }

    /// What `detect` gathers for label-conflict while it reads the active samples.
    struct Pass {
        var labels: [Int64: String] = [:]
        var contentOf: [Int64: Int64] = [:]
        var uidOf: [Int64: String] = [:]
        /// Per active sample whose content was imported under another label than its own, the
        /// first such record (as the import flagged it).
        var imported: [DetectorHit] = []

        mutating func add(_ sample: DetectSample) {
            if let label = sample.label { labels[sample.sampleID] = label }
            contentOf[sample.sampleID] = sample.contentID
            uidOf[sample.sampleID] = sample.uid
        }

        /// Reads the occurrences whose label is not their active sample's.
        mutating func readImported(_ db: Database) throws {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT o.sample_id, r.content_id, r.label AS current, o.label AS other, src.path, o.line
                    FROM occurrences o JOIN sources src ON src.id = o.source_id JOIN samples s ON s.id = o.sample_id \(CurrentRevision.join)
                    WHERE s.status = ? AND o.label IS NOT NULL AND r.label IS NOT NULL AND o.label <> r.label
                    ORDER BY o.sample_id, o.source_id, o.line
                    """, arguments: [SampleStatus.active])
            var last: Int64?
            while let row = try rows.next() {
                let sample: Int64 = try row.value("sample_id")
                guard sample != last else { continue }
                last = sample
                imported.append(
                    LabelConflicts.imported(
                        sampleID: sample, contentID: try row.value("content_id"), stored: try row.value("current"),
                        other: try row.value("other"), path: try row.value("path"), line: try row.value("line")))
            }
        }

        /// One hit per sample, by sample id: an imported conflict first, else one with a duplicate
        /// (`groups`: each duplicate with its group's representative).
        func hits(groups: [(sampleID: Int64, representativeID: Int64)]) -> [DetectorHit] {
            var hits: [Int64: DetectorHit] = [:]
            for hit in imported where hits[hit.sampleID] == nil { hits[hit.sampleID] = hit }
            for (sample, representative, label, otherLabel) in LabelConflicts.find(groups: groups, labels: labels) where hits[sample] == nil {
                hits[sample] = LabelConflicts.duplicate(
                    sampleID: sample, contentID: contentOf[sample] ?? 0, label: label,
                    otherLabel: otherLabel, other: uidOf[representative] ?? "\(representative)")
            }
            return hits.values.sorted { $0.sampleID < $1.sampleID }
        }
    }
}
