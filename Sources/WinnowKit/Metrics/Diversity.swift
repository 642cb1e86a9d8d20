import Foundation

/// Diversity of a group of samples in feature space, from their vectors (`stats` when the
/// store holds vectors).
public struct VectorDiversityReport: Codable, Sendable, Equatable {
    /// Samples in the group (with a vector).
    public var samples: Int
    /// The Vendi score of the group (or of its seeded sample): the effective number of
    /// distinct samples, 1 for copies of one vector up to n for n orthogonal ones.
    public var vendiScore: Double
    /// How many of `samples` the Vendi score was computed on (at most `VectorDiversity.vendiSampleSize`).
    public var vendiSample: Int
    /// Mean of 1 − cosine over all pairs of the group (exact, not sampled); nil below 2 samples.
    @NullEncodable public var meanCosineDistance: Double?

    enum CodingKeys: String, CodingKey {
        case samples
        case vendiScore = "vendi_score"
        case vendiSample = "vendi_sample"
        case meanCosineDistance = "mean_cosine_distance"
    }
}

/// The feature-space diversity measures: pure math over a `VectorMatrix`, no store.
public enum VectorDiversity {
    /// The Vendi score is computed on at most this many rows of a group (a seeded sample).
    public static let vendiSampleSize = 5000
    /// The seed of that sample, fixed so `stats` gives the same figures on every run.
    public static let seed: UInt64 = 14

    /// The Vendi score (Friedman & Dieng, 2023) of the rows of `matrix` at `rows` under the
    /// cosine kernel: exp(−Σ λ log λ) over the eigenvalues λ of K/n, K the n × n matrix of
    /// cosines. With X the n unit rows, K = XXᵀ, and the nonzero eigenvalues of XXᵀ/n are
    /// those of XᵀX/n (d × d), so the eigenproblem is of size min(n, d), never n × n for
    /// large n. Rows are normalised first; a zero row counts as a vector of no direction
    /// (it lowers the trace below 1). 0 for no rows.
    public static func vendiScore(_ matrix: VectorMatrix, rows: [Int]? = nil) -> Double {
        var x = rows.map { matrix.rows($0) } ?? matrix
        let n = x.rows, d = x.dimension
        guard n > 0 else { return 0 }
        x.normalizeRows()
        let size = min(n, d)
        var gram = [Float](repeating: 0, count: size * size)
        x.values.withUnsafeBufferPointer { px in
            gram.withUnsafeMutableBufferPointer { pg in
                if n <= d {
                    // XXᵀ / n: n × n.
                    BLAS.gemm(
                        transposeB: true, m: n, n: n, k: d, alpha: 1 / Float(n), a: px.baseAddress!, lda: d,
                        b: px.baseAddress!, ldb: d, c: pg.baseAddress!, ldc: n)
                } else {
                    // XᵀX / n: d × d.
                    BLAS.gemm(
                        transposeA: true, m: d, n: d, k: n, alpha: 1 / Float(n), a: px.baseAddress!, lda: d,
                        b: px.baseAddress!, ldb: d, c: pg.baseAddress!, ldc: d)
                }
            }
        }
        let eigenvalues = BLAS.symmetricEigenvalues(gram, n: size)
        // Rounding leaves eigenvalues of about ±1e-7 × the largest where the true ones are 0:
        // they carry no mass. The cutoff is relative to the largest, so a group whose
        // eigenvalues are all small (its trace lowered by zero rows) keeps its mass.
        let cutoff = 1e-6 * (eigenvalues.max() ?? 0)
        var entropy = 0.0
        for value in eigenvalues where value > cutoff && value > 0 {
            let lambda = Double(value)
            entropy -= lambda * Foundation.log(lambda)
        }
        return Foundation.exp(entropy)
    }

    /// Mean cosine distance 1 − cos(xᵢ, xⱼ) over all pairs i < j of the rows at `rows`, exact
    /// in O(n·d): with unit rows uᵢ and s = Σ uᵢ, Σ over i ≠ j of uᵢ·uⱼ = |s|² − n. Nil below 2 rows.
    public static func meanCosineDistance(_ matrix: VectorMatrix, rows: [Int]? = nil) -> Double? {
        let indices = rows ?? Array(0..<matrix.rows)
        let n = indices.count, d = matrix.dimension
        guard n >= 2 else { return nil }
        var sum = [Double](repeating: 0, count: d)
        var selfDot = 0.0
        matrix.values.withUnsafeBufferPointer { v in
            for i in indices {
                let row = v.baseAddress! + i * d
                var norm = 0.0
                for j in 0..<d { norm += Double(row[j]) * Double(row[j]) }
                guard norm > 0 else { continue }
                let scale = 1 / norm.squareRoot()
                for j in 0..<d { sum[j] += Double(row[j]) * scale }
                selfDot += 1
            }
        }
        let total = sum.reduce(0) { $0 + $1 * $1 }
        let meanCosine = (total - selfDot) / (Double(n) * Double(n - 1))
        return 1 - meanCosine
    }

    /// At most `size` of `rows`, drawn without replacement by `SeededGenerator(seed)` and
    /// kept in their original order; all of them when there are no more than `size`.
    public static func sample(_ rows: [Int], size: Int = vendiSampleSize, seed: UInt64 = seed) -> [Int] {
        guard rows.count > size else { return rows }
        var generator = SeededGenerator(seed: seed)
        var pool = rows
        // A partial Fisher–Yates shuffle: the first `size` places are the sample.
        for i in 0..<size {
            let j = Int.random(in: i..<pool.count, using: &generator)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<size]).sorted()
    }

    /// Both measures for the rows of `matrix` at `rows` (all rows without it): the Vendi score
    /// on a seeded sample of up to `vendiSampleSize`, the mean cosine distance on all.
    public static func report(_ matrix: VectorMatrix, rows: [Int]? = nil, sampleSize: Int = vendiSampleSize) -> VectorDiversityReport {
        let all = rows ?? Array(0..<matrix.rows)
        let sampled = sample(all, size: sampleSize)
        return VectorDiversityReport(
            samples: all.count, vendiScore: vendiScore(matrix, rows: sampled), vendiSample: sampled.count,
            meanCosineDistance: meanCosineDistance(matrix, rows: all))
    }
}
