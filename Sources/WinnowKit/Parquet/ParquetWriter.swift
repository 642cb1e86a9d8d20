/// A field of a Parquet schema that `ParquetWriter` writes: a leaf column of one physical type
/// or a group of fields (a LIST-annotated group for lists, in the three-level form the format's
/// LogicalTypes.md prescribes: `optional group NAME (LIST) { repeated group list { ELEMENT } }`).
struct ParquetField: Equatable, Sendable {
    enum Repetition: Equatable, Sendable { case required, optional, repeated }
    /// The leaf types the writer has: BYTE_ARRAY with the STRING logical type, INT64, DOUBLE, BOOLEAN.
    enum Leaf: Equatable, Sendable { case string, int64, double, boolean }

    var name: String
    var repetition: Repetition
    /// nil: a group of `children`.
    var leaf: Leaf?
    /// A group annotated LIST (its one child is the repeated `list` group).
    var isList = false
    var children: [ParquetField] = []

    static func leaf(_ name: String, _ type: Leaf, _ repetition: Repetition = .optional) -> ParquetField {
        ParquetField(name: name, repetition: repetition, leaf: type)
    }

    static func group(_ name: String, _ repetition: Repetition, _ children: [ParquetField]) -> ParquetField {
        ParquetField(name: name, repetition: repetition, leaf: nil, children: children)
    }

    /// `optional group NAME (LIST) { repeated group list { required ELEMENT } }`.
    static func list(_ name: String, element: ParquetField, _ repetition: Repetition = .optional) -> ParquetField {
        var element = element
        element.name = "element"
        return ParquetField(name: name, repetition: repetition, leaf: nil, isList: true, children: [.group("list", .repeated, [element])])
    }
}

/// One leaf column of a schema, in the depth-first order of the footer: its path and the
/// highest definition and repetition levels its values can have.
struct ParquetColumnDescriptor: Equatable, Sendable {
    var path: [String]
    var type: ParquetField.Leaf
    var maxDefinition: Int
    var maxRepetition: Int

    /// The leaves under `fields`, depth first.
    static func leaves(of fields: [ParquetField]) -> [ParquetColumnDescriptor] {
        var out: [ParquetColumnDescriptor] = []
        func walk(_ f: ParquetField, path: [String], def: Int, rep: Int) {
            let def = def + (f.repetition == .required ? 0 : 1)
            let rep = rep + (f.repetition == .repeated ? 1 : 0)
            if let leaf = f.leaf {
                out.append(ParquetColumnDescriptor(path: path + [f.name], type: leaf, maxDefinition: def, maxRepetition: rep))
            } else {
                for c in f.children { walk(c, path: path + [f.name], def: def, rep: rep) }
            }
        }
        for f in fields { walk(f, path: [], def: 0, rep: 0) }
        return out
    }
}

/// The settings of a written file: where row groups and pages end, the codec.
struct ParquetWriterOptions: Sendable {
    /// A row group ends after this many rows, or at the first row end past `rowGroupBytes`.
    var rowGroupRows = 100_000
    /// Of encoded (uncompressed) page data, levels and values, all columns together.
    var rowGroupBytes = 128 << 20
    /// A data page ends at the first row end past this many encoded bytes of its column.
    var pageBytes = 1 << 20
    var codec: CompressionCodec = .zstd
    /// FileMetaData.created_by, "<application> version <version>" as the format asks.
    var createdBy = "winnow version \(Winnow.version)"
    /// FileMetaData.key_value_metadata, in this order.
    var keyValueMetadata: [(key: String, value: String)] = []
}

/// Writes one Parquet file as a stream of rows: the caller shreds each row into its leaf
/// columns (a value or a null with its definition and repetition levels, per leaf), then calls
/// `endRow`. Data pages v1, PLAIN values, RLE/bit-packed hybrid levels, each page compressed
/// by `options.codec`; a row group is encoded, compressed and handed to `sink` when it is full,
/// so memory holds one row group. No statistics, no dictionary, no clock: the same rows and
/// options give the same bytes.
final class ParquetWriter {
    let schema: [ParquetField]
    let columns: [ParquetColumnDescriptor]
    let options: ParquetWriterOptions
    private let sink: ([UInt8]) throws -> Void
    private var chunks: [ColumnChunkBuffer]
    private var offset = 0
    private var rowsInGroup = 0
    private var rowGroups: [WrittenRowGroup] = []
    private(set) var rows = 0

