/// Thrift's compact protocol, the encoding of Parquet's footer and page headers: zigzag
/// varints, field headers with id deltas, lists with their element type. Only what Parquet's
/// metadata uses (no maps are written; maps and sets are skipped when read).
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// A problem in a Parquet file's bytes (its footer, a page header, a page): what was being read
/// when they ran out or made no sense, phrased to follow "the file …" or "the page …".
struct ParquetError: Error {
    let reason: String
}

/// Reads compact-protocol values from a byte buffer, refusing reads past its end and nesting
/// deeper than `maxDepth`, so a damaged footer is reported, never trusted.
struct ThriftCompactReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private var lastFieldID: [Int16] = [0]
    static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw ParquetError(reason: "ends early (at byte \(offset))") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ParquetError(reason: "has a varint longer than 10 bytes (at byte \(offset))") }
        }
    }

    mutating func i64() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func i32() throws -> Int32 {
        let v = try i64()
        guard let r = Int32(exactly: v) else { throw ParquetError(reason: "has a 32-bit field out of range (\(v))") }
        return r
    }

    /// A non-negative i32 that sizes or counts something.
    mutating func count(_ what: String) throws -> Int {
        let v = try i32()
        guard v >= 0 else { throw ParquetError(reason: "has a negative \(what) (\(v))") }
        return Int(v)
    }

    mutating func double() throws -> Double {
        guard offset + 8 <= bytes.count else { throw ParquetError(reason: "ends early (at byte \(offset))") }
        var raw: UInt64 = 0
        for i in 0..<8 { raw |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return Double(bitPattern: raw)
    }

    mutating func binary() throws -> [UInt8] {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) else {
            throw ParquetError(reason: "has a \(n)-byte string where only \(bytes.count - offset) bytes are left")
        }
        defer { offset += Int(n) }
        return Array(bytes[offset..<offset + Int(n)])
    }

    mutating func string() throws -> String {
        String(decoding: try binary(), as: UTF8.self)
    }

    /// Enters a struct (field ids restart from zero inside it).
    mutating func beginStruct() throws {
        guard lastFieldID.count < Self.maxDepth else { throw ParquetError(reason: "nests structs deeper than \(Self.maxDepth)") }
        lastFieldID.append(0)
    }

    mutating func endStruct() { lastFieldID.removeLast() }

    /// The next field's id and type, or nil at the struct's end. A boolean field's value is in
    /// its type (`boolTrue`, `boolFalse`).
    mutating func field() throws -> (id: Int16, type: ThriftType)? {
        let header = try byte()
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw ParquetError(reason: "has an unknown field type \(header & 0x0F) (at byte \(offset - 1))")
        }
        if type == .stop { return nil }
        let delta = Int16(header >> 4)
        let id: Int16
        if delta == 0 {
            let raw = try i64()
            guard let exact = Int16(exactly: raw) else { throw ParquetError(reason: "has a field id out of range (\(raw))") }
            id = exact
        } else {
            id = lastFieldID[lastFieldID.count - 1] &+ delta
        }
        lastFieldID[lastFieldID.count - 1] = id
        return (id, type)
    }

    /// A list's element type and length, refusing lengths the remaining bytes cannot hold.
    mutating func listHeader() throws -> (type: ThriftType, count: Int) {
        let header = try byte()
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw ParquetError(reason: "has a list of unknown type \(header & 0x0F)")
        }
        var n = UInt64(header >> 4)
        if n == 15 { n = try varint() }
        guard n <= UInt64(bytes.count - offset) else {
            throw ParquetError(reason: "has a list of \(n) elements where only \(bytes.count - offset) bytes are left")
        }
        return (type, Int(n))
    }

    /// A list of `element` values, each read by `read`.
    mutating func list<T>(_ read: (inout ThriftCompactReader) throws -> T) throws -> [T] {
        let (_, n) = try listHeader()
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try read(&self)) }
        return out
    }

    /// A boolean field's value (in the compact protocol it travels in the field header).
    func bool(_ type: ThriftType) -> Bool { type == .boolTrue }

    /// Skips a value of `type` (a field this reader does not use).
    mutating func skip(_ type: ThriftType, depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw ParquetError(reason: "nests values deeper than \(Self.maxDepth)") }
        switch type {
        case .stop, .boolTrue, .boolFalse: return
        case .byte: _ = try byte()
        case .i16, .i32, .i64: _ = try varint()
        case .double:
            guard offset + 8 <= bytes.count else { throw ParquetError(reason: "ends early (at byte \(offset))") }
            offset += 8
        case .binary:
            let n = try varint()
            guard n <= UInt64(bytes.count - offset) else { throw ParquetError(reason: "has a \(n)-byte string past its end") }
            offset += Int(n)
        case .list, .set:
            let (element, n) = try listHeader()
            for _ in 0..<n {
                if element == .boolTrue || element == .boolFalse { _ = try byte() } else { try skip(element, depth: depth + 1) }
            }
        case .map:
            let n = try varint()
            guard n <= UInt64(bytes.count - offset) else { throw ParquetError(reason: "has a map of \(n) entries past its end") }
            if n == 0 { return }
            let kinds = try byte()
            guard let key = ThriftType(rawValue: kinds >> 4), let value = ThriftType(rawValue: kinds & 0x0F) else {
                throw ParquetError(reason: "has a map of unknown types")
            }
            for _ in 0..<n {
                try skip(key, depth: depth + 1)
                try skip(value, depth: depth + 1)
            }
        case .structure:
            try beginStruct()
            while let f = try field() { try skip(f.type, depth: depth + 1) }
            endStruct()
        }
    }
}

