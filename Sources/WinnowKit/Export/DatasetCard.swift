import Crypto
import Foundation

/// The dataset card (README.md) of an `hf` export: YAML front matter that
/// `datasets.load_dataset(DIR)` reads — one config naming the split files, and the features
/// of the rows — then a short description.
///
/// `datasets` caches a loaded folder under its base name, the config name and a hash of the
/// card's `configs` and `dataset_info` (datasets' `LocalDatasetModuleFactory.get_module` and
/// `DatasetBuilder._relative_data_dir`), never under the files' path or content: two exports
/// with the same card at folders of the same name share one cache entry. So the config name
/// carries the export's identity (`identity`): another snapshot, other split settings or other
/// split files give another name, and so another cache entry.
enum DatasetCard {
    /// A `datasets` feature type, as `dataset_info.features` declares it.
    indirect enum Feature: Equatable {
        case null, string, int64, float64, bool
        case list(Feature)
        /// A struct: its fields by name (written sorted).
        case fields([String: Feature])
        /// Values of different JSON types under one name: no feature type fits.
        case conflict

        var hasConflict: Bool {
            switch self {
            case .conflict: return true
            case .list(let element): return element.hasConflict
            case .fields(let fields): return fields.values.contains { $0.hasConflict }
            default: return false
            }
        }
    }