    init(schema: [ParquetField], options: ParquetWriterOptions = ParquetWriterOptions(), sink: @escaping ([UInt8]) throws -> Void) throws {
        self.schema = schema
        columns = ParquetColumnDescriptor.leaves(of: schema)
        self.options = options
        self.sink = sink
        chunks = columns.map { ColumnChunkBuffer($0) }
        try emit(Array("PAR1".utf8))
    }

    // MARK: The values of a row, one leaf at a time

    /// A null (or an empty list, or a missing group) at definition level `def` < the leaf's max.
    func null(_ column: Int, def: Int, rep: Int = 0) {
        chunks[column].level(def: def, rep: rep)
    }

    func string(_ column: Int, _ value: String, rep: Int = 0) {
        chunks[column].value(rep: rep)
        ParquetEncoder.plain(string: value, into: &chunks[column].values)
    }

    func bytes(_ column: Int, _ value: UnsafeBufferPointer<UInt8>, rep: Int = 0) {
        chunks[column].value(rep: rep)
        ParquetEncoder.plain(bytes: value, into: &chunks[column].values)
    }

    func int64(_ column: Int, _ value: Int64, rep: Int = 0) {
        chunks[column].value(rep: rep)
        ParquetEncoder.plain(int64: value, into: &chunks[column].values)
    }

    func double(_ column: Int, _ value: Double, rep: Int = 0) {
        chunks[column].value(rep: rep)
        ParquetEncoder.plain(double: value, into: &chunks[column].values)
    }

    func bool(_ column: Int, _ value: Bool, rep: Int = 0) {
        chunks[column].value(rep: rep)
        chunks[column].booleans.append(value)
    }

    /// Ends a row: closes the pages that are full, and the row group when it is.
    func endRow() throws {
        rows += 1
        rowsInGroup += 1
        var groupBytes = 0
        for i in chunks.indices {
            if chunks[i].pageBytes >= options.pageBytes { try chunks[i].closePage(options) }
            groupBytes += chunks[i].encodedBytes
        }
        if rowsInGroup >= options.rowGroupRows || groupBytes >= options.rowGroupBytes { try flushRowGroup() }
    }

    /// Writes the last row group and the footer.
    func close() throws {
        if rowsInGroup > 0 { try flushRowGroup() }
        let footer = footerMetadata().encoded()
        try emit(footer)
        let n = UInt32(footer.count)
        try emit([UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)] + Array("PAR1".utf8))
    }

    /// The footer: the schema depth first under its root, the row groups, the row count.
    private func footerMetadata() -> FileMetaData {
        var elements = [SchemaElement(name: "schema", numChildren: schema.count)]
        func add(_ f: ParquetField) {
            let repetition: FieldRepetition = f.repetition == .required ? .required : f.repetition == .optional ? .optional : .repeated
            switch f.leaf {
            case .string?: elements.append(SchemaElement(name: f.name, type: .byteArray, repetition: repetition, convertedType: .utf8, logicalType: .string))
            case .int64?: elements.append(SchemaElement(name: f.name, type: .int64, repetition: repetition))
            case .double?: elements.append(SchemaElement(name: f.name, type: .double, repetition: repetition))
            case .boolean?: elements.append(SchemaElement(name: f.name, type: .boolean, repetition: repetition))
            case nil:
                elements.append(
                    SchemaElement(
                        name: f.name, repetition: repetition, numChildren: f.children.count, convertedType: f.isList ? .list : nil,
                        logicalType: f.isList ? .list : nil))
                for c in f.children { add(c) }
            }
        }
        for f in schema { add(f) }
        let groups = rowGroups.map { g in
            RowGroup(
                columns: zip(columns, g.columns).map { column, chunk in
                    let type: ParquetType = column.type == .string ? .byteArray : column.type == .int64 ? .int64 : column.type == .double ? .double : .boolean
                    let levels = column.maxDefinition > 0 || column.maxRepetition > 0
                    return ColumnChunk(
                        fileOffset: Int64(chunk.offset),
                        metaData: ColumnMetaData(
                            type: type, encodings: levels ? [.plain, .rle] : [.plain], pathInSchema: column.path, codec: options.codec,
                            numValues: Int64(chunk.values), totalUncompressedSize: Int64(chunk.uncompressed),
                            totalCompressedSize: Int64(chunk.compressed), dataPageOffset: Int64(chunk.offset)))
                }, totalByteSize: Int64(g.uncompressed), numRows: Int64(g.rows))
        }
        var meta = FileMetaData(version: 2, schema: elements, numRows: Int64(rows), rowGroups: groups, createdBy: options.createdBy)
        meta.keyValueMetadata = options.keyValueMetadata.map { ($0.key, $0.value) }
        return meta
    }

    private func emit(_ bytes: [UInt8]) throws {
        try sink(bytes)
        offset += bytes.count
    }

    private func flushRowGroup() throws {
        var group = WrittenRowGroup(rows: rowsInGroup)
        for i in chunks.indices {
            if chunks[i].pageLevels > 0 || chunks[i].pages.isEmpty { try chunks[i].closePage(options) }
            let chunk = chunks[i]
            group.columns.append(
                WrittenColumnChunk(
                    offset: offset, values: chunk.chunkLevels, uncompressed: chunk.uncompressedBytes, compressed: chunk.pages.count))
            try emit(chunk.pages)
            chunks[i] = ColumnChunkBuffer(columns[i])
        }
        rowGroups.append(group)
        rowsInGroup = 0
    }
}

