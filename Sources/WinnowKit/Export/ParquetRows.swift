import Foundation

/// The Parquet schema of an export's rows (`--format parquet`, `--format hf --data parquet`)
/// and the shredding of one row into its columns. The fields are the jsonl line's, in its
/// order: `uid`, `kind` (required strings), the content fields of the kinds the snapshot holds
/// (`text`; `text_a`, `text_b`, `score` (double) when a pair has one; `instruction`, `input`,
/// `output`; `messages`), `label`, `scenes` (a struct of one optional string per scene
/// dimension, left out when the snapshot has no scenes: Parquet has no empty struct), then a
/// resampled export's `copy` (int64) or `weight` (double). A field another kind's rows lack
/// is null in them.
///
/// `messages` is `list<struct<role: string (required), content: string, EXTRA…>>`: each other
/// key of the messages is a field, typed when its values have one scalar type (string,
/// int64, double, bool; integers and decimals together are double), else (lists, objects,
/// values of different types) a string holding the value as JSON text, such columns named in
/// the files' key-value metadata `winnow.json_fields` (dotted paths, comma-separated). A
/// message's null content and one without content are both null.
struct ParquetRows {
    /// How a message key's values are written.
    enum ExtraType: Equatable {
        case string, int64, double, bool
        /// Any JSON value, as its JSON text.
        case json
    }

    let fields: [ParquetField]
    let columns: [ParquetColumnDescriptor]
    /// The message keys other than role and content, sorted, with their types.
    let messageExtras: [(key: String, type: ExtraType)]
    /// Scene dimensions, sorted.
    let dimensions: [String]
    let resampleField: (name: String, isCopy: Bool)?

    init(_ shape: DatasetCard.Shape) {
        var fields: [ParquetField] = [.leaf("uid", .string, .required), .leaf("kind", .string, .required)]
        var extras: [(String, ExtraType)] = []
        for kind in SampleKind.allCases where shape.kinds.contains(kind) {
            switch kind {
            case .text: fields.append(.leaf("text", .string))
            case .pair: fields += [.leaf("text_a", .string), .leaf("text_b", .string)] + (shape.scored ? [.leaf("score", .double)] : [])
            case .instruction: fields += [.leaf("instruction", .string), .leaf("input", .string), .leaf("output", .string)]
            case .chat:
                extras = shape.messageExtras.keys.filter { $0 != "role" && $0 != "content" }.sorted().map { key in
                    (key, Self.extraType(shape.messageExtras[key]!))
                }
                let element = ParquetField.group(
                    "element", .required,
                    [.leaf("role", .string, .required), .leaf("content", .string)]
                        + extras.map { key, type in .leaf(key, Self.leafType(type)) })
                fields.append(.list("messages", element: element))
            }
        }
        fields.append(.leaf("label", .string))
        dimensions = shape.dimensions.sorted()
        if !dimensions.isEmpty { fields.append(.group("scenes", .required, dimensions.map { .leaf($0, .string) })) }
        resampleField = shape.resampleField.map { ($0.0, $0.0 == "copy") }
        if let (name, isCopy) = resampleField { fields.append(.leaf(name, isCopy ? .int64 : .double)) }
        self.fields = fields
        messageExtras = extras
        columns = ParquetColumnDescriptor.leaves(of: fields)
    }

    static func extraType(_ feature: DatasetCard.Feature) -> ExtraType {
        switch feature {
        case .null, .string: return .string
        case .int64: return .int64
        case .float64: return .double
        case .bool: return .bool
        case .list, .fields, .conflict: return .json
        }
    }

    static func leafType(_ type: ExtraType) -> ParquetField.Leaf {
        switch type {
        case .string, .json: return .string
        case .int64: return .int64
        case .double: return .double
        case .bool: return .boolean
        }
    }

    /// The hf card's features for these columns, `label` among them where the files have it
    /// (the card writes it as a class label): the card describes the Parquet files, which
    /// `datasets` casts to it, so a JSON-text message key is a string there too.
    var features: [(String, DatasetCard.Feature)] {
        func feature(_ f: ParquetField) -> DatasetCard.Feature {
            if f.isList, let element = f.children.first?.children.first { return .list(feature(element)) }
            switch f.leaf {
            case .string?: return .string
            case .int64?: return .int64
            case .double?: return .float64
            case .boolean?: return .bool
            case nil: return .fields(Dictionary(uniqueKeysWithValues: f.children.map { ($0.name, feature($0)) }))
            }
        }
        return fields.map { ($0.name, feature($0)) }
    }

