import Foundation
import Testing
@testable import WinnowKit

/// semantic-duplicate and outlier on hand-made vectors whose cosines are known (points on the
/// unit circle at chosen angles), and label-noise's dense features.
@Suite struct VectorDetectorTests {
    /// The unit vector at `degrees` in the xy plane of 3 dimensions.
    static func at(_ degrees: Double) -> [Float] {
        [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180)), 0]
    }

    /// Samples 1…n (uids s1…) with these vectors and labels, as the detectors get them.
    static func vectors(_ rows: [[Float]], labels: [String?]? = nil, model: String = "m") -> SampleVectors {
        let n = rows.count
        let record = EmbeddingModel(
            EmbeddingModelRecord(
                id: 1, name: model, dimension: Int64(rows[0].count), dtype: .float32, origin: .import, fingerprint: nil,
                maxTokens: nil, createdAt: "2026-01-01T00:00:00Z"))
        return SampleVectors(
            model: record, sampleIDs: (1...n).map(Int64.init), contentIDs: (1...n).map { Int64(100 + $0) },
            uids: (1...n).map { "s\($0)" }, labels: labels ?? Array(repeating: nil, count: n),
            matrix: VectorMatrix(rows, dimension: rows[0].count), withoutVector: 0)
    }

    static func hits(_ detector: some VectorDetector, _ v: SampleVectors) -> [Int64: DetectorHit] {
        detector.use(v)
        return Dictionary(uniqueKeysWithValues: detector.finish().map { ($0.sampleID, $0) })
    }

    static func details(_ hit: DetectorHit?) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data((hit?.details ?? "").utf8)) as? [String: Any])
    }

    @Test func semanticDuplicatesClusterByUnionFindAndNameTheEarliest() throws {
        // Rows (1-based samples): s1 at 0°, s2 at 90°, s3 at 28° (cos 0.8829 to s1: below 0.95),
        // s4 at 12° (cos 0.9781 to s1, cos 0.9613 to s3), s5 on the z axis, s6 at 90.5°
        // (cos 0.99996 to s2). Clusters: {s1, s3, s4} (s3 joins through s4) and {s2, s6}.
        let v = Self.vectors([Self.at(0), Self.at(90), Self.at(28), Self.at(12), [0, 0, 1], Self.at(90.5)])
        let found = SemanticDuplicates.find(v.matrix, threshold: 0.95)
        #expect(found.map(\.row) == [2, 3, 5])
        #expect(found.map(\.representative) == [0, 0, 1])
        #expect(found.map(\.match) == [3, 0, 1], "s3's best match is the later s4; s4's is s1")
        for (m, expected) in zip(found, [cos(16 * Double.pi / 180), cos(12 * Double.pi / 180), cos(0.5 * Double.pi / 180)]) {
            #expect(abs(Double(m.cosine) - expected) < 1e-6)
        }

        let hits = Self.hits(SemanticDuplicateDetector(), v)
        #expect(hits.keys.sorted() == [3, 4, 6])
        #expect(hits[3]?.contentID == 103)
        #expect(hits[3]?.reason == "cosine 0.961 to s4 (m); cluster of s1")
        #expect(hits[4]?.reason == "cosine 0.978 to s1 (m); cluster of s1")
        let d = try Self.details(hits[3])
        #expect(d["cluster"] as? Int == 1 && d["representative"] as? String == "s1" && d["similar_to"] as? String == "s4")
        #expect(d["model"] as? String == "m")
        #expect(abs((d["cosine"] as? Double ?? 0) - 0.961262) < 1e-5)
        #expect(abs((hits[3]?.score ?? 0) - 0.961262) < 1e-5)
        let d6 = try Self.details(hits[6])
        #expect(d6["cluster"] as? Int == 2 && d6["representative"] as? String == "s2")

        // A stricter threshold breaks the chain: s3 (0.9613 to s4) drops out, s4 stays.
        let strict = Self.hits(SemanticDuplicateDetector(threshold: 0.97), v)
        #expect(strict.keys.sorted() == [4, 6])
        #expect(SemanticDuplicates.find(Self.vectors([Self.at(0)]).matrix, threshold: 0.5).isEmpty)
    }

    @Test func semanticDuplicatesAcrossBlocksMatchABruteForceUnionFind() {
        let m = VectorFoundationTests.randomMatrix(rows: 2300, dimension: 8, seed: 11)
        let found = SemanticDuplicates.find(m, threshold: 0.97)
        // Brute force: root = earliest row reachable through pairs at or above the threshold.
        var root = Array(0..<m.rows)
        func find(_ x: Int) -> Int { root[x] == x ? x : find(root[x]) }
        for i in 0..<m.rows { for j in 0..<i where m.dot(i, m, j) >= 0.97 { let a = find(i), b = find(j); root[max(a, b)] = min(a, b) } }
        let expected = (0..<m.rows).filter { find($0) != $0 }
        #expect(found.map(\.row) == expected)
        #expect(found.allSatisfy { find($0.row) == $0.representative && m.dot($0.row, m, $0.match) >= 0.97 })
        #expect(found.count > 20)
    }

    /// Label a at 0, 2, 3, 6, 7, 9, 12, 13 degrees, label b the same plus 180; s17 at 190° is
    /// labelled a but lies among b. With k = 2, within label a its mean distance is
    /// 1 − (cos 177° + cos 170°)/2 = 1.98754 against a median of 0.000761 (MAD 0.000228):
    /// robust z 5866. Computed by hand in Python from the angles.
    static let angles: [Double] = [0, 2, 3, 6, 7, 9, 12, 13]
    static var outlierCase: SampleVectors {
        let rows = angles.map(at) + angles.map { at($0 + 180) } + [at(190)]
        return vectors(rows, labels: Array(repeating: "a", count: 8) + Array(repeating: "b", count: 8) + ["a"])
    }

    @Test func outliersAreFarFromTheirLabelsNeighbours() throws {
        let hits = Self.hits(OutlierDetector(k: 2), Self.outlierCase)
        #expect(hits.keys.sorted() == [17])
        let d = try Self.details(hits[17])
        #expect(d["label"] as? String == "a" && d["k"] as? Int == 2 && d["nearest"] as? String == "s1")
        #expect(abs((d["mean_distance"] as? Double ?? 0) - 1.987538) < 1e-5)
        #expect(abs((d["median_distance"] as? Double ?? 0) - 0.000761385) < 2e-6)
        #expect(abs((d["mad"] as? Double ?? 0) - 0.000228434) < 2e-6)
        #expect(abs((hits[17]?.score ?? 0) - 5866.4) / 5866.4 < 0.01)
        #expect(hits[17]?.reason.hasPrefix("mean cosine distance 1.988 to its 2 nearest neighbours of label 'a', typical 0.001 (robust z ") == true)

        // Unlabelled, s17 is one of b's crowd: nothing stands out.
        var unlabelled = Self.outlierCase
        unlabelled = Self.vectors((0..<unlabelled.matrix.rows).map(unlabelled.matrix.row))
        #expect(Self.hits(OutlierDetector(k: 2), unlabelled).isEmpty)
        // A group of k samples or fewer is not checked; a looser bound flags the end of a's arc too.
        #expect(Self.hits(OutlierDetector(k: 9), Self.outlierCase).isEmpty)
        #expect(Self.hits(OutlierDetector(k: 2, z: 1.5), Self.outlierCase).keys.sorted() == [8, 16, 17])
    }

    @Test func robustZIsNilWithoutSpread() throws {
        #expect(Outliers.robustZ([1, 1, 1, 2]) == nil)
        let r = try #require(Outliers.robustZ([1, 2, 3, 4, 100]))
        #expect(r.median == 3 && r.mad == 1)
        #expect(abs(r.z[4] - 0.6745 * 97) < 1e-9)
    }

    @Test func labelNoiseStandardisesEachDimension() throws {
        let m = VectorMatrix([[1, 0, 5], [3, 0, 5], [5, 0, 5]], dimension: 3)
        // On the heap, and (as past 64 MiB) in a mapped scratch file: the same rows.
        for (threshold, mapped) in [(Int.max, false), (0, true)] {
            let x = try LabelNoiseDetector.standardised(m, rows: [0, 1, 2], threshold: threshold)
            #expect(x.count == 3 && x.matrix.isMapped == mapped)
            // Dimension 0: mean 3, sd √(8/3); scaled by 1/(sd·√3). Constant dimensions become 0.
            let s = Float(1 / ((8.0 / 3).squareRoot() * 3.0.squareRoot()))
            for n in 0..<3 {
                x.withRow(n) { idx, val in
                    #expect(Array(idx) == [0, 1, 2])
                    #expect(abs(val[0] - Float(n * 2 - 2) * s) < 1e-6 && val[1] == 0 && val[2] == 0)
                }
            }
        }
    }

    @Test func denseAndSparseRowsTrainTheSameModel() {
        // The same three-dimensional rows, once dense and once as sparse documents: the same probabilities.
        var rng = SeededGenerator(seed: 5)
        let rows = (0..<200).map { i in [Float(i % 2) * 2 - 1 + Float.random(in: -0.5...0.5, using: &rng), Float.random(in: -1...1, using: &rng), 0.3] }
        let labels = (0..<200).map { $0 % 2 }
        let fold = (0..<200).map { $0 % 5 }
        let lr = HashedLogisticRegression(buckets: 3, epochs: 4)
        let dense = lr.outOfFoldProbabilities(DenseFeatureRows(VectorMatrix(rows, dimension: 3)), labels: labels, classes: 2, folds: 5, fold: fold)
        let sparse = lr.outOfFoldProbabilities(rows.map { SparseVector(indices: [0, 1, 2], values: $0) }, labels: labels, classes: 2, folds: 5, fold: fold)
        #expect(dense == sparse)
        #expect(zip(dense, labels).filter { $0.0[$0.1] > 0.5 }.count > 180, "the classes are learnt")
    }
}
