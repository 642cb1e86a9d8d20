import Foundation

/// One leaf column of one row group, decoded: a repetition and a definition level per entry
/// (empty when the column has none), and the present values in order, as the JSON-like values
/// records are made of (String, NSNumber, NSNull-free).
struct DecodedColumn {
    var repetition: [UInt8] = []
    var definition: [UInt8] = []
    var values: [Any] = []
    /// Entries: levels when there are any, else values.
    var entries: Int { definition.isEmpty ? (repetition.isEmpty ? values.count : repetition.count) : definition.count }
}

/// Decodes a column chunk's pages: the dictionary page, then data pages v1 and v2, with PLAIN
/// and dictionary values, RLE/bit-packed levels, each page decompressed by its codec.
struct ColumnChunkDecoder {
    let leaf: ParquetNode
    let meta: ColumnMetaData
    let limits: ParquetLimits

    /// Decodes `chunk` (the chunk's bytes, from its first page) into entries.
    func decode(_ chunk: UnsafeRawBufferPointer) throws -> DecodedColumn {
        var out = DecodedColumn()
        let maxDef = leaf.definitionLevel
        let maxRep = leaf.repetitionLevel
        var dictionary: [Any]?
        var offset = 0
        var valuesSeen = 0
        var page = 0
        guard ParquetCodec.supported.contains(meta.codec) else {
            throw ParquetError(
                reason:
                    "the chunk is compressed with \(meta.codec.name), which this build does not read (it reads snappy, zstd, gzip and uncompressed pages); rewrite the file with one of those, for example pyarrow.parquet.write_table(t, f, compression='zstd')"
            )
        }
        guard meta.numValues <= limits.entriesPerChunk else {
            throw ParquetError(
                reason: "the chunk holds \(meta.numValues) values, over this reader's limit of \(limits.entriesPerChunk) per row group; rewrite the file with smaller row groups")
        }
        while valuesSeen < meta.numValues {
            guard offset < chunk.count else {
                throw ParquetError(reason: "the chunk ends after \(valuesSeen) of its \(meta.numValues) values (the file is truncated or its offsets are wrong)")
            }
            page += 1
            var reader = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: chunk[offset...]))
            let header: PageHeader
            do { header = try PageHeader(from: &reader) } catch let e as ParquetError {
                throw ParquetError(reason: "page \(page)'s header \(e.reason)")
            }
            let bodyStart = offset + reader.offset
            guard header.compressedPageSize <= chunk.count - bodyStart else {
                throw ParquetError(reason: "page \(page) is \(header.compressedPageSize) bytes where only \(chunk.count - bodyStart) are left (the file is truncated)")
            }
            let body = UnsafeRawBufferPointer(rebasing: chunk[bodyStart..<bodyStart + header.compressedPageSize])
            guard header.uncompressedPageSize <= limits.pageBytes else {
                throw ParquetError(
                    reason:
                        "page \(page) is \(header.uncompressedPageSize) bytes uncompressed, over this reader's limit of \(limits.pageBytes); rewrite the file with smaller pages")
            }
            let pageValues = header.dataPage?.numValues ?? header.dataPageV2?.numValues ?? 0
            guard pageValues <= Int(meta.numValues) - valuesSeen else {
                throw ParquetError(reason: "page \(page) holds \(pageValues) values, more than the \(Int(meta.numValues) - valuesSeen) its chunk has left")
            }
            offset = bodyStart + header.compressedPageSize
            do {
                switch header.type {
                case .dictionaryPage:
                    guard let d = header.dictionaryPage else { throw ParquetError(reason: "is a dictionary page without its header") }
                    guard d.encoding == .plain || d.encoding == .plainDictionary else {
                        throw ParquetError(reason: "is a dictionary page in \(d.encoding.name) encoding (only PLAIN is defined)")
                    }
                    let bytes = try ParquetCodec.decompress(meta.codec, body, size: header.uncompressedPageSize)
                    dictionary = try bytes.withUnsafeBytes { b in
                        var cursor = 0
                        return try PlainDecoder(leaf: leaf).decode(b, cursor: &cursor, count: d.numValues)
                    }
                case .dataPage:
                    guard let d = header.dataPage else { throw ParquetError(reason: "is a data page without its header") }
                    let bytes = try ParquetCodec.decompress(meta.codec, body, size: header.uncompressedPageSize)
                    try bytes.withUnsafeBytes { b in
                        var cursor = 0
                        let rep = try levels(b, cursor: &cursor, max: maxRep, count: d.numValues, encoding: d.repetitionLevelEncoding, prefixed: true)
                        let def = try levels(b, cursor: &cursor, max: maxDef, count: d.numValues, encoding: d.definitionLevelEncoding, prefixed: true)
                        let present = maxDef == 0 ? d.numValues : def.reduce(0) { $0 + ($1 == maxDef ? 1 : 0) }
                        try values(b, cursor: &cursor, count: present, encoding: d.encoding, dictionary: dictionary, into: &out.values)
                        out.repetition += rep
                        out.definition += def
                    }
                    valuesSeen += d.numValues
                case .dataPageV2:
                    guard let d = header.dataPageV2 else { throw ParquetError(reason: "is a v2 data page without its header") }
                    let levelBytes = d.repetitionLevelsByteLength + d.definitionLevelsByteLength
                    guard levelBytes <= body.count, levelBytes <= header.uncompressedPageSize else {
                        throw ParquetError(reason: "has levels of \(levelBytes) bytes in a page of \(body.count)")
                    }
                    var cursor = 0
                    let repBytes = UnsafeRawBufferPointer(rebasing: body[0..<d.repetitionLevelsByteLength])
                    let defBytes = UnsafeRawBufferPointer(rebasing: body[d.repetitionLevelsByteLength..<levelBytes])
                    let rep = try levels(repBytes, cursor: &cursor, max: maxRep, count: d.numValues, encoding: .rle, prefixed: false)
                    cursor = 0
                    let def = try levels(defBytes, cursor: &cursor, max: maxDef, count: d.numValues, encoding: .rle, prefixed: false)
                    let rest = UnsafeRawBufferPointer(rebasing: body[levelBytes...])
                    let size = header.uncompressedPageSize - levelBytes
                    let bytes = d.isCompressed ? try ParquetCodec.decompress(meta.codec, rest, size: size) : Array(rest)
                    let present = maxDef == 0 ? d.numValues : def.reduce(0) { $0 + ($1 == maxDef ? 1 : 0) }
                    try bytes.withUnsafeBytes { b in
                        var c = 0
                        try values(b, cursor: &c, count: present, encoding: d.encoding, dictionary: dictionary, into: &out.values)
                    }
                    out.repetition += rep
                    out.definition += def
                    valuesSeen += d.numValues
                case .indexPage:
                    continue
                }
            } catch let e as ParquetError {
                throw ParquetError(reason: "page \(page) \(e.reason)")
            }
        }
        return out
    }

    /// A page's levels: none when `max` is 0, else RLE/bit-packed hybrid (v1 pages prefix them
    /// with their byte length) or the deprecated BIT_PACKED encoding.
    private func levels(
        _ b: UnsafeRawBufferPointer, cursor: inout Int, max: Int, count: Int, encoding: ParquetEncoding, prefixed: Bool
    ) throws -> [UInt8] {
        if max == 0 { return [] }
        let width = bitWidth(max)
        var slice = UnsafeRawBufferPointer(rebasing: b[cursor...])
        switch encoding {
        case .rle:
            if prefixed {
                let n = try readLength(b, cursor: &cursor)
                slice = UnsafeRawBufferPointer(rebasing: b[cursor..<cursor + n])
                cursor += n
            } else {
                cursor = b.count
            }
            var levels: [UInt8] = []
            levels.reserveCapacity(count)
            try RLEHybrid.decode(slice, bitWidth: width, count: count) { levels.append(UInt8(truncatingIfNeeded: $0)) }
            if let bad = levels.first(where: { Int($0) > max }) {
                throw ParquetError(reason: "has a level \(bad) above the column's maximum \(max)")
            }
            return levels
        case .bitPacked:
            // Deprecated: most significant bit first, no run headers.
            let n = (count * width + 7) / 8
            guard n <= slice.count else { throw ParquetError(reason: "has BIT_PACKED levels past its end") }
            var levels: [UInt8] = []
            levels.reserveCapacity(count)
            for i in 0..<count {
                var v = 0
                for k in 0..<width {
                    let bit = i * width + k
                    v = v << 1 | Int(slice[bit / 8] >> (7 - UInt8(bit % 8)) & 1)
                }
                guard v <= max else { throw ParquetError(reason: "has a level \(v) above the column's maximum \(max)") }
                levels.append(UInt8(v))
            }
            cursor += n
            return levels
        default:
            throw ParquetError(reason: "has levels in \(encoding.name) encoding (levels are RLE or BIT_PACKED)")
        }
    }

    /// `count` present values in `encoding`, appended to `out`.
    private func values(
        _ b: UnsafeRawBufferPointer, cursor: inout Int, count: Int, encoding: ParquetEncoding, dictionary: [Any]?, into out: inout [Any]
    ) throws {
        switch encoding {
        case .plain:
            out += try PlainDecoder(leaf: leaf).decode(b, cursor: &cursor, count: count)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw ParquetError(reason: "refers to a dictionary the column chunk does not have") }
            if count == 0 { return }
            guard cursor < b.count else { throw ParquetError(reason: "ends before its dictionary indices") }
            let width = Int(b[cursor])
            guard width <= 32 else { throw ParquetError(reason: "has dictionary indices \(width) bits wide (at most 32)") }
            let rest = UnsafeRawBufferPointer(rebasing: b[(cursor + 1)...])
            out.reserveCapacity(out.count + count)
            var bad: UInt64?
            try RLEHybrid.decode(rest, bitWidth: width, count: count) { index in
                if index < dictionary.count { out.append(dictionary[Int(index)]) } else if bad == nil { bad = index }
            }
            if let bad { throw ParquetError(reason: "has dictionary index \(bad) where the dictionary holds \(dictionary.count) values") }
            cursor = b.count
        case .rle where leaf.type == .boolean:
            let n = try readLength(b, cursor: &cursor)
            try RLEHybrid.decode(UnsafeRawBufferPointer(rebasing: b[cursor..<cursor + n]), bitWidth: 1, count: count) {
                out.append(ParquetValues.boolean($0 != 0))
            }
            cursor += n
        default:
            throw ParquetError(
                reason:
                    "has values in \(encoding.name) encoding, which this build does not read (it reads PLAIN and dictionary encodings); rewrite the file without it, for example pyarrow.parquet.write_table(t, f, use_dictionary=True, column_encoding=None)"
            )
        }
    }

    private func readLength(_ b: UnsafeRawBufferPointer, cursor: inout Int) throws -> Int {
        guard cursor + 4 <= b.count else { throw ParquetError(reason: "ends before a length prefix") }
        let n = Int(b[cursor]) | Int(b[cursor + 1]) << 8 | Int(b[cursor + 2]) << 16 | Int(b[cursor + 3]) << 24
        cursor += 4
        guard n <= b.count - cursor else { throw ParquetError(reason: "has a \(n)-byte run where only \(b.count - cursor) bytes are left") }
        return n
    }
}

