import Foundation
import Testing

@testable import WinnowKit

/// Spherical k-means and topic naming on hand-made cases (Sources/WinnowKit/Metrics/KMeans.swift,
/// TopicTerms.swift).
@Suite struct KMeansTests {
    /// Three pairs of unit vectors, each pair ±0.1 off one axis: the clusters are the pairs,
    /// pair 0's centroid is the x axis.
    let separable = VectorMatrix(
        [
            [1, 0.1, 0], [1, -0.1, 0],
            [0, 1, 0.1], [0.1, 1, 0],
            [0, 0.1, 1], [0.1, 0, 1],
        ], dimension: 3)

    @Test func separableRowsGetExactAssignmentsAndCentroids() throws {
        for seed in UInt64(0)..<10 {
            let r = try KMeans.spherical(separable, k: 3, seed: seed)
            #expect(r.assignments[0] == r.assignments[1])
            #expect(r.assignments[2] == r.assignments[3])
            #expect(r.assignments[4] == r.assignments[5])
            #expect(Set(r.assignments).count == 3, "seed \(seed): \(r.assignments)")
            #expect(r.sizes == [2, 2, 2])
            #expect(r.converged)
            // Pair 0: cosine 1/√1.01 to x; pairs 1 and 2: 2.01 / (√1.01 · √4.02) to their sum.
            let other = 2.01 / (1.01.squareRoot() * 4.02.squareRoot())
            #expect(abs(r.objective - (2 / 1.01.squareRoot() + 4 * other) / 6) < 1e-6)
            // Pair 0's centroid is x, pair 1's the normalised sum (0.1, 2, 0.1).
            let c0 = r.centroids.row(r.assignments[0])
            #expect(abs(c0[0] - 1) < 1e-6 && abs(c0[1]) < 1e-6 && abs(c0[2]) < 1e-6)
            let c1 = r.centroids.row(r.assignments[2])
            let norm = (0.01 + 4 + 0.01).squareRoot()
            #expect(abs(Double(c1[0]) - 0.1 / norm) < 1e-6 && abs(Double(c1[1]) - 2 / norm) < 1e-6 && abs(Double(c1[2]) - 0.1 / norm) < 1e-6)
        }
    }

    /// 95 rows near x and 5 near y: uniform seeding would often start with both centres on x
    /// and split it; k-means++ (D² weights) almost surely puts the second centre on y.
    @Test func kMeansPlusPlusFindsTheSmallCluster() throws {
        var rows: [[Float]] = []
        var rng = SeededGenerator(seed: 42)
        func jitter() -> Float { Float(Double(rng.next() >> 11) * 0x1p-53 - 0.5) * 0.05 }
        for _ in 0..<95 { rows.append([1, jitter(), jitter()]) }
        for _ in 0..<5 { rows.append([jitter(), 1, jitter()]) }
        let matrix = VectorMatrix(rows, dimension: 3)
        for seed in UInt64(0)..<20 {
            let r = try KMeans.spherical(matrix, k: 2, seed: seed)
            let big = r.assignments[0]
            #expect(r.assignments[0..<95].allSatisfy { $0 == big }, "seed \(seed)")
            #expect(r.assignments[95...].allSatisfy { $0 != big }, "seed \(seed)")
        }
    }

    @Test func theSameSeedGivesTheSameClusters() throws {
        var rng = SeededGenerator(seed: 7)
        let values = (0..<(300 * 16)).map { _ in Float(Double(rng.next() >> 11) * 0x1p-53 - 0.5) }
        let matrix = VectorMatrix(dimension: 16, values: values)
        let a = try KMeans.spherical(matrix, k: 6, seed: 3)
        let b = try KMeans.spherical(matrix, k: 6, seed: 3)
        #expect(a == b)
        #expect(a.sizes.reduce(0, +) == 300)
        #expect(a.sizes.allSatisfy { $0 > 0 })
        let c = try KMeans.spherical(matrix, k: 6, seed: 4)
        #expect(c.sizes.reduce(0, +) == 300)
        // The objective is the mean cosine of the rows to their centroids, recomputed here.
        var x = matrix
        x.normalizeRows()
        var sum = 0.0
        for i in 0..<300 { sum += Double(x.dot(i, a.centroids, a.assignments[i])) }
        #expect(abs(sum / 300 - a.objective) < 1e-5)
    }

