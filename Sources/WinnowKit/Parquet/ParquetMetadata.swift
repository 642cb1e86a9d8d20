/// Parquet's metadata as parquet-format's `parquet.thrift` defines it: the footer
/// (`FileMetaData`) and the page headers, each read from and written to Thrift's compact
/// protocol. Only the fields Winnow reads or writes are kept; the rest are skipped when read.

/// A primitive column's physical type.
enum ParquetType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7

    var name: String {
        switch self {
        case .boolean: return "BOOLEAN"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .int96: return "INT96"
        case .float: return "FLOAT"
        case .double: return "DOUBLE"
        case .byteArray: return "BYTE_ARRAY"
        case .fixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY"
        }
    }
}

/// Whether a field may be absent, or repeat.
enum FieldRepetition: Int32, Sendable {
    case required = 0, optional = 1, repeated = 2
}

/// The older annotation of what a physical type means (`converted_type`).
enum ConvertedType: Int32, Sendable {
    case utf8 = 0, map = 1, mapKeyValue = 2, list = 3, enumeration = 4, decimal = 5, date = 6
    case timeMillis = 7, timeMicros = 8, timestampMillis = 9, timestampMicros = 10
    case uint8 = 11, uint16 = 12, uint32 = 13, uint64 = 14, int8 = 15, int16 = 16, int32 = 17, int64 = 18
    case json = 19, bson = 20, interval = 21
}

/// The newer annotation (`LogicalType`, a union); the members Winnow tells apart.
enum LogicalType: Equatable, Sendable {
    case string, map, list, enumeration, decimal, date, time, json, bson, uuid, float16
    case timestamp(TimeUnit)
    case integer(bitWidth: Int8, signed: Bool)
    case unknown
    /// A member this reader does not know by name (its field id in the union).
    case other(Int16)
}

/// A timestamp's unit.
enum TimeUnit: Sendable {
    case millis, micros, nanos
}

/// A value encoding of pages and levels.
enum ParquetEncoding: Int32, Sendable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    var name: String {
        switch self {
        case .plain: return "PLAIN"
        case .plainDictionary: return "PLAIN_DICTIONARY"
        case .rle: return "RLE"
        case .bitPacked: return "BIT_PACKED"
        case .deltaBinaryPacked: return "DELTA_BINARY_PACKED"
        case .deltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY"
        case .deltaByteArray: return "DELTA_BYTE_ARRAY"
        case .rleDictionary: return "RLE_DICTIONARY"
        case .byteStreamSplit: return "BYTE_STREAM_SPLIT"
        }
    }
}

/// A page compression codec.
enum CompressionCodec: Int32, Sendable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7

    var name: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4: return "LZ4"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }
}

enum PageType: Int32, Sendable {
    case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

/// Reads an i32 enum field, refusing values the enum does not have.
private func readEnum<E: RawRepresentable>(_ r: inout ThriftCompactReader, _ what: String) throws -> E where E.RawValue == Int32 {
    let raw = try r.i32()
    guard let value = E(rawValue: raw) else { throw ParquetError(reason: "has an unknown \(what) (\(raw))") }
    return value
}

/// One node of the schema, in the footer's depth-first list.
struct SchemaElement: Sendable {
    var type: ParquetType?
    var typeLength: Int32?
    var repetition: FieldRepetition?
    var name: String
    var numChildren: Int?
    var convertedType: ConvertedType?
    var logicalType: LogicalType?
    var scale: Int32?
    var precision: Int32?

    init(
        name: String, type: ParquetType? = nil, repetition: FieldRepetition? = nil, numChildren: Int? = nil,
        convertedType: ConvertedType? = nil, logicalType: LogicalType? = nil
    ) {
        self.name = name
        self.type = type
        self.repetition = repetition
        self.numChildren = numChildren
        self.convertedType = convertedType
        self.logicalType = logicalType
    }

    init(from r: inout ThriftCompactReader) throws {
        name = ""
        var sawName = false
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .i32): type = try readEnum(&r, "physical type")
            case (2, .i32): typeLength = try r.i32()
            case (3, .i32): repetition = try readEnum(&r, "repetition")
            case (4, .binary):
                name = try r.string()
                sawName = true
            case (5, .i32): numChildren = try r.count("number of children")
            case (6, .i32):
                // An unknown converted type is only an annotation: read the physical values.
                convertedType = ConvertedType(rawValue: try r.i32())
            case (7, .i32): scale = try r.i32()
            case (8, .i32): precision = try r.i32()
            case (10, .structure): logicalType = try Self.readLogicalType(&r)
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        guard sawName else { throw ParquetError(reason: "has a schema element without a name") }
    }

