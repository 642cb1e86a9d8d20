import Foundation
import GRDB

/// Seconds on a monotonic clock, for timing detectors.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// One `Store.detect` pass, in its steps: the detectors the config makes (and, for
/// label-conflict, the duplicate detectors it is derived from, run unrecorded when not asked
/// for), the pass over the active samples, the detectors' work after it, the label conflicts,
/// and each detector's own time. Pure but for `read`, which is given the database.
final class DetectionRun {
    let names: [DetectorName]
    let config: DetectConfig
    private(set) var detectors: [(name: DetectorName, detector: Detector)] = []
    /// The duplicate detectors label-conflict needs that were not asked for (unrecorded).
    private var helpers: [Detector] = []
    private var exact: ExactDuplicateDetector?
    private var near: NearDuplicateDetector?
    /// What label-conflict gathers from the pass; nil when it does not run.
    private var conflicts: LabelConflicts.Pass?
    private(set) var hits: [String: [DetectorHit]] = [:]
    /// Each detector's own seconds (label-conflict's include the duplicate detectors run for it alone).
    private(set) var own: [String: Double] = [:]
    private(set) var scanned = 0
    /// What the user should know about the pass.
    private(set) var warnings: [String] = []

    init(_ names: [DetectorName], config: DetectConfig) throws {
        self.names = names
        self.config = config
        for name in names { if let d = try config.make(name) { detectors.append((name, d)) } }
        exact = detectors.first { $0.name == .exactDuplicate }?.detector as? ExactDuplicateDetector
        near = detectors.first { $0.name == .nearDuplicate }?.detector as? NearDuplicateDetector
        guard names.contains(.labelConflict) else { return }
        conflicts = LabelConflicts.Pass()
        if exact == nil { let d = ExactDuplicateDetector(); exact = d; helpers.append(d) }
        if near == nil {
            let d = NearDuplicateDetector(threshold: config.nearThreshold, bands: config.nearBands, rows: config.nearRows)
            near = d
            helpers.append(d)
        }
    }

    /// The detectors that need feature vectors in this run.
    var vectorDetectors: [VectorDetector] {
        detectors.compactMap { $0.detector as? VectorDetector }.filter(\.wantsVectors)
    }

    /// Step 1: every active sample, in id order, shown to each detector; then, when `model` is
    /// given, its vectors of the active samples to the vector detectors (in the same read, so
    /// both see one state of the store).
    func read(
        _ db: Database, vectors model: EmbeddingModel?, path: String, progress: (@Sendable (DetectProgress) -> Void)?
    ) throws {
        let total = try Store.activeCount(db)
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.id, s.uid, r.content_id, r.label, \(ContentColumns.selectList())
                FROM samples s \(CurrentRevision.joinWithContent)
                WHERE s.status = ? ORDER BY s.id
                """, arguments: [SampleStatus.active])
        var observing = [Double](repeating: 0, count: detectors.count), helping = 0.0
        while let row = try cursor.next() {
            let sample = DetectSample(
                sampleID: try row.value("id"), contentID: try row.value("content_id"), uid: try row.value("uid"),
                label: try row.value("label"), content: try ContentColumns.content(row))
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
            conflicts?.add(sample)
            scanned += 1
            if scanned % 2048 == 0 { progress?(DetectProgress(step: "reading", done: scanned, total: total, unit: "samples")) }
        }
        try conflicts?.readImported(db)
        if let model, !vectorDetectors.isEmpty {
            progress?(DetectProgress(step: "reading vectors", done: 0, total: 1, unit: "steps"))
            let vectors = try Store.sampleVectors(db, model: model, path: path)
            if vectors.withoutVector > 0 {
                warnings.append(
                    "\(vectors.withoutVector) active sample\(vectors.withoutVector == 1 ? " has" : "s have") no vector of model '\(model.name)' and \(vectors.withoutVector == 1 ? "was" : "were") left out of \(vectorDetectors.map(\.name).joined(separator: ", ")); run `winnow embed` (or `winnow vectors import`) first"
                )
            }
            for d in vectorDetectors { d.use(vectors) }
        }
        for (i, (name, _)) in detectors.enumerated() { own[name.rawValue, default: 0] += observing[i] }
        own[DetectorName.labelConflict.rawValue, default: 0] += helping
    }

    /// Step 2: each detector's work after the pass (label-noise's training tells `progress`).
    func finish(progress: (@Sendable (DetectProgress) -> Void)?) {
        for (name, detector) in detectors {
            let t0 = monotonicSeconds()
            let step = name == .labelNoise ? "\(name.rawValue) training" : name.rawValue
            hits[name.rawValue, default: []] += detector.finish { done, total, unit in
                progress?(DetectProgress(step: step, done: done, total: total, unit: unit))
            }
            own[name.rawValue, default: 0] += monotonicSeconds() - t0
            warnings += detector.warnings
        }
    }

    /// Step 3: label-conflict's flags, from the imports and the duplicate detectors' groups.
    func findLabelConflicts() {
        let started = monotonicSeconds()
        for helper in helpers { _ = helper.finish() }
        guard let conflicts else { return }
        let groups = (exact?.groups.map { ($0.sampleID, $0.firstID) } ?? []) + (near?.clusters ?? [])
        hits[DetectorName.labelConflict.rawValue] = conflicts.hits(groups: groups)
        own[DetectorName.labelConflict.rawValue, default: 0] += monotonicSeconds() - started
    }

    /// The parameters a detector's run is recorded with.
    func parameters(_ name: DetectorName) -> String {
        if name == .labelConflict { return jsonObject([("near_duplicate_threshold", jsonNumber(config.nearThreshold))]) }
        return detectors.first { $0.name == name }?.detector.parametersJSON ?? "{}"
    }
}