/// How much one Parquet file may make this reader hold: far above what writers produce
/// (pyarrow's pages are 1 MB, its row groups a million rows), low enough that a damaged or
/// hostile footer cannot make it allocate without bound.
struct ParquetLimits: Sendable {
    /// Values (level entries) in one column chunk.
    var entriesPerChunk: Int64 = 1 << 28
    /// Bytes of one page, uncompressed.
    var pageBytes = 1 << 30

    static let standard = ParquetLimits()
}

/// Bits needed for values up to `max`.
func bitWidth(_ max: Int) -> Int {
    max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount
}

/// Parquet's RLE/bit-packed hybrid: runs of one repeated value, and groups of eight values
/// bit-packed least significant bit first.
enum RLEHybrid {
    /// Calls `emit` with `count` values from `bytes`, refusing runs past the end.
    static func decode(_ bytes: UnsafeRawBufferPointer, bitWidth width: Int, count: Int, _ emit: (UInt64) -> Void) throws {
        var produced = 0
        var i = 0
        let valueBytes = (width + 7) / 8
        while produced < count {
            var header: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count else { throw ParquetError(reason: "has RLE data that ends after \(produced) of \(count) values") }
                let b = bytes[i]
                i += 1
                header |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                guard shift < 64 else { throw ParquetError(reason: "has an RLE run header longer than 10 bytes") }
            }
            if header & 1 == 0 {
                let run = Int(min(header >> 1, UInt64(count - produced)))
                guard i + valueBytes <= bytes.count else { throw ParquetError(reason: "has an RLE run whose value is cut off") }
                var value: UInt64 = 0
                for k in 0..<valueBytes { value |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
                i += valueBytes
                if run == 0 { throw ParquetError(reason: "has an empty RLE run") }
                for _ in 0..<run { emit(value) }
                produced += run
            } else {
                let groups = header >> 1
                guard groups > 0 else { throw ParquetError(reason: "has an empty bit-packed run") }
                guard groups <= UInt64(bytes.count) else { throw ParquetError(reason: "has a bit-packed run past its end") }
                let values = Int(groups) * 8
                let take = min(values, count - produced)
                let needBytes = (take * width + 7) / 8
                guard i + needBytes <= bytes.count else { throw ParquetError(reason: "has a bit-packed run past its end") }
                if width == 0 {
                    for _ in 0..<take { emit(0) }
                } else {
                    let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
                    var bit = i * 8
                    for _ in 0..<take {
                        var value: UInt64 = 0
                        var got = 0
                        while got < width {
                            let byte = UInt64(bytes[bit >> 3]) >> UInt64(bit & 7)
                            let n = min(8 - (bit & 7), width - got)
                            value |= (byte & ((1 << UInt64(n)) - 1)) << UInt64(got)
                            got += n
                            bit += n
                        }
                        emit(value & mask)
                    }
                }
                i = min(bytes.count, i + Int(groups) * width)
                produced += take
            }
        }
    }