    private static func readLogicalType(_ r: inout ThriftCompactReader) throws -> LogicalType? {
        var result: LogicalType?
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (10, .structure):
                var bitWidth: Int8 = 0
                var signed = true
                try r.beginStruct()
                while let g = try r.field() {
                    switch (g.id, g.type) {
                    case (1, .byte): bitWidth = Int8(truncatingIfNeeded: try r.byte())
                    case (2, .boolTrue), (2, .boolFalse): signed = r.bool(g.type)
                    default: try r.skip(g.type)
                    }
                }
                r.endStruct()
                result = .integer(bitWidth: bitWidth, signed: signed)
            case (8, .structure):
                var unit = TimeUnit.micros
                try r.beginStruct()
                while let g = try r.field() {
                    if g.id == 2, g.type == .structure {
                        try r.beginStruct()
                        while let u = try r.field() {
                            switch u.id {
                            case 1: unit = .millis
                            case 3: unit = .nanos
                            default: unit = .micros
                            }
                            try r.skip(u.type)
                        }
                        r.endStruct()
                    } else {
                        try r.skip(g.type)
                    }
                }
                r.endStruct()
                result = .timestamp(unit)
            default:
                try r.skip(f.type)
                let known: [Int16: LogicalType] = [
                    1: .string, 2: .map, 3: .list, 4: .enumeration, 5: .decimal, 6: .date, 7: .time,
                    11: .unknown, 12: .json, 13: .bson, 14: .uuid, 15: .float16,
                ]
                result = known[f.id] ?? .other(f.id)
            }
        }
        r.endStruct()
        return result
    }

    func encode(to w: inout ThriftCompactWriter) {
        w.element { w in
            if let type { w.field(1, i32: type.rawValue) }
            if let typeLength { w.field(2, i32: typeLength) }
            if let repetition { w.field(3, i32: repetition.rawValue) }
            w.field(4, string: name)
            if let numChildren { w.field(5, i32: Int32(numChildren)) }
            if let convertedType { w.field(6, i32: convertedType.rawValue) }
            if let scale { w.field(7, i32: scale) }
            if let precision { w.field(8, i32: precision) }
            if let logicalType {
                w.field(10) { w in
                    switch logicalType {
                    case .string: w.field(1) { _ in }
                    case .map: w.field(2) { _ in }
                    case .list: w.field(3) { _ in }
                    case .json: w.field(12) { _ in }
                    case .integer(let bitWidth, let signed):
                        w.field(10) { w in
                            w.fieldHeader(1, .byte)
                            w.rawByte(UInt8(bitPattern: bitWidth))
                            w.field(2, bool: signed)
                        }
                    default: w.field(11) { _ in }
                    }
                }
            }
        }
    }
}

/// A column chunk's statistics; Winnow writes the null count only.
struct ParquetStatistics: Sendable {
    var nullCount: Int64?

    init(nullCount: Int64?) { self.nullCount = nullCount }

    init(from r: inout ThriftCompactReader) throws {
        try r.beginStruct()
        while let f = try r.field() {
            if f.id == 3, f.type == .i64 { nullCount = try r.i64() } else { try r.skip(f.type) }
        }
        r.endStruct()
    }

    func encode(to w: inout ThriftCompactWriter) {
        if let nullCount { w.field(3, i64: nullCount) }
    }
}

/// A column chunk's metadata: where its pages are and how they are coded.
struct ColumnMetaData: Sendable {
    var type: ParquetType
    var encodings: [ParquetEncoding]
    var pathInSchema: [String]
    var codec: CompressionCodec
    var numValues: Int64
    var totalUncompressedSize: Int64
    var totalCompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: ParquetStatistics?

    init(
        type: ParquetType, encodings: [ParquetEncoding], pathInSchema: [String], codec: CompressionCodec, numValues: Int64,
        totalUncompressedSize: Int64, totalCompressedSize: Int64, dataPageOffset: Int64, dictionaryPageOffset: Int64? = nil,
        statistics: ParquetStatistics? = nil
    ) {
        self.type = type
        self.encodings = encodings
        self.pathInSchema = pathInSchema
        self.codec = codec
        self.numValues = numValues
        self.totalUncompressedSize = totalUncompressedSize
        self.totalCompressedSize = totalCompressedSize
        self.dataPageOffset = dataPageOffset
        self.dictionaryPageOffset = dictionaryPageOffset
        self.statistics = statistics
    }