/// Where a written column chunk is and what it holds (for the footer).
struct WrittenColumnChunk: Sendable {
    /// The file offset of its first (data) page header.
    var offset: Int
    /// Levels written (values and nulls).
    var values: Int
    /// Page headers included, as ColumnMetaData counts them.
    var uncompressed: Int
    var compressed: Int
}

struct WrittenRowGroup: Sendable {
    var rows: Int
    var columns: [WrittenColumnChunk] = []
    var uncompressed: Int { columns.reduce(0) { $0 + $1.uncompressed } }
    var compressed: Int { columns.reduce(0) { $0 + $1.compressed } }
}

/// One column's share of the row group being written: the open page's levels and values,
/// and the pages already closed (header and compressed body).
private struct ColumnChunkBuffer {
    let column: ParquetColumnDescriptor
    var rep: [UInt8] = []
    var def: [UInt8] = []
    var values: [UInt8] = []
    var booleans: [Bool] = []
    /// The closed pages, as they go to the file.
    var pages: [UInt8] = []
    var chunkLevels = 0
    var uncompressedBytes = 0

    init(_ column: ParquetColumnDescriptor) { self.column = column }

    var pageLevels: Int { def.count }
    /// About what the open page encodes to: values plus a byte per level of each kind.
    var pageBytes: Int { values.count + booleans.count / 8 + def.count * (column.maxDefinition > 0 ? 1 : 0) + rep.count * (column.maxRepetition > 0 ? 1 : 0) }
    /// The closed pages uncompressed plus the open one.
    var encodedBytes: Int { uncompressedBytes + pageBytes }

    mutating func level(def d: Int, rep r: Int) {
        def.append(UInt8(d))
        rep.append(UInt8(r))
    }

    mutating func value(rep r: Int) { level(def: column.maxDefinition, rep: r) }

    /// Encodes the open page (v1: repetition levels, definition levels, values), compresses
    /// it, and appends it with its header.
    mutating func closePage(_ options: ParquetWriterOptions) throws {
        var body: [UInt8] = []
        body.reserveCapacity(pageBytes + 64)
        if column.maxRepetition > 0 { ParquetEncoder.levels(rep, bitWidth: bitWidth(column.maxRepetition), into: &body) }
        if column.maxDefinition > 0 { ParquetEncoder.levels(def, bitWidth: bitWidth(column.maxDefinition), into: &body) }
        if column.type == .boolean { ParquetEncoder.plain(booleans: booleans, into: &body) } else { body += values }
        let compressed = options.codec == .uncompressed ? body : ParquetCodec.compress(options.codec, body)
        var page = PageHeader(type: .dataPage, uncompressedPageSize: body.count, compressedPageSize: compressed.count)
        page.dataPage = DataPageHeader(numValues: def.count, encoding: .plain, definitionLevelEncoding: .rle, repetitionLevelEncoding: .rle)
        let header = page.encoded()
        pages += header
        pages += compressed
        uncompressedBytes += header.count + body.count
        chunkLevels += def.count
        rep.removeAll(keepingCapacity: true)
        def.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        booleans.removeAll(keepingCapacity: true)
    }
}