/// Writes compact-protocol values; the counterpart of `ThriftCompactReader`.
struct ThriftCompactWriter {
    private(set) var bytes: [UInt8] = []
    private var lastFieldID: [Int16] = [0]

    init() {}

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// One byte as is (a Thrift `byte` value).
    mutating func rawByte(_ b: UInt8) { bytes.append(b) }

    mutating func i64(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
    mutating func i32(_ value: Int32) { i64(Int64(value)) }

    mutating func double(_ value: Double) {
        let raw = value.bitPattern
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: raw >> (8 * UInt64(i)))) }
    }

    mutating func binary(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { binary(Array(value.utf8)) }

    mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let last = lastFieldID[lastFieldID.count - 1]
        let delta = id &- last
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            i64(Int64(id))
        }
        lastFieldID[lastFieldID.count - 1] = id
    }

    mutating func beginStruct() { lastFieldID.append(0) }

    /// Ends a struct: its stop byte.
    mutating func endStruct() {
        bytes.append(ThriftType.stop.rawValue)
        lastFieldID.removeLast()
    }

    mutating func listHeader(_ type: ThriftType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    // Fields, by type.
    mutating func field(_ id: Int16, i32 value: Int32) {
        fieldHeader(id, .i32)
        i32(value)
    }
    mutating func field(_ id: Int16, i64 value: Int64) {
        fieldHeader(id, .i64)
        i64(value)
    }
    mutating func field(_ id: Int16, bool value: Bool) { fieldHeader(id, value ? .boolTrue : .boolFalse) }
    mutating func field(_ id: Int16, binary value: [UInt8]) {
        fieldHeader(id, .binary)
        binary(value)
    }
    mutating func field(_ id: Int16, string value: String) {
        fieldHeader(id, .binary)
        string(value)
    }
    /// A struct field whose body `write` writes (between this header and its stop byte).
    mutating func field(_ id: Int16, struct write: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .structure)
        beginStruct()
        write(&self)
        endStruct()
    }
    /// A list field of `type` elements, each written by `write`.
    mutating func field<T>(_ id: Int16, list values: [T], of type: ThriftType, _ write: (inout ThriftCompactWriter, T) -> Void) {
        fieldHeader(id, .list)
        listHeader(type, count: values.count)
        for v in values { write(&self, v) }
    }
    /// A struct as a list element (no field header).
    mutating func element(struct write: (inout ThriftCompactWriter) -> Void) {
        beginStruct()
        write(&self)
        endStruct()
    }
}
