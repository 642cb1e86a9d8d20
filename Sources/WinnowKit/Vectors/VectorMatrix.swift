import Foundation

/// Vectors as one row-major block of `Float`: row `i` is `values[i * dimension ..< (i + 1) * dimension]`.
/// The one shape of feature vectors, from the encoder to every search and metric, so a million
/// vectors are one block, never an array of arrays. The block is either an ordinary array or,
/// for the store's vectors, a memory-mapped scratch file (`VectorScratch`), so reading every
/// vector of a large store costs no heap memory.
public struct VectorMatrix: Sendable, Equatable {
    /// Number of vectors.
    public private(set) var rows: Int
    /// Values per vector.
    public let dimension: Int
    /// `rows * dimension` values, row after row.
    public private(set) var values: MatrixValues
    /// Whether every row is known to be unit length or zero (then `normalizeRows` has nothing to do).
    public private(set) var isNormalized = false

    /// A matrix over `values` (`values.count` must be a multiple of `dimension`).
    public init(dimension: Int, values: [Float]) {
        precondition(dimension > 0 && values.count % dimension == 0, "VectorMatrix: \(values.count) values are not rows of \(dimension)")
        self.dimension = dimension
        self.values = MatrixValues(.array(values))
        self.rows = values.count / dimension
    }

    /// A matrix over a finished scratch file of whole rows.
    init(dimension: Int, mapped: VectorScratch, normalized: Bool) {
        precondition(dimension > 0 && mapped.count % dimension == 0)
        self.dimension = dimension
        self.values = MatrixValues(.mapped(mapped))
        self.rows = mapped.count / dimension
        self.isNormalized = normalized
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

    /// Whether the values live in a memory-mapped scratch file rather than on the heap.
    public var isMapped: Bool {
        if case .mapped = values.storage { return true }
        return false
    }

    /// Row `i` as an array (a copy: for results and tests, not for loops over many rows).
    public func row(_ i: Int) -> [Float] {
        values.withUnsafeBufferPointer { Array($0[i * dimension..<(i + 1) * dimension]) }
    }

    /// Appends one vector of `dimension` values (a mapped matrix is first copied to the heap:
    /// appending is for building small matrices).
    public mutating func append(_ vector: some Collection<Float>) {
        precondition(vector.count == dimension, "VectorMatrix: a vector of \(vector.count) values, not \(dimension)")
        values.append(contentsOf: vector)
        rows += 1
        isNormalized = false
    }

    /// Appends every row of `other` (same dimension).
    public mutating func append(contentsOf other: VectorMatrix) {
        precondition(other.dimension == dimension)
        other.values.withUnsafeBufferPointer { values.append(contentsOf: $0) }
        rows += other.rows
        isNormalized = isNormalized && other.isNormalized
    }

    /// Reserves room for `rows` rows in all.
    public mutating func reserveCapacity(rows: Int) { values.reserveCapacity(rows * dimension) }

    /// The rows at `indices`, in that order, on the heap (for small selections).
    public func rows(_ indices: some Sequence<Int>) -> VectorMatrix {
        let d = dimension
        var out: [Float] = []
        values.withUnsafeBufferPointer { v in
            for i in indices { out.append(contentsOf: v[i * d..<(i + 1) * d]) }
        }
        var matrix = VectorMatrix(dimension: d, values: out)
        matrix.isNormalized = isNormalized
        return matrix
    }

    /// The rows at `indices`, in that order: on the heap when they come to less than `threshold`
    /// bytes, else in a mapped scratch file, so a large subset of a large store's vectors is no
    /// heap copy either.
    public func subset(_ indices: some Collection<Int>, threshold: Int = VectorScratch.threshold) throws -> VectorMatrix {
        let d = dimension
        guard indices.count * d * MemoryLayout<Float>.stride >= threshold else { return rows(indices) }
        let writer = try VectorScratch.Writer(dimension: d)
        try values.withUnsafeBufferPointer { v in
            for i in indices { try writer.append(UnsafeBufferPointer(rebasing: v[i * d..<(i + 1) * d])) }
        }
        return try writer.finish(normalized: isNormalized)
    }

    /// Scales every row to unit L2 length (a zero row stays zero), so a dot product is a cosine.
    /// Nothing to do (and nothing copied) when the rows already are.
    public mutating func normalizeRows() {
        guard !isNormalized else { return }
        let d = dimension, n = rows
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<n { Self.normalize(v.baseAddress! + r * d, dimension: d) }
        }
        isNormalized = true
    }

    /// Scales the `dimension` values at `row` to unit L2 length (a zero row stays zero).
    static func normalize(_ row: UnsafeMutablePointer<Float>, dimension d: Int) {
        var sum: Float = 0
        for j in 0..<d { sum += row[j] * row[j] }
        guard sum > 0 else { return }
        let scale = 1 / sum.squareRoot()
        for j in 0..<d { row[j] *= scale }
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

    public static func == (a: VectorMatrix, b: VectorMatrix) -> Bool {
        a.rows == b.rows && a.dimension == b.dimension && a.values == b.values
    }
}

/// A matrix's values: a random-access collection of `Float` over an array or a mapped scratch
/// file. Loops over many values use `withUnsafeBufferPointer`.
public struct MatrixValues: RandomAccessCollection, Sendable, Equatable {
    enum Storage: Sendable {
        case array([Float])
        case mapped(VectorScratch)
    }

    private(set) var storage: Storage

    init(_ storage: Storage) { self.storage = storage }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .array(let a): return a.count
        case .mapped(let m): return m.count
        }
    }

    public subscript(position: Int) -> Float {
        switch storage {
        case .array(let a): return a[position]
        case .mapped(let m):
            precondition(position >= 0 && position < m.count, "MatrixValues: index \(position) out of range")
            return m.pointer[position]
        }
    }

    /// Calls `body` with the values in place (no copy, whichever the storage).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .array(let a): return try a.withUnsafeBufferPointer(body)
        case .mapped(let m): return try body(UnsafeBufferPointer(start: m.count > 0 ? m.pointer : nil, count: m.count))
        }
    }

    /// The values on the heap, to change them: a mapped scratch file (read-only) is copied first.
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        var array = takeArray()
        defer { storage = .array(array) }
        return try array.withUnsafeMutableBufferPointer(body)
    }

    mutating func append(contentsOf values: some Sequence<Float>) {
        var array = takeArray()
        array.append(contentsOf: values)
        storage = .array(array)
    }

    mutating func reserveCapacity(_ n: Int) {
        var array = takeArray()
        array.reserveCapacity(n)
        storage = .array(array)
    }

    /// The array storage, uniquely held (so changing it copies nothing more), or a heap copy of a mapped file.
    private mutating func takeArray() -> [Float] {
        switch storage {
        case .array(let a):
            storage = .array([])
            return a
        case .mapped(let m):
            return Array(UnsafeBufferPointer(start: m.count > 0 ? m.pointer : nil, count: m.count))
        }
    }

    public static func == (a: MatrixValues, b: MatrixValues) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.elementsEqual(pb) } }
    }
}
