import Foundation
import Testing
@testable import WinnowKit

/// The shared pieces under every vector feature: BLOB coding, blocked exact search against a
/// brute-force scan, LAPACK's eigenvalues, and the store's model and vector rows.
@Suite struct VectorFoundationTests {
    /// `rows` seeded random unit vectors of `dimension`, a few of them near-copies of others.
    static func randomMatrix(rows: Int, dimension: Int, seed: UInt64) -> VectorMatrix {
        var rng = SeededGenerator(seed: seed)
        var m = VectorMatrix(rows: 0, dimension: dimension)
        for i in 0..<rows {
            if i % 97 == 50 {
                var copy = m.row(i - 50)
                copy[0] += 0.01
                m.append(copy)
            } else {
                m.append((0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) })
            }
        }
        m.normalizeRows()
        return m
    }

    @Test func float32AndFloat16RoundTrip() throws {
        let v: [Float] = [0, 1, -1, 0.5, 1e-3, -65504, 3.1415927]
        #expect(VectorCoding.decode(VectorCoding.encode(v, as: .float32), as: .float32, dimension: v.count) == v)
        let half = try #require(VectorCoding.decode(VectorCoding.encode(v, as: .float16), as: .float16, dimension: v.count))
        for (a, b) in zip(v, half) { #expect(abs(a - b) <= abs(a) * 1e-3 + 1e-4) }
        #expect(VectorCoding.encode(v, as: .float16).count == 14)
        #expect(VectorCoding.decode(Data([1, 2, 3]), as: .float32, dimension: 1) == nil, "a BLOB of the wrong length is refused")
    }

    @Test func nearestMatchesBruteForceAcrossBlocks() {
        let m = Self.randomMatrix(rows: 2500, dimension: 16, seed: 3)
        let found = VectorSearch.nearest(m, in: m, k: 5, excludingSelf: true)
        for i in [0, 1, 1023, 1024, 2047, 2048, 2499] {
            let brute = (0..<m.rows).filter { $0 != i }.map { Neighbour(index: $0, cosine: m.dot(i, m, $0)) }
                .sorted { $0.cosine != $1.cosine ? $0.cosine > $1.cosine : $0.index < $1.index }.prefix(5)
            #expect(found[i].map(\.index) == brute.map(\.index), "row \(i)")
            for (a, b) in zip(found[i], brute) { #expect(abs(a.cosine - b.cosine) < 1e-5) }
        }
        #expect(found[50].first?.index == 0, "the planted near-copy is row 0's nearest")
    }

    @Test func pairsAboveAThresholdAreExactlyTheBruteForceOnes() {
        let m = Self.randomMatrix(rows: 2200, dimension: 8, seed: 5)
        var pairs: [SimilarPair] = []
        VectorSearch.forEachPair(in: m, atLeast: 0.97) { pairs.append(contentsOf: $0) }
        var brute: [SimilarPair] = []
        for i in 0..<m.rows { for j in 0..<i where m.dot(i, m, j) >= 0.97 { brute.append(SimilarPair(later: i, earlier: j, cosine: m.dot(i, m, j))) } }
        let key = { (p: SimilarPair) in "\(p.later)-\(p.earlier)" }
        #expect(Set(pairs.map(key)) == Set(brute.map(key)))
        #expect(pairs.allSatisfy { $0.earlier < $0.later })
        #expect(!brute.isEmpty)
    }

    @Test func eigenvaluesOfAKnownSymmetricMatrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let w = BLAS.symmetricEigenvalues([2, 1, 1, 2], n: 2)
        #expect(abs(w[0] - 1) < 1e-5 && abs(w[1] - 3) < 1e-5)
    }

    @Test func modelsAndVectorsRoundTripThroughTheStore() throws {
        let dir = TempDir()
        let input = dir.write("in.jsonl", #"{"id":"a","text":"one","label":"x"}\#n{"id":"b","text":"two"}\#n{"id":"c","text":"three"}\#n"#)
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(input)
        #expect(throws: WinnowError.self) { try store.vectorModel(nil) }
        let model = try storeTestVectors(store, model: "m", ["a": [1, 0], "b": [0, 1]])
        #expect(try store.vectorModel(nil) == model)
        let read = try store.sampleVectors(model: model)
        #expect(read.uids == ["a", "b"])
        #expect(read.matrix.values == [1, 0, 0, 1])
        #expect(read.labels == ["x", nil])
        #expect(read.withoutVector == 1)
        #expect(try store.contentsWithoutVectors(model: model, limit: 10).map(\.content) == [.text("three")])
        #expect(throws: WinnowError.self) {
            try store.registerEmbeddingModel(name: "m", dimension: 3, dtype: .float32, origin: .import)
        }
        let summary = try #require(try store.embeddingModels().first)
        #expect(summary.vectors == 2 && summary.activeWithVector == 2 && summary.activeWithout == 1)
    }
}
