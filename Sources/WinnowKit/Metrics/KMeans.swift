import Foundation

/// The outcome of spherical k-means: unit centroids, one cluster per row, and how it went.
public struct KMeansResult: Sendable, Equatable {
    /// `k` unit-length rows, cluster `c` in row `c`.
    public let centroids: VectorMatrix
    /// The cluster of each input row.
    public let assignments: [Int]
    /// Rows per cluster.
    public let sizes: [Int]
    /// Assignment passes run (the last one changed nothing when `converged`).
    public let iterations: Int
    /// Whether an assignment pass changed nothing before the iteration cap.
    public let converged: Bool
    /// Mean cosine of each row to its centroid: the objective spherical k-means maximises.
    public let objective: Double
    /// Mean cosine of each cluster's rows to its centroid (nil for an empty cluster).
    public let cohesion: [Double?]
}

/// Spherical k-means (Dhillon and Modha, 2001) with k-means++ seeding (Arthur and Vassilvitskii,
/// 2007): rows are compared by cosine, a centroid is the normalised sum of its rows. Pure and
/// deterministic: the same rows, k and seed give the same clusters on every machine.
///
/// Seeding draws the first centre uniformly, each next one with probability proportional to
/// 1 − (best cosine to a chosen centre), which for unit rows is half the squared Euclidean
/// distance: k-means++'s D² rule. A cluster left empty by an update takes the row farthest
/// from its own centroid. Products go through BLAS a block of rows at a time, so memory is
/// the rows plus `block × k` scratch floats.
public enum KMeans {
    /// The iteration cap when none is given.
    public static let defaultMaxIterations = 100
    /// Rows per block of the assignment products.
    static let block = 4096

    /// Why clustering cannot start; the messages say what to change.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case kNotPositive(Int)
        case noRows
        case kAboveRows(k: Int, rows: Int)
        case kAboveDistinct(k: Int, distinct: Int)

