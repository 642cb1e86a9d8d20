import Foundation

/// A row of the searched matrix and its cosine to the query.
public struct Neighbour: Sendable, Equatable {
    public let index: Int
    public let cosine: Float
    public init(index: Int, cosine: Float) {
        self.index = index
        self.cosine = cosine
    }
}

/// Two rows of one matrix whose cosine reached a threshold; `earlier < later`.
public struct SimilarPair: Sendable, Equatable {
    public let later: Int
    public let earlier: Int
    public let cosine: Float
}

/// Exact cosine search over unit-length rows by blocked matrix products: a block of queries
/// against a block of the base at a time (`block` × `block` floats of scratch per worker), the
/// blocks shared out among `workers` threads, each calling single-threaded BLAS. Exact, so
/// O(n²·d): about 1M × 1M × 384 on this machine's two cores is the end of its range.
public enum VectorSearch {
    /// Rows per block.
    public static let block = 1024

    /// For each row of `queries`, the `k` rows of `base` of highest cosine, best first (ties:
    /// lower index first). With `excludingSelf`, `queries` is `base` and no row is its own neighbour.
    public static func nearest(
        _ queries: VectorMatrix, in base: VectorMatrix, k: Int, excludingSelf: Bool = false,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [[Neighbour]] {
        precondition(queries.dimension == base.dimension)
        return nearest(RowSet(queries, nil), in: RowSet(base, nil), k: k, excludingSelf: excludingSelf, workers: workers)
    }

    /// `nearest(matrix, in: matrix, k:, excludingSelf: true)` among only the rows at `subset`
    /// (the result's rows and indices are positions in `subset`). The rows are gathered a block
    /// at a time, so a subset of a large matrix is never copied whole.
    public static func nearest(
        among subset: [Int], of matrix: VectorMatrix, k: Int, workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [[Neighbour]] {
        let rows = RowSet(matrix, subset)
        return nearest(rows, in: rows, k: k, excludingSelf: true, workers: workers)
    }

    private static func nearest(_ queries: RowSet, in base: RowSet, k: Int, excludingSelf: Bool, workers: Int) -> [[Neighbour]] {
        let k = min(k, base.count - (excludingSelf ? 1 : 0))
        guard k > 0, queries.count > 0 else { return Array(repeating: [], count: queries.count) }
        let d = base.matrix.dimension
        let queryBlocks = (queries.count + block - 1) / block
        let results = ResultSlots<[Neighbour]>(count: queries.count)
        queries.matrix.values.withUnsafeBufferPointer { pq in
            base.matrix.values.withUnsafeBufferPointer { pb in
                parallel(blocks: queryBlocks, workers: workers, gathering: queries.subset != nil || base.subset != nil ? d : 0) {
                    qb, scratch, gather in
                    let q0 = qb * block, q1 = min(queries.count, q0 + block)
                    let a = queries.block(q0, q1, in: pq.baseAddress!, gather: gather)
                    var heaps = [[Neighbour]](repeating: [], count: q1 - q0)
                    for b0 in stride(from: 0, to: base.count, by: block) {
                        let b1 = min(base.count, b0 + block)
                        let b = base.block(b0, b1, in: pb.baseAddress!, gather: gather.map { $0 + block * d })
                        BLAS.gemm(
                            transposeB: true, m: q1 - q0, n: b1 - b0, k: d, a: a, lda: d, b: b, ldb: d, c: scratch.baseAddress!, ldc: b1 - b0)
                        let width = b1 - b0
                        for qi in 0..<(q1 - q0) {
                            let row = scratch.baseAddress! + qi * width
                            for bj in 0..<width {
                                let j = b0 + bj
                                if excludingSelf && j == q0 + qi { continue }
                                insert(Neighbour(index: j, cosine: row[bj]), into: &heaps[qi], k: k)
                            }
                        }
                    }
                    for qi in 0..<(q1 - q0) { results.set(q0 + qi, heaps[qi]) }
                }
            }
        }
        return results.values.map { $0 ?? [] }
    }

    /// Every pair of rows of `matrix` with cosine ≥ `threshold`, handed to `body` a block at a
    /// time (calls are serialised; pairs within a call are in no particular order). Rows are
    /// compared only with earlier rows.
    public static func forEachPair(
        in matrix: VectorMatrix, atLeast threshold: Float, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        _ body: ([SimilarPair]) -> Void
    ) {
        let blocks = (matrix.rows + block - 1) / block
        let lock = NSLock()
        parallel(blocks: blocks, workers: workers, gathering: 0) { qb, scratch, _ in
            let q0 = qb * block, q1 = min(matrix.rows, q0 + block)
            var found: [SimilarPair] = []
            for b0 in stride(from: 0, to: q1, by: block) {
                let b1 = min(q1, b0 + block)
                product(matrix, q0, q1, matrix, b0, b1, into: scratch)
                let width = b1 - b0
                for qi in 0..<(q1 - q0) {
                    let i = q0 + qi
                    let row = scratch.baseAddress! + qi * width
                    for bj in 0..<min(width, i - b0) where row[bj] >= threshold {
                        found.append(SimilarPair(later: i, earlier: b0 + bj, cosine: row[bj]))
                    }
                }
                // Hand over a large batch early: memory stays bounded however many pairs match.
                if found.count >= 1 << 18 {
                    lock.lock()
                    body(found)
                    lock.unlock()
                    found.removeAll(keepingCapacity: true)
                }
            }
            lock.lock()
            body(found)
            lock.unlock()
        }
    }

    /// Scratch = rows q0..<q1 of `a` times rows b0..<b1 of `b`, transposed.
    private static func product(
        _ a: VectorMatrix, _ q0: Int, _ q1: Int, _ b: VectorMatrix, _ b0: Int, _ b1: Int, into scratch: UnsafeMutableBufferPointer<Float>
    ) {
        let d = a.dimension
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                BLAS.gemm(
                    transposeB: true, m: q1 - q0, n: b1 - b0, k: d, a: pa.baseAddress! + q0 * d, lda: d,
                    b: pb.baseAddress! + b0 * d, ldb: d, c: scratch.baseAddress!, ldc: b1 - b0)
            }
        }
    }

