import Foundation

/// Step 3 of an export, the writers: one line function per format, turning a member and its
/// content into one line of its split file.
struct LineWriter {
    let format: ExportFormat
    let options: ExportOptions
    /// A label's index in the manifest's `labels` (`pairs` writes the index).
    let labelIndex: [String: Int]

    init(options: ExportOptions, labels: [String]) {
        format = options.format
        self.options = options
        labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
    }

    /// What each split file starts with (csv: its header line, with a last column `extra`
    /// for a resampled split's `copy` or `weight`).
    func header(extra: String? = nil) -> String? {
        format == .csv ? CSVExport.header + (extra.map { "," + $0 } ?? "") + "\n" : nil
    }

    /// jsonl and hf write a text sample's line straight from the store's bytes
    /// (`SplitWriter.writeTextLine`), without Swift strings for the content.
    func writesTextDirectly(_ member: ExportMember) -> Bool {
        (format == .jsonl || format == .hf) && member.kind == .text
    }

    /// One record in the chosen format; `extra` (a resampled line's `copy` or `weight`, its
    /// value as JSON) is the last key of jsonl, hf and alpaca lines and the last csv cell.
    func line(_ r: ExportMember, content: SampleContent, extra: (String, String)? = nil) -> String {
        func with(_ object: String) -> String {
            guard let (key, value) = extra else { return object }
            return String(object.dropLast()) + ",\(JSONText.quote(key)):\(value)}"
        }
        switch format {
        case .jsonl, .hf, .documents: return with(Self.jsonl(r, content))
        case .openaiChat: return Self.openAIChat(r, content, system: options.system)
        case .alpaca: return with(Self.alpaca(content))
        case .pairs: return Self.pairs(r, content, labelIndex: labelIndex)
        case .csv: return Self.csv(r, content, raw: options.raw) + (extra.map { "," + $0.1 } ?? "")
        case .parquet: return "" // rows, not lines: ParquetRows
        }
    }

    /// jsonl and hf: uid, kind, the content's fields, label and scenes.
    static func jsonl(_ r: ExportMember, _ content: SampleContent) -> String {
        var pairs: [(String, String)] = [("uid", JSONText.quote(r.uid)), ("kind", JSONText.quote(r.kind.rawValue))]
        switch content {
        case .text(let t): pairs.append(("text", JSONText.quote(t)))
        case .pair(let a, let b):
            pairs += [("text_a", JSONText.quote(a)), ("text_b", JSONText.quote(b))]
            if let score = r.score { pairs.append(("score", jsonNumber(score))) }
        case .instruction(let i, let input, let o): pairs += [("instruction", JSONText.quote(i)), ("input", JSONText.quote(input)), ("output", JSONText.quote(o))]
        case .chat(let m): pairs.append(("messages", SampleContent.messagesJSON(m)))
        }
        pairs += [("label", r.label.map(JSONText.quote) ?? "null"), ("scenes", jsonObject(r.scenes.map { ($0.0, JSONText.quote($0.1)) }))]
        return jsonObject(pairs)
    }

    /// openai-chat: the conversation as messages (a text sample: user text, assistant label),
    /// with the system message given in place of the sample's own.
    static func openAIChat(_ r: ExportMember, _ content: SampleContent, system: String?) -> String {
        var messages: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        switch content {
        case .chat(let m): messages += m.filter { system == nil || $0.role != "system" }
        case .instruction(let i, let input, let o):
            messages.append(ChatMessage(role: "user", content: input.isEmpty ? i : i + "\n\n" + input))
            messages.append(ChatMessage(role: "assistant", content: o))
        case .text(let t):
            messages.append(ChatMessage(role: "user", content: t))
            messages.append(ChatMessage(role: "assistant", content: r.label ?? ""))
        case .pair: break
        }
        return jsonObject([("messages", SampleContent.messagesJSON(messages))])
    }

    /// alpaca: instruction, input, output.
    static func alpaca(_ content: SampleContent) -> String {
        guard case .instruction(let i, let input, let o) = content else { return "" }
        return jsonObject([("instruction", JSONText.quote(i)), ("input", JSONText.quote(input)), ("output", JSONText.quote(o))])
    }

    /// pairs: sentence1, sentence2, and the label's index (else the score).
    static func pairs(_ r: ExportMember, _ content: SampleContent, labelIndex: [String: Int]) -> String {
        guard case .pair(let a, let b) = content else { return "" }
        var pairs = [("sentence1", JSONText.quote(a)), ("sentence2", JSONText.quote(b))]
        if let l = r.label, let index = labelIndex[l] { pairs.append(("label", "\(index)")) } else if let score = r.score { pairs.append(("score", jsonNumber(score))) }
        return jsonObject(pairs)
    }

    /// csv: one row under `CSVExport.header`.
    static func csv(_ r: ExportMember, _ content: SampleContent, raw: Bool) -> String {
        var cells = [r.uid, r.kind.rawValue, "", "", "", "", "", "", ""]
        switch content {
        case .text(let t): cells[2] = t
        case .pair(let a, let b): cells[3] = a; cells[4] = b
        case .instruction(let i, let input, let o): cells[5] = i; cells[6] = input; cells[7] = o
        case .chat(let m): cells[8] = SampleContent.messagesJSON(m)
        }
        cells += [r.label ?? "", r.scenes.map { "\($0.0)=\($0.1)" }.joined(separator: ";")]
        return cells.map { CSVExport.cell($0, raw: raw) }.joined(separator: ",")
    }
}

/// CSV writing: RFC 4180 quoting and the spreadsheet formula guard.
public enum CSVExport {
    static let header = "uid,kind,text,text_a,text_b,instruction,input,output,messages,label,scenes"

    /// A cell: a leading = + - @ tab or CR is prefixed with ' (unless raw) so spreadsheets do
    /// not run it as a formula; quoted when it holds a comma, quote or line break.
    public static func cell(_ value: String, raw: Bool) -> String {
        var v = value
        if !raw, let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        // By scalar: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        if v.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }
}
