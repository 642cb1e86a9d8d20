import Foundation
import WinnowKit

/// "left out 259 samples with open flags of any detector:" and a table per label: what
/// `--exclude-flagged` left out of a snapshot or a queue.
func describeExclusion(_ report: ExclusionReport) -> String {
    let what = FlagSelection(detectors: report.detectors, minScore: report.minScore).description
    var out = "left out \(report.excluded) sample\(report.excluded == 1 ? "" : "s") with open flags of \(what)"
    guard report.excluded > 0 else { return out + "\n" }
    out += ":\n"
    var t = Table(headers: ["label", "left out", "of", "share", "by detector"], rightAligned: [1, 2, 3])
    for l in report.labels {
        let detectors = l.byDetector.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        t.rows.append([l.label ?? "(none)", "\(l.excluded)", "\(l.selected)", String(format: "%.1f %%", l.share * 100), detectors])
    }
    return out + t.text(maxCellWidth: 200)
}
