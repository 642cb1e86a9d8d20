import Foundation
import Testing
@testable import WinnowKit

/// The Vendi score and the mean pairwise cosine distance against figures worked by hand.
@Suite struct VectorDiversityTests {
    @Test func vendiOfCopiesOfOneVectorIsOne() {
        let m = VectorMatrix(Array(repeating: [0.3, -0.4, 0.5, 0.1], count: 7), dimension: 4)
        #expect(abs(VectorDiversity.vendiScore(m) - 1) < 1e-5)
        #expect(abs(VectorDiversity.meanCosineDistance(m)! - 0) < 1e-6, "copies are at distance 0")
    }

    @Test func vendiOfOrthogonalVectorsIsTheirCount() {
        // 4 basis vectors of 6 dimensions (n ≤ d: the n × n kernel).
        let basis = (0..<4).map { i in (0..<6).map { $0 == i ? Float(1) : 0 } }
        #expect(abs(VectorDiversity.vendiScore(VectorMatrix(basis, dimension: 6)) - 4) < 1e-4)
        // ±e1, ±e2, ±e3 in 3 dimensions (n > d: the d × d matrix XᵀX/n = I/3): 3 directions.
        let signed = (0..<6).map { i in (0..<3).map { $0 == i % 3 ? Float(i < 3 ? 1 : -1) : 0 } }
        #expect(abs(VectorDiversity.vendiScore(VectorMatrix(signed, dimension: 3)) - 3) < 1e-4)
        // Pairwise distance of orthogonal vectors is 1.
        #expect(abs(VectorDiversity.meanCosineDistance(VectorMatrix(basis, dimension: 6))! - 1) < 1e-9)
    }

    @Test func vendiOfTwoVectorsAtCosineOneHalf() {
        // K = [[1, .5], [.5, 1]]; K/2 has eigenvalues .75 and .25:
        // exp(−(.75 ln .75 + .25 ln .25)) = 1.7547653506.
        let m = VectorMatrix([[1, 0], [0.5, Float(0.75).squareRoot()]], dimension: 2)
        #expect(abs(VectorDiversity.vendiScore(m) - 1.7547653506) < 1e-5)
        // Length does not matter: the kernel is the cosine.
        let scaled = VectorMatrix([[3, 0], [0.05, Float(0.0075).squareRoot()]], dimension: 2)
        #expect(abs(VectorDiversity.vendiScore(scaled) - 1.7547653506) < 1e-5)
        // The same pair in 3 dimensions (n < d) gives the same.
        let padded = VectorMatrix([[1, 0, 0], [0.5, Float(0.75).squareRoot(), 0]], dimension: 3)
        #expect(abs(VectorDiversity.vendiScore(padded) - 1.7547653506) < 1e-5)
        #expect(VectorDiversity.vendiScore(VectorMatrix(rows: 0, dimension: 3)) == 0)
    }

    @Test func meanCosineDistanceOfThreeVectors() {
        // cos(e1, e2) = 0, cos(e1, d) = cos(e2, d) = √2/2 with d = (1, 1)/√2 (given unscaled):
        // mean cosine √2/3, distance 1 − √2/3 = 0.5285954792.
        let m = VectorMatrix([[2, 0], [0, 1], [5, 5]], dimension: 2)
        #expect(abs(VectorDiversity.meanCosineDistance(m)! - 0.5285954792) < 1e-7)
        #expect(VectorDiversity.meanCosineDistance(m, rows: [1]) == nil, "one sample has no pair")
        #expect(abs(VectorDiversity.meanCosineDistance(m, rows: [0, 1])! - 1) < 1e-9)
        // Opposite vectors are at distance 2.
        #expect(abs(VectorDiversity.meanCosineDistance(VectorMatrix([[1, 0], [-1, 0]], dimension: 2))! - 2) < 1e-9)
    }

    @Test func theVendiSampleIsSeededAndBounded() {
        let rows = Array(0..<20)
        let a = VectorDiversity.sample(rows, size: 5, seed: 1), b = VectorDiversity.sample(rows, size: 5, seed: 1)
        #expect(a == b, "the same seed draws the same sample")
        #expect(a.count == 5 && Set(a).count == 5 && a == a.sorted())
        #expect(VectorDiversity.sample(rows, size: 5, seed: 2) != a)
        #expect(VectorDiversity.sample(rows, size: 20) == rows, "no more rows than the size: all of them")

        // 30 vectors, 3 directions, 10 copies each: the score is 3 on all of them, and about 3
        // on a sample of 12 (not exactly: a sample need not hold the directions evenly).
        var vectors: [[Float]] = []
        for i in 0..<30 { vectors.append((0..<3).map { $0 == i % 3 ? 1 : 0 }) }
        let m = VectorMatrix(vectors, dimension: 3)
        let full = VectorDiversity.report(m)
        #expect(full.samples == 30 && full.vendiSample == 30)
        #expect(abs(full.vendiScore - 3) < 1e-4)
        // 10 copies each: pairs at distance 0 are 3 · 45 of 435, the rest at distance 1.
        #expect(abs(full.meanCosineDistance! - Double(435 - 135) / 435) < 1e-9)
        let sampled = VectorDiversity.report(m, sampleSize: 12)
        #expect(sampled.samples == 30 && sampled.vendiSample == 12)
        #expect(sampled.vendiScore > 2 && sampled.vendiScore <= 3 + 1e-4)
        #expect(sampled.meanCosineDistance == full.meanCosineDistance, "the distance is exact over all samples, never sampled")
    }
}