    @Test func badInputsSayWhatToChange() throws {
        #expect(throws: KMeans.Problem.kNotPositive(0)) { try KMeans.spherical(separable, k: 0, seed: 0) }
        #expect(throws: KMeans.Problem.kNotPositive(-2)) { try KMeans.spherical(separable, k: -2, seed: 0) }
        #expect(throws: KMeans.Problem.noRows) { try KMeans.spherical(VectorMatrix(rows: 0, dimension: 3), k: 1, seed: 0) }
        #expect(throws: KMeans.Problem.kAboveRows(k: 7, rows: 6)) { try KMeans.spherical(separable, k: 7, seed: 0) }
        let twice = VectorMatrix([[1, 0], [1, 0], [2, 0], [0, 1]], dimension: 2)
        #expect(throws: KMeans.Problem.kAboveDistinct(k: 3, distinct: 2)) { try KMeans.spherical(twice, k: 3, seed: 0) }
        #expect(KMeans.Problem.kAboveRows(k: 7, rows: 6).description == "--k 7 is more than the 6 samples with vectors; pass --k 6 or less")
        #expect(
            KMeans.Problem.kAboveDistinct(k: 3, distinct: 2).description
                == "--k 3 is more than the 2 distinct vectors among the samples; pass --k 2 or less")
        // k = rows: every row its own cluster.
        let all = try KMeans.spherical(separable, k: 6, seed: 1)
        #expect(Set(all.assignments).count == 6)
        #expect(abs(all.objective - 1) < 1e-6)
    }

    @Test func nearestTakesTheHighestCosineAndTheEarlierTopicOnATie() {
        let centroids = VectorMatrix([[1, 0], [0, 1]], dimension: 2)
        let r = KMeans.nearest(VectorMatrix([[3, 1], [1, 3], [1, 1], [0, 0]], dimension: 2), centroids: centroids)
        #expect(r.clusters == [0, 1, 0, 0])
        #expect(abs(r.cosines[0] - 3 / Float(10).squareRoot()) < 1e-6)
    }

    // MARK: - Names

    @Test func termsAreLowerCasedWordsWithoutStopWordsNumbersOrSingleLetters() {
        #expect(TopicTerms.terms("Don't REFUND 42 items, café's 東京 x2 a") == ["refund", "items", "café", "東", "京", "x2"])
    }

    /// Six texts in two clusters; the scores worked by hand with idf = ln(7 / (1 + df)) + 1.
    @Test func tfidfNamesAHandMadeCase() {
        var terms = TopicTerms(clusters: 2)
        for text in ["refund my order please", "refund order late days", "order refund days"] { terms.add(text, cluster: 0) }
        for text in ["password reset login", "login password help", "reset password login"] { terms.add(text, cluster: 1) }
        let top = terms.top(3)
        let idf3 = log(7.0 / 4) + 1, idf2 = log(7.0 / 3) + 1
        #expect(top[0].map(\.term) == ["order", "refund", "days"])
        #expect(abs(top[0][0].score - idf3 * (1.0 / 3 + 1.0 / 4 + 1.0 / 3) / 3) < 1e-12)
        #expect(abs(top[0][2].score - idf2 * (1.0 / 4 + 1.0 / 3) / 3) < 1e-12)
        #expect(top[1].map(\.term) == ["login", "password", "reset"])
        #expect(abs(top[1][2].score - idf2 * (2.0 / 3) / 3) < 1e-12)
        #expect(TopicTerms.names(top.map { $0.map(\.term) }) == ["order-refund-days", "login-password-reset"])
    }

    @Test func namesAreUnique() {
        let names = TopicTerms.names([["a", "b", "c", "d"], ["a", "b", "c", "e"], ["a", "b", "c"], [], ["a", "b", "c"]])
        #expect(names == ["a-b-c", "a-b-c-e", "a-b-c-2", "topic-4", "a-b-c-3"])
        #expect(TopicTerms.names([["refund"]], words: 3) == ["refund"])
    }
}
