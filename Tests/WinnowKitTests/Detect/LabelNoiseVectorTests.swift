import Foundation
import Testing
@testable import WinnowKit

/// label-noise on feature vectors: kNN label disagreement's votes against figures worked by
/// hand, the detector finding planted flips with it, and its settings.
@Suite struct LabelNoiseVectorTests {
    static func at(_ degrees: Double) -> [Float] { VectorDetectorTests.at(degrees) }

    @Test func neighbourVotesAreCosineWeightedWithOnePriorVote() {
        // Rows at 0°, 10°, 20° and 100°, labelled a, a, b, b (prior ½ each), k = 2.
        // Row 0: neighbours 10° (a, cos 0.984808) and 20° (b, cos 0.939693):
        // p_a = (0.984808 + ½) / (1 + 0.984808 + 0.939693) = 0.5077133.
        // Row 1: 0° (a) and 20° (b) tie at cos 0.984808: ½ each.
        // Row 2: 10° (a, 0.984808) and 0° (a, 0.939693): p_b = ½ / 2.924501 = 0.1709694.
        // Row 3: 20° (b, cos 80° = 0.173648) and 10° (a, cos 90° = 0: no weight):
        // p_b = (0.173648 + ½) / 1.173648 = 0.5739780.
        let m = VectorMatrix([Self.at(0), Self.at(10), Self.at(20), Self.at(100)], dimension: 3)
        let p = NeighbourVotes.probabilities(m, labels: [0, 0, 1, 1], classes: 2, k: 2)
        let expected = [[0.5077133059, 0.4922866941], [0.5, 0.5], [0.8290306254, 0.1709693746], [0.4260220478, 0.5739779522]]
        for (got, want) in zip(p, expected) {
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-6 }, "\(got) vs \(want)")
            #expect(abs(got.reduce(0, +) - 1) < 1e-12)
        }
        #expect(NeighbourVotes.probabilities(VectorMatrix(rows: 0, dimension: 3), labels: [], classes: 2, k: 2).isEmpty)
    }

    /// 60 samples labelled a at 0…59° and 60 labelled b at 90…149°, the one at 30° relabelled b
    /// and the one at 120° relabelled a; before them an unlabelled sample (so the labelled
    /// samples are rows 1… of the matrix, not 0…).
    static func flippedCase() -> (samples: [DetectSample], vectors: SampleVectors) {
        var rows: [[Float]] = [Self.at(45)], labels: [String?] = [nil]
        for i in 0..<120 {
            rows.append(Self.at(i < 60 ? Double(i) : Double(30 + i)))
            labels.append(i == 30 ? "b" : i == 90 ? "a" : i < 60 ? "a" : "b")
        }
        let vectors = VectorDetectorTests.vectors(rows, labels: labels)
        let samples = labels.enumerated().map { n, label in
            DetectSample(sampleID: Int64(n + 1), contentID: Int64(101 + n), uid: "s\(n + 1)", label: label, content: .text("sample \(n + 1)"))
        }
        return (samples, vectors)
    }

    static func run(_ detector: LabelNoiseDetector, _ c: (samples: [DetectSample], vectors: SampleVectors)) -> [DetectorHit] {
        for s in c.samples { _ = detector.observe(s) }
        detector.use(c.vectors)
        return detector.finish()
    }

    @Test func knnFlagsTheSamplesWhoseNeighboursDisagree() throws {
        // Worked through prune_by_noise_rate: thresholds 0.924 for both labels, confident joint
        // [[49, 1], [1, 49]], one sample per off-diagonal: the two flips (samples 32 and 92).
        let detector = LabelNoiseDetector(features: .vectors, classifier: .knn, k: 10)
        let hits = Self.run(detector, Self.flippedCase())
        #expect(hits.map(\.sampleID) == [32, 92])
        // Its 10 neighbours (25…35° but itself, all a) give p_b = ½ / (1 + Σ cos) = 0.0455238.
        #expect(abs(hits[0].score - (1 - 0.04552385092147191)) < 1e-6)
        #expect(hits[0].reason == "label 'b' but its 10 nearest neighbours give 'a' 0.95 (by cosine-weighted vote)")
        let details = try VectorDetectorTests.details(hits[0])
        #expect(details["given"] as? String == "b" && details["predicted"] as? String == "a")
        #expect(detector.parametersJSON.contains(#""k":10"#) && detector.parametersJSON.contains(#""features":"vectors""#))
        #expect(detector.parametersJSON.contains("kNN label disagreement"))
        #expect(detector.warnings.isEmpty)
        // Logistic regression on the same vectors is the other classifier of the family.
        let logistic = LabelNoiseDetector(features: .vectors, classifier: .logistic)
        _ = Self.run(logistic, Self.flippedCase())
        #expect(logistic.parametersJSON.contains("logistic regression"))
    }

    @Test func knnSettingsAreCheckedAndNamed() throws {
        var config = DetectConfig()
        try config.set("label-noise.classifier", "knn")
        try config.set("label-noise.k", "7")
        #expect(config.labelNoiseClassifier == .knn && config.labelNoiseK == 7)
        #expect(throws: WinnowError.self) { try config.set("label-noise.k", "0") }
        do {
            try config.set("label-noise.classifier", "forest")
            Issue.record("an unknown classifier was accepted")
        } catch { #expect("\(error)".contains("expected logistic or knn"), "\(error)") }
        #expect(DetectConfig.keys.contains { $0.0 == "label-noise.classifier" } && DetectConfig.keys.contains { $0.0 == "label-noise.k" })
        // The default is logistic regression on TF-IDF, vectors or not (the Debian benchmark's
        // winner); kNN alone reads the vectors; kNN on TF-IDF is refused.
        #expect(try DetectConfig().labelNoiseChoice() == (.tfidf, .logistic))
        #expect(try config.labelNoiseChoice() == (.vectors, .knn))
        try config.set("label-noise.features", "tfidf")
        #expect(throws: WinnowError.self) { try config.labelNoiseChoice() }
        #expect(throws: WinnowError.self) { try config.make(.labelNoise) }
    }
}