    /// Keeps `list` the best `k` seen, best first; ties keep the lower index first.
    @inline(__always)
    private static func insert(_ n: Neighbour, into list: inout [Neighbour], k: Int) {
        if list.count == k {
            let worst = list[k - 1]
            if n.cosine < worst.cosine || (n.cosine == worst.cosine && n.index > worst.index) { return }
            list.removeLast()
        }
        var at = list.count
        while at > 0 && (list[at - 1].cosine < n.cosine || (list[at - 1].cosine == n.cosine && list[at - 1].index > n.index)) { at -= 1 }
        list.insert(n, at: at)
    }

    /// Runs `work(block, scratch, gather)` for blocks 0..<blocks on `workers` threads, each
    /// thread with its own scratch of block² floats, room to gather two blocks of rows of
    /// `gathering` values each (nil when 0), and OpenBLAS kept to one thread (restored after).
    private static func parallel(
        blocks: Int, workers: Int, gathering: Int,
        _ work: (Int, UnsafeMutableBufferPointer<Float>, UnsafeMutablePointer<Float>?) -> Void
    ) {
        guard blocks > 0 else { return }
        let width = max(1, min(workers, blocks))
        BLAS.setThreads(1)
        defer { BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
        let next = BlockCounter()
        withoutActuallyEscaping(work) { work in
            // Each block is worked by exactly one thread, into its own results.
            let job = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: width) { _ in
                let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: block * block)
                let gather = gathering > 0 ? UnsafeMutablePointer<Float>.allocate(capacity: 2 * block * gathering) : nil
                defer {
                    scratch.deallocate()
                    gather?.deallocate()
                }
                while let b = next.take(below: blocks) { job.value(b, scratch, gather) }
            }
        }
    }
}

/// Rows of a matrix, all of them or those at `subset`, handed out as contiguous blocks.
private struct RowSet {
    let matrix: VectorMatrix
    let subset: [Int]?
    init(_ matrix: VectorMatrix, _ subset: [Int]?) {
        self.matrix = matrix
        self.subset = subset
    }
    var count: Int { subset?.count ?? matrix.rows }

    /// Rows r0..<r1 (positions) one after another: in place over `values`, or copied into `gather`.
    func block(_ r0: Int, _ r1: Int, in values: UnsafePointer<Float>, gather: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
        let d = matrix.dimension
        guard let subset, let gather else { return values + r0 * d }
        for (at, r) in (r0..<r1).enumerated() { (gather + at * d).update(from: values + subset[r] * d, count: d) }
        return UnsafePointer(gather)
    }
}

/// Hands out block numbers to worker threads.
private final class BlockCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}

/// One result slot per index, each written once by whichever worker owns it.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) {
        lock.lock()
        values[i] = value
        lock.unlock()
    }
}

/// A value handed to worker threads that only read it or synchronise on their own.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
