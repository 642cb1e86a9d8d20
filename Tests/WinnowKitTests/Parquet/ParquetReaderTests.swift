import Foundation
import Testing
import WinnowTestSupport

@testable import WinnowKit

/// The JSON text of a value, keys sorted: how two rows are compared.
private func canonical(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
}

private func readParquet(_ path: String) throws -> [[String: Any]] {
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    let reader = try ParquetReader(.memory(bytes))
    return try (0..<reader.rowGroupCount).flatMap { try reader.records(inRowGroup: $0) }
}

@Suite struct ParquetReaderTests {
    static let folder = fixtures + "/parquet"
    static let cases = [
        "pyarrow-snappy", "pyarrow-zstd-v2", "pyarrow-gzip-plain", "pyarrow-none-pages", "pyarrow-v2-dictionary-pages", "pyarrow-int96",
        "polars", "duckdb", "spark",
    ]

    /// Each file (written by pyarrow, polars, DuckDB and Spark with each codec, dictionary and PLAIN
    /// values, pages v1 and v2, several row groups and pages; and Spark) reads row for row as pyarrow
    /// read it (scripts/make-parquet-fixtures wrote the expected rows).
    @Test(arguments: cases) func readsWhatPyarrowReads(name: String) throws {
        let rows = try readParquet("\(Self.folder)/\(name).parquet")
        let expected = try String(contentsOfFile: "\(Self.folder)/\(name).expected.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        #expect(rows.count == expected.count)
        for (i, (row, want)) in zip(rows, expected).enumerated() {
            #expect(canonical(row) == canonical(want), "row \(i + 1)")
        }
    }

    @Test func chatMessagesKeepTheirRolesAndNulls() throws {
        let rows = try readParquet("\(Self.folder)/pyarrow-snappy.parquet")
        let first = rows[0]["messages"] as? [[String: Any]]
        #expect(first?.map { $0["role"] as? String } == ["user", "assistant"])
        #expect((rows[1]["messages"] as? [Any])?.isEmpty == true)
        #expect(rows[2]["messages"] is NSNull)
        #expect((rows[3]["messages"] as? [[String: Any]])?[0]["content"] is NSNull)
    }

    @Test func booleansReadAsBooleans() throws {
        let rows = try readParquet("\(Self.folder)/pyarrow-snappy.parquet")
        let flag = rows[1]["flag"] as? NSNumber
        #expect(flag.map(RecordBuilder.isBoolean) == true)
        #expect(RecordBuilder.typeName(rows[1]["flag"]!) == "a boolean")
    }

    @Test func truncatedAndDamagedFilesSayWhere() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/pyarrow-snappy.parquet")))
        #expect(throws: ParquetError.self) { try ParquetReader(.memory(Array(bytes.prefix(bytes.count - 100)))) }
        do {
            _ = try ParquetReader(.memory(Array(bytes.prefix(bytes.count / 2))))
            Issue.record("a half file opened")
        } catch let e as ParquetError {
            #expect(e.reason.contains("does not end with PAR1"))
        }
        // A page's bytes damaged: the row group and column are named.
        var damaged = bytes
        for i in 200..<260 { damaged[i] ^= 0x5A }
        do {
            let reader = try ParquetReader(.memory(damaged))
            _ = try reader.records(inRowGroup: 0)
            Issue.record("a damaged page read without error")
        } catch let e as ParquetError {
            #expect(e.reason.hasPrefix("row group 1 of 1"), "\(e.reason)")
            #expect(e.reason.contains("column '"), "\(e.reason)")
        }
        #expect(throws: ParquetError.self) { try ParquetReader(.memory(Array("PAR1 not really PAR1".utf8))) }
    }

    /// A footer claiming a trillion rows over empty chunks is refused, not allocated.
    @Test func aRowCountTooLargeForItsChunksIsRefused() throws {
        let schema = [SchemaElement(name: "schema", numChildren: 1), SchemaElement(name: "n", type: .int64, repetition: .required)]
        let meta = ColumnMetaData(
            type: .int64, encodings: [.plain], pathInSchema: ["n"], codec: .uncompressed, numValues: 0, totalUncompressedSize: 0,
            totalCompressedSize: 0, dataPageOffset: 4)
        let footer = FileMetaData(
            schema: schema, numRows: 1 << 40,
            rowGroups: [RowGroup(columns: [ColumnChunk(fileOffset: 4, metaData: meta)], totalByteSize: 0, numRows: 1 << 40)], createdBy: nil
        ).encoded()
        let n = UInt32(footer.count)
        let bytes = Array("PAR1".utf8) + footer + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + Array("PAR1".utf8)
        let reader = try ParquetReader(.memory(bytes))
        do {
            _ = try reader.records(inRowGroup: 0)
            Issue.record("a trillion rows were assembled")
        } catch let e as ParquetError {
            #expect(e.reason.contains("1099511627776 rows"), "\(e.reason)")
        }
    }

    @Test func rleHybridRoundTrips() throws {
        let values: [UInt32] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 3, 3, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        for width in [2, 3, 8, 17] {
            let bytes = RLEHybrid.encode(values, bitWidth: width)
            var back: [UInt32] = []
            try bytes.withUnsafeBytes { try RLEHybrid.decode($0, bitWidth: width, count: values.count) { back.append(UInt32($0)) } }
            #expect(back == values, "width \(width)")
        }
    }

    @Test func datesAndTimestampsAreISO() {
        #expect(PlainDecoder.date(days: 0) == "1970-01-01")
        #expect(PlainDecoder.date(days: 19782) == "2024-02-29")
        #expect(PlainDecoder.date(days: -1) == "1969-12-31")
        #expect(PlainDecoder.timestamp(1_709_251_199_123_456, unit: .micros) == "2024-02-29T23:59:59.123456Z")
        #expect(PlainDecoder.timestamp(-1, unit: .millis) == "1969-12-31T23:59:59.999Z")
        #expect(PlainDecoder.timestamp(1_000_000_000, unit: .nanos) == "1970-01-01T00:00:01Z")
    }

    @Test func thriftRoundTripsAFooter() throws {
        let schema = [
            SchemaElement(name: "schema", numChildren: 1),
            SchemaElement(name: "text", type: .byteArray, repetition: .optional, convertedType: .utf8, logicalType: .string),
        ]
        let meta = ColumnMetaData(
            type: .byteArray, encodings: [.plain, .rle], pathInSchema: ["text"], codec: .zstd, numValues: 3, totalUncompressedSize: 40,
            totalCompressedSize: 30, dataPageOffset: 4, statistics: ParquetStatistics(nullCount: 1))
        let footer = FileMetaData(
            schema: schema, numRows: 3, rowGroups: [RowGroup(columns: [ColumnChunk(fileOffset: 4, metaData: meta)], totalByteSize: 40, numRows: 3)],
            createdBy: "winnow test")
        let bytes = footer.encoded()
        let back = try bytes.withUnsafeBytes { b in
            var r = ThriftCompactReader(b)
            return try FileMetaData(from: &r)
        }
        #expect(back.numRows == 3)
        #expect(back.schema.map(\.name) == ["schema", "text"])
        #expect(back.schema[1].logicalType == .string)
        #expect(back.rowGroups[0].columns[0].metaData.codec == .zstd)
        #expect(back.rowGroups[0].columns[0].metaData.statistics?.nullCount == 1)
        #expect(back.createdBy == "winnow test")
    }
}
