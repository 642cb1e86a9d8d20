import Foundation

/// Vectors to and from the bytes of `vectors.vector`: little-endian float32 or float16.
public enum VectorCoding {
    /// The BLOB of `vector` in `dtype`.
    public static func encode(_ vector: some Collection<Float>, as dtype: VectorDType) -> Data {
        var data = Data(capacity: vector.count * dtype.byteWidth)
        switch dtype {
        case .float32:
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        case .float16:
            for value in vector { withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    /// Decodes `bytes` (`dimension` values of `dtype`) into `out`, which has room for
    /// `dimension` values. Returns false when the length is not `dimension * byteWidth`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as dtype: VectorDType, dimension: Int, into out: UnsafeMutablePointer<Float>) -> Bool {
        guard bytes.count == dimension * dtype.byteWidth else { return false }
        switch dtype {
        case .float32:
            for i in 0..<dimension {
                out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        case .float16:
            for i in 0..<dimension {
                out[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
            }
        }
        return true
    }

    /// `data` decoded as one vector, or nil when its length does not fit.
    public static func decode(_ data: Data, as dtype: VectorDType, dimension: Int) -> [Float]? {
        var out = [Float](repeating: 0, count: dimension)
        let ok = data.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { decode(raw, as: dtype, dimension: dimension, into: $0.baseAddress!) } }
        return ok ? out : nil
    }
}
