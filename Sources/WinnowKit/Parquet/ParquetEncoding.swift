/// The encoders of a Parquet data page's body: the RLE/bit-packed hybrid of the repetition and
/// definition levels, and PLAIN values (little-endian numbers, length-prefixed byte arrays,
/// bit-packed booleans).
enum ParquetEncoder {
    /// The bits a level up to `maxLevel` takes (0 for a column without levels of that kind).
    static func bitWidth(_ maxLevel: Int) -> Int {
        maxLevel <= 0 ? 0 : Int.bitWidth - maxLevel.leadingZeroBitCount
    }

    /// `levels` in the RLE/bit-packed hybrid at `bitWidth` bits, as a v1 data page holds them:
    /// a 4-byte little-endian length, then the runs. A run of 8 or more equal levels is one
    /// RLE run; the rest are bit-packed in groups of 8 (up to 63 groups a run), the last group
    /// padded with zeros only at the very end, where readers stop at the page's value count.
    static func levels(_ levels: [UInt8], bitWidth: Int, into out: inout [UInt8]) {
        let start = out.count
        out += [0, 0, 0, 0]
        hybrid(levels, bitWidth: bitWidth, into: &out)
        let length = UInt32(out.count - start - 4)
        for i in 0..<4 { out[start + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(i))) }
    }

    /// The hybrid runs of `values` (no length prefix).
    static func hybrid(_ values: [UInt8], bitWidth: Int, into out: inout [UInt8]) {
        let n = values.count
        let valueBytes = (bitWidth + 7) / 8
        /// The length of the run of equal values at `i`, counted up to `cap`.
        func run(at i: Int, cap: Int) -> Int {
            var j = i + 1
            while j < n && j - i < cap && values[j] == values[i] { j += 1 }
            return j - i
        }
        var i = 0
        while i < n {
            let r = run(at: i, cap: Int.max)
            if r >= 8 {
                varint(UInt64(r) << 1, into: &out)
                for b in 0..<valueBytes { out.append(UInt8(truncatingIfNeeded: Int(values[i]) >> (8 * b))) }
                i += r
                continue
            }
            // Bit-packed groups of 8 until a run of 8 starts at a group's boundary.
            let from = i
            var groups = 0
            repeat {
                groups += 1
                i = min(i + 8, n)
            } while i < n && groups < 63 && run(at: i, cap: 8) < 8
            varint(UInt64(groups) << 1 | 1, into: &out)
            let base = out.count
            out += [UInt8](repeating: 0, count: groups * bitWidth) // groups * 8 values * bitWidth bits / 8
            var bit = 0
            for k in from..<i {
                let v = Int(values[k])
                for b in 0..<bitWidth where v >> b & 1 == 1 {
                    out[base + (bit + b) >> 3] |= 1 << UInt8((bit + b) & 7)
                }
                bit += bitWidth
            }
        }
    }

    /// An unsigned LEB128 varint (the hybrid's run headers).
    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
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
