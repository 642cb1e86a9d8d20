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
        #expect(Array(read.matrix.values) == [1, 0, 0, 1])
        #expect(read.matrix.isMapped && read.matrix.isNormalized)
        #expect(read.labels == ["x", nil])
        #expect(read.withoutVector == 1)
        #expect(try store.contentsWithoutVectors(model: model, limit: 10).map(\.content) == [.text("three")])
        #expect(throws: WinnowError.self) {
            try store.registerEmbeddingModel(name: "m", dimension: 3, dtype: .float32, origin: .import)
        }
        let summary = try #require(try store.embeddingModels().first)
        #expect(summary.vectors == 2 && summary.activeWithVector == 2 && summary.activeWithout == 1)
    }

    /// The scratch files left in `TMPDIR` (none should be: each is unlinked when made).
    static func scratchFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: VectorScratch.folder)) ?? []).filter { $0.hasPrefix("winnow-vectors-") }
    }

    @Test func theStoresVectorsAreMappedUnitRowsAndLeaveNoFile() throws {
        let dir = TempDir()
        let input = dir.write("in.jsonl", (0..<300).map { #"{"id":"s\#($0)","text":"t\#($0)"}"# }.joined(separator: "\n") + "\n")
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(input)
        let m = Self.randomMatrix(rows: 300, dimension: 12, seed: 9)
        // Stored three times too long: read back as unit rows.
        let model = try storeTestVectors(store, model: "m", Dictionary(uniqueKeysWithValues: (0..<300).map { ("s\($0)", m.row($0).map { $0 * 3 }) }))
        let before = Self.scratchFiles()
        let read = try store.sampleVectors(model: model)
        #expect(read.matrix.isMapped && read.matrix.rows == 300 && read.matrix.dimension == 12)
        #expect(Self.scratchFiles() == before, "the scratch file is unlinked as soon as it is made")
        for i in [0, 1, 150, 299] {
            let row = read.matrix.row(i)
            #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5, "row \(i) is unit length")
            #expect(abs(read.matrix.dot(i, m, i) - 1) < 1e-5, "row \(i) is the stored vector")
        }
        // Searching the mapped matrix gives what searching a heap copy gives.
        let heap = VectorMatrix(dimension: 12, values: Array(read.matrix.values))
        #expect(VectorSearch.nearest(read.matrix, in: read.matrix, k: 3, excludingSelf: true) == VectorSearch.nearest(heap, in: heap, k: 3, excludingSelf: true))
        // Normalising rows known to be unit copies nothing; changing a mapped matrix copies it to the heap.
        var copy = read.matrix
        copy.normalizeRows()
        #expect(copy.isMapped)
        copy.append([Float](repeating: 0, count: 12))
        #expect(!copy.isMapped && copy.rows == 301 && read.matrix.rows == 300)
        #expect(Array(copy.values.prefix(3600)) == Array(read.matrix.values))
    }

    @Test func aLargeSubsetGoesToAScratchFileASmallOneStaysOnTheHeap() throws {
        let m = Self.randomMatrix(rows: 500, dimension: 8, seed: 4)
        let picks = stride(from: 499, through: 0, by: -3).map { $0 }
        let small = try m.subset(picks)
        let large = try m.subset(picks, threshold: 64)
        #expect(!small.isMapped && large.isMapped)
        #expect(small == large && small == m.rows(picks))
        #expect(large.row(0) == m.row(499) && large.isNormalized)
        #expect(try m.subset([], threshold: 0).rows == 0)
    }

    @Test func nearestAmongASubsetMatchesNearestOnItsCopy() {
        let m = Self.randomMatrix(rows: 2600, dimension: 16, seed: 11)
        let subset = (0..<m.rows).filter { $0 % 3 != 1 }
        let copy = m.rows(subset)
        #expect(subset.count > 1024, "the subset spans blocks")
        // The same neighbours; cosines equal to BLAS's rounding (its kernels may sum in another order).
        let among = VectorSearch.nearest(among: subset, of: m, k: 4), onCopy = VectorSearch.nearest(copy, in: copy, k: 4, excludingSelf: true)
        let firstDifferent = among.indices.first { i in
            among[i].map(\.index) != onCopy[i].map(\.index) || zip(among[i], onCopy[i]).contains { abs($0.cosine - $1.cosine) > 1e-5 }
        }
        #expect(among.count == onCopy.count && firstDifferent == nil, "row \(firstDifferent ?? -1)")
        let near = Outliers.neighbourhoods(m, k: 4, among: subset), nearOnCopy = Outliers.neighbourhoods(copy, k: 4)
        #expect(zip(near, nearOnCopy).allSatisfy { $0.nearest == $1.nearest && abs($0.meanDistance - $1.meanDistance) < 1e-5 })
    }
}