    /// The key-value metadata of the files: `winnow.json_fields`, the columns (dotted paths)
    /// whose values are JSON text, when there are any.
    var keyValueMetadata: [(key: String, value: String)] {
        let json = messageExtras.filter { $0.type == .json }.map { "messages.list.element." + $0.key }
        return json.isEmpty ? [] : [("winnow.json_fields", json.joined(separator: ","))]
    }

    /// Writes one row: `content` (nil for a text sample whose `text` is given as the store's bytes).
    func write(
        _ m: ExportMember, content: SampleContent?, text: UnsafeBufferPointer<UInt8>?, extra: (String, String)?, to w: ParquetWriter
    ) throws {
        var c = 0
        func next() -> Int {
            defer { c += 1 }
            return c
        }
        w.string(next(), m.uid)
        w.string(next(), m.kind.rawValue)
        // The content columns, in the schema's order: the row's own, the others null.
        for field in fields.dropFirst(2) {
            switch field.name {
            case "text":
                let i = next()
                if let text { w.bytes(i, text) } else if case .text(let t)? = content { w.string(i, t) } else { w.null(i, def: 0) }
            case "text_a", "text_b":
                let i = next()
                if case .pair(let a, let b)? = content { w.string(i, field.name == "text_a" ? a : b) } else { w.null(i, def: 0) }
            case "score":
                let i = next()
                if m.kind == .pair, let s = m.score, s.isFinite { w.double(i, s) } else { w.null(i, def: 0) }
            case "instruction", "input", "output":
                let i = next()
                if case .instruction(let ins, let input, let output)? = content {
                    w.string(i, field.name == "instruction" ? ins : field.name == "input" ? input : output)
                } else {
                    w.null(i, def: 0)
                }
            case "messages":
                let first = c
                c += 2 + messageExtras.count
                writeMessages(content, from: first, to: w)
            case "label":
                let i = next()
                if let l = m.label { w.string(i, l) } else { w.null(i, def: 0) }
            case "scenes":
                let scenes = Dictionary(m.scenes, uniquingKeysWith: { a, _ in a })
                for d in dimensions {
                    let i = next()
                    if let v = scenes[d] { w.string(i, v) } else { w.null(i, def: 0) }
                }
            default: // the resample field
                let i = next()
                if let (_, value) = extra, let (_, isCopy) = resampleField {
                    if isCopy, let n = Int64(value) { w.int64(i, n) } else if !isCopy, let x = Double(value) { w.double(i, x) } else { w.null(i, def: 0) }
                } else {
                    w.null(i, def: 0)
                }
            }
        }
        try w.endRow()
    }

    /// messages: definition levels 0 null list, 1 empty list, 2 a message (role), 3 a
    /// message's present optional field; repetition 1 for every message after the first.
    private func writeMessages(_ content: SampleContent?, from first: Int, to w: ParquetWriter) {
        let count = 2 + messageExtras.count
        guard case .chat(let messages)? = content else {
            for i in first..<first + count { w.null(i, def: 0) }
            return
        }
        if messages.isEmpty {
            for i in first..<first + count { w.null(i, def: 1) }
            return
        }
        for (n, message) in messages.enumerated() {
            let rep = n == 0 ? 0 : 1
            w.string(first, message.role, rep: rep)
            if message.contentForm == .string { w.string(first + 1, message.content, rep: rep) } else { w.null(first + 1, def: 2, rep: rep) }
            for (k, (key, type)) in messageExtras.enumerated() {
                let i = first + 2 + k
                guard let value = message.extra[key], value != .null else {
                    w.null(i, def: 2, rep: rep)
                    continue
                }
                switch (type, value) {
                case (.string, .string(let s)): w.string(i, s, rep: rep)
                case (.int64, .number(let t)) where Int64(t) != nil: w.int64(i, Int64(t)!, rep: rep)
                case (.double, .number(let t)) where Double(t) != nil: w.double(i, Double(t)!, rep: rep)
                case (.bool, .bool(let b)): w.bool(i, b, rep: rep)
                default:
                    var json = ""
                    value.write(to: &json)
                    w.string(i, json, rep: rep)
                }
            }
        }
    }
}