    init(from r: inout ThriftCompactReader) throws {
        var type: ParquetType?
        var codec: CompressionCodec?
        var numValues: Int64?
        var dataPageOffset: Int64?
        encodings = []
        pathInSchema = []
        totalUncompressedSize = 0
        totalCompressedSize = 0
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .i32): type = try readEnum(&r, "physical type")
            case (2, .list):
                // Encodings this reader does not know are refused per page, where they are used.
                encodings = try r.list { try ParquetEncoding(rawValue: $0.i32()) }.compactMap { $0 }
            case (3, .list): pathInSchema = try r.list { try $0.string() }
            case (4, .i32):
                let raw = try r.i32()
                guard let c = CompressionCodec(rawValue: raw) else { throw ParquetError(reason: "has an unknown compression codec (\(raw))") }
                codec = c
            case (5, .i64): numValues = try r.i64()
            case (6, .i64): totalUncompressedSize = try r.i64()
            case (7, .i64): totalCompressedSize = try r.i64()
            case (9, .i64): dataPageOffset = try r.i64()
            case (11, .i64): dictionaryPageOffset = try r.i64()
            case (12, .structure): statistics = try ParquetStatistics(from: &r)
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        guard let type, let codec, let numValues, let dataPageOffset else {
            throw ParquetError(reason: "has a column chunk without its type, codec, value count or data page offset")
        }
        self.type = type
        self.codec = codec
        self.numValues = numValues
        self.dataPageOffset = dataPageOffset
    }

    func encode(to w: inout ThriftCompactWriter) {
        w.field(1, i32: type.rawValue)
        w.field(2, list: encodings, of: .i32) { w, e in w.i32(e.rawValue) }
        w.field(3, list: pathInSchema, of: .binary) { w, s in w.string(s) }
        w.field(4, i32: codec.rawValue)
        w.field(5, i64: numValues)
        w.field(6, i64: totalUncompressedSize)
        w.field(7, i64: totalCompressedSize)
        w.field(9, i64: dataPageOffset)
        if let dictionaryPageOffset { w.field(11, i64: dictionaryPageOffset) }
        if let statistics { w.field(12) { statistics.encode(to: &$0) } }
    }
}

/// One column's chunk in a row group.
struct ColumnChunk: Sendable {
    var fileOffset: Int64
    var metaData: ColumnMetaData

    init(fileOffset: Int64, metaData: ColumnMetaData) {
        self.fileOffset = fileOffset
        self.metaData = metaData
    }

    init(from r: inout ThriftCompactReader) throws {
        var meta: ColumnMetaData?
        var filePath: String?
        fileOffset = 0
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .binary): filePath = try r.string()
            case (2, .i64): fileOffset = try r.i64()
            case (3, .structure): meta = try ColumnMetaData(from: &r)
            case (8, _), (9, _): throw ParquetError(reason: "is encrypted (Parquet modular encryption is not read)")
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        // Spark writes an empty path for "this file".
        if let filePath, !filePath.isEmpty {
            throw ParquetError(reason: "keeps a column chunk in another file (\(filePath)); pass that file instead")
        }
        guard let meta else { throw ParquetError(reason: "has a column chunk without metadata") }
        metaData = meta
    }

    func encode(to w: inout ThriftCompactWriter) {
        w.element { w in
            w.field(2, i64: fileOffset)
            w.field(3) { metaData.encode(to: &$0) }
        }
    }
}

/// A horizontal slice of the file: one chunk per leaf column, `numRows` rows.
struct RowGroup: Sendable {
    var columns: [ColumnChunk]
    var totalByteSize: Int64
    var numRows: Int64

    init(columns: [ColumnChunk], totalByteSize: Int64, numRows: Int64) {
        self.columns = columns
        self.totalByteSize = totalByteSize
        self.numRows = numRows
    }

    init(from r: inout ThriftCompactReader) throws {
        columns = []
        totalByteSize = 0
        var rows: Int64?
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .list): columns = try r.list { try ColumnChunk(from: &$0) }
            case (2, .i64): totalByteSize = try r.i64()
            case (3, .i64): rows = try r.i64()
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        guard let rows, rows >= 0 else { throw ParquetError(reason: "has a row group without a row count") }
        numRows = rows
    }

    func encode(to w: inout ThriftCompactWriter) {
        w.element { w in
            w.field(1, list: columns, of: .structure) { w, c in c.encode(to: &w) }
            w.field(2, i64: totalByteSize)
            w.field(3, i64: numRows)
        }
    }
}