    /// The feature type of one JSON value.
    static func feature(of value: JSONValue) -> Feature {
        switch value {
        case .null: return .null
        case .bool: return .bool
        case .number(let text): return text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) || Int64(text) == nil ? .float64 : .int64
        case .string: return .string
        case .array(let items): return .list(items.map(feature).reduce(.null, merge))
        case .object(let object): return .fields(object.mapValues(feature))
        }
    }

    /// One type for values of both types: null (a missing value) fits any, integers widen to
    /// float64, structs take the union of their fields; otherwise `conflict`.
    static func merge(_ a: Feature, _ b: Feature) -> Feature {
        switch (a, b) {
        case _ where a == b: return a
        case (.null, _): return b
        case (_, .null): return a
        case (.int64, .float64), (.float64, .int64): return .float64
        case (.list(let x), .list(let y)): return .list(merge(x, y))
        case (.fields(let x), .fields(let y)): return .fields(x.merging(y, uniquingKeysWith: merge))
        default: return .conflict
        }
    }

    /// What the rows of an export hold, gathered while they are written.
    struct Shape {
        var kinds: Set<SampleKind> = []
        /// A pair carries `score`.
        var scored = false
        var dimensions: Set<String> = []
        /// The keys of chat messages other than role and content, and their types.
        var messageExtras: [String: Feature] = [:]
        /// A resampled export's `copy` (int64) or `weight` (float64), after scenes; splits not
        /// resampled lack it, and datasets fills it with null there.
        var resampleField: (String, Feature)?
        /// A Parquet export's features, the files' own columns (`ParquetRows.features`, the
        /// label among them), in place of `features`.
        var parquetFeatures: [(String, Feature)]?

        mutating func add(_ member: ExportMember) {
            kinds.insert(member.kind)
            if member.kind == .pair && member.score != nil { scored = true }
            for (dimension, _) in member.scenes { dimensions.insert(dimension) }
        }

        mutating func add(_ messages: [ChatMessage]) {
            for message in messages {
                for (key, value) in message.extra { messageExtras[key] = merge(messageExtras[key] ?? .null, DatasetCard.feature(of: value)) }
            }
        }

        /// The message keys whose values have no single type.
        var conflictingKeys: [String] { messageExtras.filter { $0.value.hasConflict }.keys.sorted() }

        /// The row's fields in the order lines write them, the label aside (it is a class label);
        /// nil when some field has no single type.
        var features: [(String, Feature)]? {
            var result: [(String, Feature)] = [("uid", .string), ("kind", .string)]
            for kind in SampleKind.allCases where kinds.contains(kind) {
                switch kind {
                case .text: result.append(("text", .string))
                case .pair: result += [("text_a", .string), ("text_b", .string)] + (scored ? [("score", .float64)] : [])
                case .instruction: result += [("instruction", .string), ("input", .string), ("output", .string)]
                case .chat:
                    let message = Feature.fields(messageExtras.merging(["role": .string, "content": .string]) { _, fixed in fixed })
                    result.append(("messages", .list(message)))
                }
            }
            result.append(("scenes", .fields(Dictionary(uniqueKeysWithValues: dimensions.map { ($0, Feature.string) }))))
            if let resampleField { result.append(resampleField) }
            return result.contains { $0.1.hasConflict } ? nil : result
        }
    }

    /// The export's identity, as the config name: a digest of the snapshot's fingerprint, the
    /// scheme and its split settings, and every split file's SHA-256.
    static func identity(fingerprint: String, scheme: String, settings: SplitSettings, files: [(file: String, sha256: String)]) -> String {
        let parts = ["winnow hf export", fingerprint, "--scheme \(scheme)"] + settings.commandLine + files.map { "\($0.file) \($0.sha256)" }
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\n").utf8))
        return "winnow-" + String(ContentHash.hex(Array(digest)).prefix(16))
    }

    /// The card. `labels` are the class label's names in index order (the manifest's); with
    /// none, `label` is declared a string (every row has null). Without `features` (a field
    /// with no single type) the card leaves the features for `datasets` to infer.
    static func text(
        snapshot: String, fingerprint: String, config: String, splits: [(name: String, files: [String], count: Int)],
        labels: [String], features: [(String, Feature)]?
    ) -> String {
        var lines = ["---", "configs:", "- config_name: \(config)", "  default: true", "  data_files:"]
        for split in splits {
            lines.append("  - split: \(quote(split.name))")
            if split.files.count == 1 { lines.append("    path: \(quote(split.files[0]))") } else { lines += ["    path:"] + split.files.map { "    - \(quote($0))" } }
        }
        if let features {
            lines += ["dataset_info:", "  config_name: \(config)", "  features:"]
            // The label goes where the features have it (Parquet), else before scenes, as the lines have it.
            let placed = features.contains { $0.0 == "label" }
            for (name, feature) in features {
                if placed ? name == "label" : name == "scenes" {
                    if labels.isEmpty {
                        lines += entry("label", .string, indent: 2)
                    } else {
                        lines += ["  - name: label", "    dtype:", "      class_label:", "        names:"]
                        lines += labels.enumerated().map { "          \"\($0)\": \(quote($1))" }
                    }
                }
                if name != "label" { lines += entry(name, feature, indent: 2) }
            }
        }
        lines += [
            "---", "", "# \(snapshot)", "",
            "Exported by Winnow \(Winnow.version) from snapshot `\(snapshot)` (fingerprint `\(fingerprint)`).",
            "The config name `\(config)` is this export's identity (snapshot, split settings and files), so `datasets` never serves another export's cached rows for it.",
            features != nil && !labels.isEmpty ? "`label` is a class label whose names are manifest.json's `labels`, in that order.\n" : "",
            "| split | samples |", "|---|---:|",
        ]
        lines += splits.map { "| \($0.name) | \($0.count) |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A named feature as a YAML list item.
    static func entry(_ name: String, _ feature: Feature, indent: Int) -> [String] {
        ["\(String(repeating: " ", count: indent))- name: \(quote(name))"] + body(feature, indent: indent + 2)
    }

    /// A feature's type keys (`dtype`, `struct`, `list`) at `indent`.
    static func body(_ feature: Feature, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        switch feature {
        case .fields(let fields):
            if fields.isEmpty { return ["\(pad)struct: []"] }
            return ["\(pad)struct:"] + fields.keys.sorted().flatMap { entry($0, fields[$0]!, indent: indent) }
        case .list(.fields(let fields)) where !fields.isEmpty:
            return ["\(pad)list:"] + fields.keys.sorted().flatMap { entry($0, fields[$0]!, indent: indent) }
        case .list(let element):
            if let scalar = scalar(element) { return ["\(pad)list: \(scalar)"] }
            return ["\(pad)list:"] + body(element, indent: indent + 2)
        default:
            return ["\(pad)dtype: \(scalar(feature) ?? "string")"]
        }
    }

    static func scalar(_ feature: Feature) -> String? {
        switch feature {
        case .null: return "\"null\"" // quoted: a bare null is YAML's null
        case .string: return "string"
        case .int64: return "int64"
        case .float64: return "float64"
        case .bool: return "bool"
        default: return nil
        }
    }

    /// `s` as a YAML double-quoted scalar that PyYAML reads back exactly: printable ASCII as
    /// is (with `"` and `\` escaped), control and C1 characters, line and paragraph
    /// separators and non-characters as escapes, any other text as UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x20..<0x7F: out.unicodeScalars.append(scalar)
            case 0..<0x20, 0x7F: out += String(format: "\\x%02X", v)
            case 0x80..<0xA0, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: out += String(format: "\\u%04X", v)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension DatasetCard {
    /// Step 4 of an hf export: writes README.md into `folder` for the complete split files;
    /// the warning to give when no feature type fits the rows (the card then declares none).
    static func write(_ plan: ExportPlan, scheme: String, splits: [ExportManifest.Split], shape: Shape, to folder: URL) throws -> String? {
        let fingerprint = plan.snapshot.fingerprint
        let files = splits.map { split in split.shards.map { $0.map { ($0.file, $0.sha256) } } ?? [(split.file, split.sha256)] }
        let config = identity(fingerprint: fingerprint, scheme: scheme, settings: plan.splits.settings, files: files.flatMap { $0 })
        let features = shape.parquetFeatures ?? shape.features
        let card = text(
            snapshot: plan.snapshot.name, fingerprint: fingerprint, config: config,
            splits: zip(splits, files).map { ($0.name, $1.map(\.0), $0.count) }, labels: plan.metrics.labels, features: features)
        try Data(card.utf8).write(to: folder.appendingPathComponent("README.md"))
        guard features == nil else { return nil }
        return
            "the hf card declares no features: chat message keys hold values of different JSON types (\(shape.conflictingKeys.joined(separator: ", "))), which no feature type fits; datasets will infer the types itself, and label stays a string (make those values one type to get them)"
    }
}