    /// `values` encoded as a hybrid stream of `width` bits: runs for repeats of eight or more,
    /// bit-packed groups for the rest (what a writer needs for levels and dictionary indices).
    static func encode(_ values: [UInt32], bitWidth width: Int) -> [UInt8] {
        var out: [UInt8] = []
        func varint(_ v: Int) {
            var v = v
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        let valueBytes = (width + 7) / 8
        var i = 0
        var pending: [UInt32] = []
        func flushPacked() {
            if pending.isEmpty { return }
            while pending.count % 8 != 0 { pending.append(0) }
            varint((pending.count / 8) << 1 | 1)
            var acc: UInt64 = 0
            var bits = 0
            for v in pending {
                acc |= UInt64(v) << UInt64(bits)
                bits += width
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: acc))
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
            pending.removeAll(keepingCapacity: true)
        }
        while i < values.count {
            var j = i + 1
            while j < values.count && values[j] == values[i] { j += 1 }
            let run = j - i
            // A run is worth its header only from eight repeats, and only at a group boundary.
            if run >= 8 && pending.count % 8 == 0 {
                flushPacked()
                varint(run << 1)
                for k in 0..<valueBytes { out.append(UInt8(truncatingIfNeeded: values[i] >> (8 * UInt32(k)))) }
                i = j
            } else {
                pending.append(values[i])
                i += 1
            }
        }
        flushPacked()
        return out
    }
}