/// The footer: the schema, the row groups, who wrote the file.
struct FileMetaData: Sendable {
    var version: Int32
    var schema: [SchemaElement]
    var numRows: Int64
    var rowGroups: [RowGroup]
    var keyValueMetadata: [(key: String, value: String?)] = []
    var createdBy: String?

    init(version: Int32 = 2, schema: [SchemaElement], numRows: Int64, rowGroups: [RowGroup], createdBy: String?) {
        self.version = version
        self.schema = schema
        self.numRows = numRows
        self.rowGroups = rowGroups
        self.createdBy = createdBy
    }

    init(from r: inout ThriftCompactReader) throws {
        version = 0
        schema = []
        numRows = 0
        rowGroups = []
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .i32): version = try r.i32()
            case (2, .list): schema = try r.list { try SchemaElement(from: &$0) }
            case (3, .i64): numRows = try r.i64()
            case (4, .list): rowGroups = try r.list { try RowGroup(from: &$0) }
            case (5, .list):
                keyValueMetadata = try r.list { r in
                    var key = ""
                    var value: String?
                    try r.beginStruct()
                    while let g = try r.field() {
                        switch (g.id, g.type) {
                        case (1, .binary): key = try r.string()
                        case (2, .binary): value = try r.string()
                        default: try r.skip(g.type)
                        }
                    }
                    r.endStruct()
                    return (key, value)
                }
            case (6, .binary): createdBy = try r.string()
            case (8, _): throw ParquetError(reason: "is encrypted (Parquet modular encryption is not read)")
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        guard !schema.isEmpty else { throw ParquetError(reason: "has no schema") }
    }

    /// The footer's bytes, as they go before its length and the closing `PAR1`.
    func encoded() -> [UInt8] {
        var w = ThriftCompactWriter()
        w.element { w in
            w.field(1, i32: version)
            w.field(2, list: schema, of: .structure) { w, s in s.encode(to: &w) }
            w.field(3, i64: numRows)
            w.field(4, list: rowGroups, of: .structure) { w, g in g.encode(to: &w) }
            if !keyValueMetadata.isEmpty {
                w.field(5, list: keyValueMetadata, of: .structure) { w, kv in
                    w.element { w in
                        w.field(1, string: kv.key)
                        if let value = kv.value { w.field(2, string: value) }
                    }
                }
            }
            if let createdBy { w.field(6, string: createdBy) }
        }
        return w.bytes
    }
}

/// A data page's header (format v1).
struct DataPageHeader: Sendable {
    var numValues: Int
    var encoding: ParquetEncoding
    var definitionLevelEncoding: ParquetEncoding
    var repetitionLevelEncoding: ParquetEncoding
    var statistics: ParquetStatistics?
}

/// A data page's header (format v2): levels first, uncompressed, then the values.
struct DataPageHeaderV2: Sendable {
    var numValues: Int
    var numNulls: Int
    var numRows: Int
    var encoding: ParquetEncoding
    var definitionLevelsByteLength: Int
    var repetitionLevelsByteLength: Int
    var isCompressed: Bool
}

struct DictionaryPageHeader: Sendable {
    var numValues: Int
    var encoding: ParquetEncoding
}

/// The header in front of every page.
struct PageHeader: Sendable {
    var type: PageType
    var uncompressedPageSize: Int
    var compressedPageSize: Int
    var dataPage: DataPageHeader?
    var dataPageV2: DataPageHeaderV2?
    var dictionaryPage: DictionaryPageHeader?

    init(type: PageType, uncompressedPageSize: Int, compressedPageSize: Int) {
        self.type = type
        self.uncompressedPageSize = uncompressedPageSize
        self.compressedPageSize = compressedPageSize
    }

