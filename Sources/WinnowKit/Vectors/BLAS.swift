import CBLAS
import Foundation

/// The one door to OpenBLAS: single-precision matrix products and the symmetric
/// eigensolver. Everything that multiplies matrices (the encoder, similarity search, the
/// Vendi score) goes through here.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, all row-major: op(A) is m × k, op(B) k × n, C m × n.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
    @inline(__always)
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The m × n matrix of dot products of every row of `a` with every row of `b`
    /// (A · Bᵀ): cosines when both are unit-length rows.
    public static func dotProducts(_ a: VectorMatrix, _ b: VectorMatrix) -> [Float] {
        precondition(a.dimension == b.dimension)
        var c = [Float](repeating: 0, count: a.rows * b.rows)
        guard a.rows > 0, b.rows > 0 else { return c }
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(
                        transposeB: true, m: a.rows, n: b.rows, k: a.dimension, a: pa.baseAddress!, lda: a.dimension,
                        b: pb.baseAddress!, ldb: b.dimension, c: pc.baseAddress!, ldc: b.rows)
                }
            }
        }
        return c
    }

    /// How many threads OpenBLAS itself uses for one product: `count`, but never more than a
    /// user's `OPENBLAS_NUM_THREADS`, which OpenBLAS honours at start and a plain set would override.
    public static func setThreads(_ count: Int, environment: [String: String] = ProcessInfo.processInfo.environment) {
        openblas_set_num_threads(Int32(threads(count, environment: environment)))
    }

    /// `count` (at least 1) capped by `OPENBLAS_NUM_THREADS` in `environment` when that is a positive whole number.
    static func threads(_ count: Int, environment: [String: String]) -> Int {
        let limit = environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        return limit > 0 ? min(max(1, count), limit) : max(1, count)
    }

    /// The eigenvalues, ascending, of the symmetric n × n matrix `matrix` (row-major; only
    /// its values matter, not which triangle is set), by LAPACK's ssyevd.
    public static func symmetricEigenvalues(_ matrix: [Float], n: Int) -> [Float] {
        precondition(matrix.count == n * n)
        guard n > 0 else { return [] }
        var a = matrix
        var w = [Float](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: "N")), uplo = Int8(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        // Workspace query first, then the solve.
        var workSize: Float = 0
        var iworkSize: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        ssyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
        lwork = Int32(workSize)
        liwork = max(1, iworkSize)
        var work = [Float](repeating: 0, count: Int(max(1, lwork)))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        precondition(info == 0, "ssyevd failed: info \(info)")
        return w
    }
}
