import Foundation

/// Vectors as one row-major block of `Float`: row `i` is `values[i * dimension ..< (i + 1) * dimension]`.
/// The one in-memory shape of feature vectors, from the encoder to every search and metric,
/// so a million vectors are one allocation, never an array of arrays.
public struct VectorMatrix: Sendable, Equatable {
    /// Number of vectors.
    public private(set) var rows: Int
    /// Values per vector.
    public let dimension: Int
    /// `rows * dimension` values, row after row.
    public private(set) var values: [Float]

    /// A matrix over `values` (`values.count` must be a multiple of `dimension`).
    public init(dimension: Int, values: [Float]) {
        precondition(dimension > 0 && values.count % dimension == 0, "VectorMatrix: \(values.count) values are not rows of \(dimension)")
        self.dimension = dimension
        self.values = values
        self.rows = values.count / dimension
    }

    /// `rows` vectors of zeros.
    public init(rows: Int, dimension: Int) {
        self.init(dimension: dimension, values: [Float](repeating: 0, count: rows * dimension))
    }

    /// The matrix of `vectors`, each of `dimension` values.
    public init(_ vectors: [[Float]], dimension: Int) {
        var values: [Float] = []
        values.reserveCapacity(vectors.count * dimension)
        for v in vectors {
            precondition(v.count == dimension, "VectorMatrix: a vector of \(v.count) values, not \(dimension)")
            values.append(contentsOf: v)
        }
        self.init(dimension: dimension, values: values)
    }

    /// Row `i` as an array (a copy: for results and tests, not for loops over many rows).
    public func row(_ i: Int) -> [Float] { Array(values[i * dimension..<(i + 1) * dimension]) }

    /// Appends one vector of `dimension` values.
    public mutating func append(_ vector: some Collection<Float>) {
        precondition(vector.count == dimension, "VectorMatrix: a vector of \(vector.count) values, not \(dimension)")
        values.append(contentsOf: vector)
        rows += 1
    }

    /// Appends every row of `other` (same dimension).
    public mutating func append(contentsOf other: VectorMatrix) {
        precondition(other.dimension == dimension)
        values.append(contentsOf: other.values)
        rows += other.rows
    }

    /// Reserves room for `rows` rows in all.
    public mutating func reserveCapacity(rows: Int) { values.reserveCapacity(rows * dimension) }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: some Sequence<Int>) -> VectorMatrix {
        var out: [Float] = []
        for i in indices { out.append(contentsOf: values[i * dimension..<(i + 1) * dimension]) }
        return VectorMatrix(dimension: dimension, values: out)
    }

    /// Scales every row to unit L2 length (a zero row stays zero), so a dot product is a cosine.
    public mutating func normalizeRows() {
        let d = dimension
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<rows {
                var sum: Float = 0
                for j in 0..<d { sum += v[r * d + j] * v[r * d + j] }
                guard sum > 0 else { continue }
                let scale = 1 / sum.squareRoot()
                for j in 0..<d { v[r * d + j] *= scale }
            }
        }
    }

    /// Dot product of row `i` of `self` and row `j` of `other`.
    public func dot(_ i: Int, _ other: VectorMatrix, _ j: Int) -> Float {
        var sum: Float = 0
        let d = dimension
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                for t in 0..<d { sum += a[i * d + t] * b[j * d + t] }
            }
        }
        return sum
    }
}