    init(from r: inout ThriftCompactReader) throws {
        var type: PageType?
        var uncompressed: Int?
        var compressed: Int?
        try r.beginStruct()
        while let f = try r.field() {
            switch (f.id, f.type) {
            case (1, .i32): type = try readEnum(&r, "page type")
            case (2, .i32): uncompressed = try r.count("page size")
            case (3, .i32): compressed = try r.count("page size")
            case (5, .structure):
                var n: Int?
                var e: ParquetEncoding?
                var d: ParquetEncoding?
                var rep: ParquetEncoding?
                var stats: ParquetStatistics?
                try r.beginStruct()
                while let g = try r.field() {
                    switch (g.id, g.type) {
                    case (1, .i32): n = try r.count("value count")
                    case (2, .i32): e = try readEnum(&r, "encoding")
                    case (3, .i32): d = try readEnum(&r, "encoding")
                    case (4, .i32): rep = try readEnum(&r, "encoding")
                    case (5, .structure): stats = try ParquetStatistics(from: &r)
                    default: try r.skip(g.type)
                    }
                }
                r.endStruct()
                guard let n, let e, let d, let rep else { throw ParquetError(reason: "has a data page header missing a required field") }
                dataPage = DataPageHeader(numValues: n, encoding: e, definitionLevelEncoding: d, repetitionLevelEncoding: rep, statistics: stats)
            case (7, .structure):
                var n: Int?
                var e: ParquetEncoding?
                try r.beginStruct()
                while let g = try r.field() {
                    switch (g.id, g.type) {
                    case (1, .i32): n = try r.count("value count")
                    case (2, .i32): e = try readEnum(&r, "encoding")
                    default: try r.skip(g.type)
                    }
                }
                r.endStruct()
                guard let n, let e else { throw ParquetError(reason: "has a dictionary page header missing a required field") }
                dictionaryPage = DictionaryPageHeader(numValues: n, encoding: e)
            case (8, .structure):
                var v = DataPageHeaderV2(
                    numValues: -1, numNulls: 0, numRows: -1, encoding: .plain, definitionLevelsByteLength: -1, repetitionLevelsByteLength: -1,
                    isCompressed: true)
                try r.beginStruct()
                while let g = try r.field() {
                    switch (g.id, g.type) {
                    case (1, .i32): v.numValues = try r.count("value count")
                    case (2, .i32): v.numNulls = try r.count("null count")
                    case (3, .i32): v.numRows = try r.count("row count")
                    case (4, .i32): v.encoding = try readEnum(&r, "encoding")
                    case (5, .i32): v.definitionLevelsByteLength = try r.count("level length")
                    case (6, .i32): v.repetitionLevelsByteLength = try r.count("level length")
                    case (7, .boolTrue), (7, .boolFalse): v.isCompressed = r.bool(g.type)
                    default: try r.skip(g.type)
                    }
                }
                r.endStruct()
                guard v.numValues >= 0, v.numRows >= 0, v.definitionLevelsByteLength >= 0, v.repetitionLevelsByteLength >= 0 else {
                    throw ParquetError(reason: "has a v2 data page header missing a required field")
                }
                dataPageV2 = v
            default: try r.skip(f.type)
            }
        }
        r.endStruct()
        guard let type, let uncompressed, let compressed else { throw ParquetError(reason: "has a page header without its type or sizes") }
        self.type = type
        uncompressedPageSize = uncompressed
        compressedPageSize = compressed
    }

    func encoded() -> [UInt8] {
        var w = ThriftCompactWriter()
        w.element { w in
            w.field(1, i32: type.rawValue)
            w.field(2, i32: Int32(uncompressedPageSize))
            w.field(3, i32: Int32(compressedPageSize))
            if let p = dataPage {
                w.field(5) { w in
                    w.field(1, i32: Int32(p.numValues))
                    w.field(2, i32: p.encoding.rawValue)
                    w.field(3, i32: p.definitionLevelEncoding.rawValue)
                    w.field(4, i32: p.repetitionLevelEncoding.rawValue)
                    if let s = p.statistics { w.field(5) { s.encode(to: &$0) } }
                }
            }
            if let p = dictionaryPage {
                w.field(7) { w in
                    w.field(1, i32: Int32(p.numValues))
                    w.field(2, i32: p.encoding.rawValue)
                }
            }
            if let p = dataPageV2 {
                w.field(8) { w in
                    w.field(1, i32: Int32(p.numValues))
                    w.field(2, i32: Int32(p.numNulls))
                    w.field(3, i32: Int32(p.numRows))
                    w.field(4, i32: p.encoding.rawValue)
                    w.field(5, i32: Int32(p.definitionLevelsByteLength))
                    w.field(6, i32: Int32(p.repetitionLevelsByteLength))
                    w.field(7, bool: p.isCompressed)
                }
            }
        }
        return w.bytes
    }
}