/// The JSON-like value of each physical and logical type.
enum ParquetValues {
    /// JSONSerialization's own booleans, so a boolean reads as one wherever records are checked.
    nonisolated(unsafe) static let trueValue: Any =
        (try? JSONSerialization.jsonObject(with: Data("true".utf8), options: .fragmentsAllowed)) ?? NSNumber(value: true)
    nonisolated(unsafe) static let falseValue: Any =
        (try? JSONSerialization.jsonObject(with: Data("false".utf8), options: .fragmentsAllowed)) ?? NSNumber(value: false)

    static func boolean(_ b: Bool) -> Any { b ? trueValue : falseValue }
}

/// PLAIN values of one leaf's physical type, turned into record values by its annotation.
struct PlainDecoder {
    let leaf: ParquetNode

    func decode(_ b: UnsafeRawBufferPointer, cursor: inout Int, count: Int) throws -> [Any] {
        guard let type = leaf.type else { return [] }
        var out: [Any] = []
        out.reserveCapacity(min(count, b.count))
        func need(_ n: Int) throws {
            guard n <= b.count - cursor else {
                throw ParquetError(reason: "ends inside its PLAIN values (\(out.count) of \(count) \(type.name) read)")
            }
        }
        func le(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(b[cursor + k]) << (8 * UInt64(k)) }
            cursor += n
            return v
        }
        switch type {
        case .boolean:
            try need((count + 7) / 8)
            for i in 0..<count { out.append(ParquetValues.boolean(b[cursor + i / 8] >> UInt8(i % 8) & 1 == 1)) }
            cursor += (count + 7) / 8
        case .int32:
            try need(4 * count)
            for _ in 0..<count { out.append(integer(Int64(Int32(truncatingIfNeeded: le(4))))) }
        case .int64:
            try need(8 * count)
            for _ in 0..<count { out.append(integer(Int64(bitPattern: le(8)))) }
        case .int96:
            try need(12 * count)
            for _ in 0..<count {
                let nanos = Int64(bitPattern: le(8))
                let julianDay = Int64(Int32(truncatingIfNeeded: le(4)))
                out.append(Self.timestamp(seconds: (julianDay - 2_440_588) * 86_400 + nanos / 1_000_000_000, fraction: nanos % 1_000_000_000, digits: 9))
            }
        case .float:
            try need(4 * count)
            for _ in 0..<count { out.append(NSNumber(value: Double(Float(bitPattern: UInt32(le(4)))))) }
        case .double:
            try need(8 * count)
            for _ in 0..<count { out.append(NSNumber(value: Double(bitPattern: le(8)))) }
        case .byteArray:
            for _ in 0..<count {
                try need(4)
                let n = Int(le(4))
                try need(n)
                out.append(bytes(UnsafeRawBufferPointer(rebasing: b[cursor..<cursor + n])))
                cursor += n
            }
        case .fixedLenByteArray:
            let n = leaf.typeLength
            guard n > 0 else { throw ParquetError(reason: "has a FIXED_LEN_BYTE_ARRAY column without a length") }
            try need(n * count)
            for _ in 0..<count {
                out.append(bytes(UnsafeRawBufferPointer(rebasing: b[cursor..<cursor + n]), fixed: true))
                cursor += n
            }
        }
        return out
    }

    /// An integer, as its annotation means it: a date, a timestamp, a decimal, or a number.
    private func integer(_ v: Int64) -> Any {
        switch (leaf.logicalType, leaf.convertedType) {
        case (.date, _), (_, .date):
            return Self.date(days: v)
        case (.timestamp(let unit), _):
            return Self.timestamp(v, unit: unit)
        case (_, .timestampMillis):
            return Self.timestamp(v, unit: .millis)
        case (_, .timestampMicros):
            return Self.timestamp(v, unit: .micros)
        case (.decimal, _), (_, .decimal):
            return NSNumber(value: Double(v) / pow(10, Double(leaf.scale)))
        case (.integer(64, false), _), (_, .uint64):
            return NSNumber(value: UInt64(bitPattern: v))
        default:
            return NSNumber(value: v)
        }
    }

    /// Bytes: text when annotated or valid UTF-8, a UUID's usual form, else base64.
    private func bytes(_ raw: UnsafeRawBufferPointer, fixed: Bool = false) -> Any {
        if leaf.logicalType == .uuid, raw.count == 16 {
            let hex = raw.map { String(format: "%02x", $0) }.joined()
            let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { r in
                String(hex[hex.index(hex.startIndex, offsetBy: r.lowerBound)..<hex.index(hex.startIndex, offsetBy: r.upperBound)])
            }
            return parts.joined(separator: "-")
        }
        if leaf.logicalType == .decimal || leaf.convertedType == .decimal {
            // Big-endian two's complement, unscaled.
            var v: Double = raw.first.map { $0 & 0x80 != 0 ? -1 : 0 } ?? 0
            for byte in raw { v = v * 256 + Double(byte) }
            if raw.first.map({ $0 & 0x80 != 0 }) == true { v += 1 }
            return NSNumber(value: v / pow(10, Double(leaf.scale)))
        }
        if let text = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) { return text }
        return Data(raw).base64EncodedString()
    }

    static func date(days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    static func timestamp(_ v: Int64, unit: TimeUnit) -> String {
        let per: Int64
        let digits: Int
        switch unit {
        case .millis: (per, digits) = (1000, 3)
        case .micros: (per, digits) = (1_000_000, 6)
        case .nanos: (per, digits) = (1_000_000_000, 9)
        }
        var seconds = v / per
        var fraction = v % per
        if fraction < 0 {
            seconds -= 1
            fraction += per
        }
        return timestamp(seconds: seconds, fraction: fraction, digits: digits)
    }

    /// ISO 8601 in UTC, with the fraction only when it is not zero.
    static func timestamp(seconds: Int64, fraction: Int64, digits: Int) -> String {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            days -= 1
            rest += 86_400
        }
        let (y, m, d) = civil(days: days)
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, rest / 3600, rest / 60 % 60, rest % 60)
        if fraction != 0 {
            var f = String(fraction)
            f = String(repeating: "0", count: max(0, digits - f.count)) + f
            while f.hasSuffix("0") { f.removeLast() }
            text += "." + f
        }
        return text + "Z"
    }

    /// Days since 1970-01-01 as a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
