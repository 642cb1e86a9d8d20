/// The encoders of a Parquet data page's body: the repetition and definition levels (the
/// RLE/bit-packed hybrid behind a length), and PLAIN values (little-endian numbers,
/// length-prefixed byte arrays, bit-packed booleans).
enum ParquetEncoder {
    /// `levels` as a v1 data page holds them: a 4-byte little-endian length, then the
    /// RLE/bit-packed hybrid runs at `bitWidth` bits (`RLEHybrid.encode`, shared with the reader).
    static func levels(_ levels: [UInt8], bitWidth: Int, into out: inout [UInt8]) {
        let runs = RLEHybrid.encode(levels.map(UInt32.init), bitWidth: bitWidth)
        let n = UInt32(runs.count)
        out += [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
        out += runs
    }

    /// PLAIN BYTE_ARRAY: a 4-byte little-endian length, then the bytes.
    static func plain(bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let n = UInt32(bytes.count)
        out += [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
        out.append(contentsOf: bytes)
    }

    /// PLAIN BYTE_ARRAY of a string's UTF-8.
    static func plain(string: String, into out: inout [UInt8]) {
        var s = string
        s.withUTF8 { plain(bytes: $0, into: &out) }
    }

    /// PLAIN INT64: 8 bytes, little-endian.
    static func plain(int64 value: Int64, into out: inout [UInt8]) {
        let v = UInt64(bitPattern: value)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// PLAIN DOUBLE: the IEEE 754 bits, 8 bytes little-endian.
    static func plain(double value: Double, into out: inout [UInt8]) {
        plain(int64: Int64(bitPattern: value.bitPattern), into: &out)
    }

    /// PLAIN BOOLEAN: one bit a value, the first value in the lowest bit.
    static func plain(booleans: [Bool], into out: inout [UInt8]) {
        let base = out.count
        out += [UInt8](repeating: 0, count: (booleans.count + 7) / 8)
        for (i, b) in booleans.enumerated() where b { out[base + i >> 3] |= 1 << UInt8(i & 7) }
    }
}