        public var description: String {
            switch self {
            case .kNotPositive(let k): return "--k \(k): the number of clusters must be 1 or more"
            case .noRows: return "there are no vectors to cluster"
            case .kAboveRows(let k, let rows):
                return "--k \(k) is more than the \(rows) sample\(rows == 1 ? "" : "s") with vectors; pass --k \(rows) or less"
            case .kAboveDistinct(let k, let distinct):
                return "--k \(k) is more than the \(distinct) distinct vector\(distinct == 1 ? "" : "s") among the samples; pass --k \(distinct) or less"
            }
        }
    }

    /// Clusters the rows of `matrix` (normalised here; a zero row stays zero and joins the
    /// first cluster) into `k` clusters.
    public static func spherical(
        _ matrix: VectorMatrix, k: Int, seed: UInt64, maxIterations: Int = defaultMaxIterations
    ) throws -> KMeansResult {
        guard k > 0 else { throw Problem.kNotPositive(k) }
        guard matrix.rows > 0 else { throw Problem.noRows }
        guard k <= matrix.rows else { throw Problem.kAboveRows(k: k, rows: matrix.rows) }
        var x = matrix
        x.normalizeRows()
        let distinct = distinctRows(x, atLeast: k)
        guard distinct >= k else { throw Problem.kAboveDistinct(k: k, distinct: distinct) }

        let n = x.rows
        var rng = SeededGenerator(seed: seed)
        var centroids = seedCentroids(x, k: k, using: &rng)
        var assignments = [Int](repeating: -1, count: n)
        var best = [Float](repeating: 0, count: n)
        var iterations = 0
        var converged = false
        while iterations < max(1, maxIterations) {
            iterations += 1
            let changed = assign(x, to: centroids, assignments: &assignments, best: &best)
            if changed == 0 && iterations > 1 {
                converged = true
                break
            }
            centroids = update(x, assignments: &assignments, best: &best, k: k)
        }
        if !converged {
            // The cap was hit after an update: assign once more so rows match the centroids.
            _ = assign(x, to: centroids, assignments: &assignments, best: &best)
        }
        var sizes = [Int](repeating: 0, count: k)
        var sums = [Double](repeating: 0, count: k)
        for i in 0..<n {
            sizes[assignments[i]] += 1
            sums[assignments[i]] += Double(best[i])
        }
        let objective = sums.reduce(0, +) / Double(n)
        let cohesion = (0..<k).map { sizes[$0] > 0 ? sums[$0] / Double(sizes[$0]) : nil }
        return KMeansResult(
            centroids: centroids, assignments: assignments, sizes: sizes, iterations: iterations, converged: converged,
            objective: objective, cohesion: cohesion)
    }

    /// The nearest (highest-cosine) row of `centroids` for each row of `rows`, ties to the
    /// lower index, with that cosine: how a new text joins a discovered topic.
    public static func nearest(_ rows: VectorMatrix, centroids: VectorMatrix) -> (clusters: [Int], cosines: [Float]) {
        var x = rows
        x.normalizeRows()
        var assignments = [Int](repeating: -1, count: x.rows)
        var best = [Float](repeating: 0, count: x.rows)
        _ = assign(x, to: centroids, assignments: &assignments, best: &best)
        return (assignments, best)
    }

    // MARK: - Steps

    /// k-means++ seeding over unit rows.
    static func seedCentroids(_ x: VectorMatrix, k: Int, using rng: inout SeededGenerator) -> VectorMatrix {
        let n = x.rows
        var chosen = [Int]()
        chosen.reserveCapacity(k)
        chosen.append(Int(uniform(&rng) * Double(n)) % n)
        // weight[i] = 1 - best cosine of row i to a chosen centre, never below 0.
        var bestCosine = [Float](repeating: -2, count: n)
        while chosen.count < k {
            let last = chosen[chosen.count - 1]
            cosines(x, toRow: last) { i, c in if c > bestCosine[i] { bestCosine[i] = c } }
            var total = 0.0
            for i in 0..<n { total += Double(max(0, 1 - bestCosine[i])) }
            var next: Int
            if total > 0 {
                let target = uniform(&rng) * total
                var sum = 0.0
                next = -1
                var lastPositive = -1
                for i in 0..<n {
                    let w = Double(max(0, 1 - bestCosine[i]))
                    guard w > 0 else { continue }
                    lastPositive = i
                    sum += w
                    if sum > target {
                        next = i
                        break
                    }
                }
                if next < 0 { next = lastPositive } // rounding at the very end of the sum
            } else {
                // Every row sits on a centre already: take the first row not yet chosen
                // (only reached with duplicate rows, and `distinctRows` keeps k attainable).
                next = (0..<n).first { !chosen.contains($0) } ?? 0
            }
            chosen.append(next)
        }
        return x.rows(chosen)
    }

    /// Sets each row's cluster and cosine to it; returns how many rows changed cluster.
    static func assign(_ x: VectorMatrix, to centroids: VectorMatrix, assignments: inout [Int], best: inout [Float]) -> Int {
        let n = x.rows, k = centroids.rows, d = x.dimension
        guard n > 0, k > 0 else { return 0 }
        var changed = 0
        var scratch = [Float](repeating: 0, count: min(n, block) * k)
        x.values.withUnsafeBufferPointer { px in
            centroids.values.withUnsafeBufferPointer { pc in
                scratch.withUnsafeMutableBufferPointer { ps in
                    for r0 in stride(from: 0, to: n, by: block) {
                        let r1 = min(n, r0 + block)
                        BLAS.gemm(
                            transposeB: true, m: r1 - r0, n: k, k: d, a: px.baseAddress! + r0 * d, lda: d, b: pc.baseAddress!, ldb: d,
                            c: ps.baseAddress!, ldc: k)
                        for i in r0..<r1 {
                            let row = ps.baseAddress! + (i - r0) * k
                            var bestC = 0
                            var bestV = row[0]
                            for c in 1..<k where row[c] > bestV {
                                bestV = row[c]
                                bestC = c
                            }
                            if assignments[i] != bestC { changed += 1 }
                            assignments[i] = bestC
                            best[i] = bestV
                        }
                    }
                }
            }
        }
        return changed
    }

    /// New centroids: the normalised sum of each cluster's rows. An empty cluster takes the
    /// row of lowest cosine to its own centroid (that row moves to it), one per empty cluster.
    static func update(_ x: VectorMatrix, assignments: inout [Int], best: inout [Float], k: Int) -> VectorMatrix {
        let n = x.rows, d = x.dimension
        var sizes = [Int](repeating: 0, count: k)
        var values = [Float](repeating: 0, count: k * d)
        x.values.withUnsafeBufferPointer { px in
            values.withUnsafeMutableBufferPointer { ps in
                for i in 0..<n {
                    let c = assignments[i]
                    sizes[c] += 1
                    for j in 0..<d { ps[c * d + j] += px[i * d + j] }
                }
            }
        }
        let empty = (0..<k).filter { sizes[$0] == 0 }
        if !empty.isEmpty {
            // Farthest rows first (lowest cosine; ties to the lower index), from clusters that
            // keep at least one row.
            let order = (0..<n).sorted { best[$0] < best[$1] || (best[$0] == best[$1] && $0 < $1) }
            var taken = 0
            for c in empty {
                while taken < order.count && sizes[assignments[order[taken]]] <= 1 { taken += 1 }
                guard taken < order.count else { break }
                let i = order[taken]
                taken += 1
                let old = assignments[i]
                x.values.withUnsafeBufferPointer { px in
                    for j in 0..<d {
                        values[old * d + j] -= px[i * d + j]
                        values[c * d + j] = px[i * d + j]
                    }
                }
                sizes[old] -= 1
                sizes[c] = 1
                assignments[i] = c
                best[i] = 1
            }
        }
        var sums = VectorMatrix(dimension: d, values: values)
        sums.normalizeRows()
        return sums
    }

    // MARK: - Helpers

    /// Calls `body(i, cosine)` for every row i of unit matrix `x` against its row `r`.
    private static func cosines(_ x: VectorMatrix, toRow r: Int, _ body: (Int, Float) -> Void) {
        let n = x.rows, d = x.dimension
        var out = [Float](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                BLAS.gemm(transposeB: true, m: n, n: 1, k: d, a: px.baseAddress!, lda: d, b: px.baseAddress! + r * d, ldb: d, c: po.baseAddress!, ldc: 1)
            }
        }
        for i in 0..<n { body(i, out[i]) }
    }

    /// A uniform Double in [0, 1) from the generator's top 53 bits (the same on every platform).
    private static func uniform(_ rng: inout SeededGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// The number of distinct rows, counting no further than `limit`.
    static func distinctRows(_ x: VectorMatrix, atLeast limit: Int) -> Int {
        var seen = Set<[UInt32]>()
        for i in 0..<x.rows {
            seen.insert(x.row(i).map(\.bitPattern))
            if seen.count >= limit { return seen.count }
        }
        return seen.count
    }
}
