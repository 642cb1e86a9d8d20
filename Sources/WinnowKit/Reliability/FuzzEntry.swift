import Foundation

/// Entry points for the libFuzzer targets in Fuzz/ (RELIABILITY B5): each takes arbitrary
/// bytes through one parser the way `winnow` does. Errors are the expected outcome for bad
/// input; a crash, a sanitizer report or a hang is a bug.
public enum FuzzEntry {
    /// Reads `bytes` as an input file of `format` (jsonl, json, csv, tsv) with the import
    /// readers and builds every record with the detected field mapping.
    public static func records(_ bytes: [UInt8], format: InputFormat, scratch: String) {
        let path = scratch + "/input." + format.rawValue
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        do {
            let lines = LineReader(source: try ByteSource(path: path), maxLineBytes: 1 << 16)
            let (reader, names) = try makeRecordReader(lines, format: format, maxRecordBytes: 1 << 16)
            var builder: RecordBuilder? = names.flatMap { try? RecordBuilder(mapping: FieldMapping.resolve(fields: $0, kind: nil, overrides: [:])) }
            while let item = try reader.next() {
                guard case .record(let line, let fields) = item else { continue }
                if builder == nil {
                    guard let mapping = try? FieldMapping.resolve(fields: fields.keys.sorted(), kind: nil, overrides: [:]) else { return }
                    builder = RecordBuilder(mapping: mapping)
                }
                _ = try? builder?.build(fields, line: line)
            }
        } catch {}
    }

    /// Reads `bytes` as a Parquet file with the import's reader (footer, schema, every row
    /// group's pages and records), under limits low enough for the fuzzer's memory cap.
    public static func parquet(_ bytes: [UInt8]) {
        do {
            let reader = try ParquetReader(.memory(bytes), limits: ParquetLimits(entriesPerChunk: 1 << 16, pageBytes: 1 << 22))
            for g in 0..<reader.rowGroupCount { _ = try reader.records(inRowGroup: g) }
        } catch {}
    }

    /// Parses `text` with the option parsers users type into (--map, --split, --of) and builds
    /// the selection SQL from it (it must stay bound parameters, whatever the text).
    public static func options(_ text: String) {
        _ = try? FieldMapping.parseOverrides(text.split(separator: " ").map(String.init))
        _ = try? Splits.parse(text)
        _ = try? DistributionSubject(text)
        _ = Store.selectionConditions(label: text, scene: (text, text), source: text)
    }
}
