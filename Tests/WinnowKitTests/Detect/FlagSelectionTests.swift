import Foundation
import Testing
@testable import WinnowKit

/// The pure parts of issue 18 items 2–4: detector lists, the flags a selection counts, and
/// the detectors a queue's stored selection names.
@Suite struct FlagSelectionTests {
    /// The README's cleaning paragraph names the noise and the informational detectors as
    /// `DetectorName.isInformational` sorts them (the one place that knows).
    @Test func theReadmeSortsDetectorsAsTheCodeDoes() throws {
        let readme = try String(contentsOfFile: repoRoot + "/README.md", encoding: .utf8)
        func between(_ from: String, _ to: String) throws -> String {
            let start = try #require(readme.range(of: from), "README lost '\(from)'")
            let end = try #require(readme[start.upperBound...].range(of: to), "README lost '\(to)'")
            return String(readme[start.upperBound..<end.lowerBound])
        }
        let noiseList = try between("Not every detector flags noise. **Noise**", "**Informational**")
        let informational = try between("**Informational**", "On the SMS spam corpus")
        for detector in DetectorName.allCases {
            let name = "`\(detector.rawValue)`"
            if detector.isInformational {
                #expect(informational.contains(name) && !noiseList.contains(name), "\(detector.rawValue)")
            } else {
                #expect(noiseList.contains(name) && !informational.contains(name), "\(detector.rawValue)")
            }
        }
    }

    @Test func detectorListsSplitOnCommasAcrossRepeatsWithoutBlanksOrRepeats() {
        #expect(FlagSelection.names(["label-noise,near-duplicate", " pii ,", "label-noise", ""]) == ["label-noise", "near-duplicate", "pii"])
        #expect(FlagSelection.names([]) == [])
        #expect(FlagSelection.names([","]) == [])
    }

    @Test func aSelectionsConditionNamesItsDetectorsAndScore() {
        let any = FlagSelection().condition()
        #expect(any.sql == "1" && any.arguments.isEmpty)
        let some = FlagSelection(detectors: ["label-noise", "pii"], minScore: 0.9).condition("g")
        #expect(some.sql == "g.detector IN (?, ?) AND g.score >= ?")
        #expect(some.arguments.description == #"["label-noise", "pii", 0.9]"#)
        #expect(FlagSelection(detectors: ["pii"], minScore: 0.5).description == "pii at score ≥ 0.5")
        #expect(FlagSelection().description == "any detector")
    }

    @Test func aQueuesDetectorsComeBackFromItsSelection() {
        var selection = QueueSelection()
        selection.detectors = ["label-noise", "near-duplicate"]
        selection.minScore = 0.5
        #expect(QueueSelection.detectors(fromJSON: selection.json) == ["label-noise", "near-duplicate"])
        #expect(QueueSelection.detectors(fromJSON: QueueSelection().json) == [])
        #expect(QueueSelection.detectors(fromJSON: "{}") == []) // the column's default
        #expect(QueueSelection.detectors(fromJSON: "not json") == [])
        #expect(QueueSelection.detectors(fromJSON: nil) == [])
    }

    /// The exclusion report's counts, on a store made here: per label selected and left out,
    /// per detector, one sample flagged twice counted once per label.
    @Test func theExclusionReportCountsPerLabelAndDetector() throws {
        let dir = TempDir()
        let store = try dir.store()
        let lines = (0..<6).map { "{\"id\": \"a\($0)\", \"text\": \"sample number \($0) with words\", \"label\": \"\($0 < 4 ? "x" : "y")\"}" }
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in.jsonl", lines.joined(separator: "\n") + "\n"))
        _ = try store.importFlags(
            file: dir.write("m1.jsonl", "{\"uid\": \"a0\", \"p\": 0.9}\n{\"uid\": \"a4\", \"p\": 0.2}\n"),
            detector: "m1", scoreField: "p", uidField: "uid", threshold: nil)
        _ = try store.importFlags(
            file: dir.write("m2.jsonl", "{\"uid\": \"a0\", \"p\": 0.7}\n"),
            detector: "m2", scoreField: "p", uidField: "uid", threshold: nil)
        var selection = SnapshotSelection()
        selection.excludeFlagged = FlagSelection()
        let all = try #require(try store.createSnapshot(name: "all", message: nil, selection: selection).excluded)
        #expect(all.excluded == 2 && all.byDetector == ["m1": 2, "m2": 1])
        #expect(all.labels.map(\.label) == ["x", "y"])
        #expect(all.labels.map(\.selected) == [4, 2] && all.labels.map(\.excluded) == [1, 1])
        #expect(all.labels[0].byDetector == ["m1": 1, "m2": 1] && all.labels[0].share == 0.25)
        selection.excludeFlagged = FlagSelection(detectors: ["m1"], minScore: 0.5)
        let info = try store.createSnapshot(name: "m1", message: nil, selection: selection)
        #expect(info.members == 5 && info.excluded?.excluded == 1 && info.excluded?.labels[1].excluded == 0)
        selection.excludeFlagged = FlagSelection(detectors: ["m3"])
        #expect(throws: WinnowError.self) { try store.createSnapshot(name: "m3", message: nil, selection: selection) }
    }
}
