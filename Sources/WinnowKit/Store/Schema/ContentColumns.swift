import Foundation
import GRDB
import GRDBSQLite

/// The one mapping between a sample's content and the seven content columns of `contents`:
/// `text` (text); `text_a`, `text_b` (pair); `instruction`, `input`, `output` (instruction);
/// `messages` (chat, a JSON array). Every query that reads or writes content goes through it.
enum ContentColumns {
    /// The column names, in the order every query selects and binds them.
    static let names = ["text", "text_a", "text_b", "instruction", "input", "output", "messages"]

    /// The columns as a SELECT list, each prefixed with `alias.` ("c.text, c.text_a, …");
    /// an empty alias gives the bare names.
    static func selectList(_ alias: String = "c") -> String {
        names.map { alias.isEmpty ? $0 : "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// The seven column values of `content`, in `names` order (nil where its kind has none).
    static func values(_ content: SampleContent) -> [String?] {
        switch content {
        case .text(let text): return [text, nil, nil, nil, nil, nil, nil]
        case .pair(let a, let b): return [nil, a, b, nil, nil, nil, nil]
        case .instruction(let instruction, let input, let output): return [nil, nil, nil, instruction, input, output, nil]
        case .chat(let messages): return [nil, nil, nil, nil, nil, nil, SampleContent.messagesJSON(messages)]
        }
    }

    /// The content from the seven values in `names` order; the first set group decides the
    /// kind. A chat whose JSON does not decode reads as empty text.
    static func content(_ value: (Int) -> String?) -> SampleContent {
        if let text = value(0) { return .text(text) }
        if let a = value(1) { return .pair(a, value(2) ?? "") }
        if let instruction = value(3) { return .instruction(instruction: instruction, input: value(4) ?? "", output: value(5) ?? "") }
        if let messages = value(6), let decoded = ChatMessage.decodeList(messages) { return .chat(decoded) }
        return .text("")
    }

    /// The content held in a row that selected the seven columns by name.
    static func content(_ row: Row) throws -> SampleContent {
        let values = try names.map { try row.value($0, as: String?.self) }
        return content { values[$0] }
    }

    /// The content in the seven columns of a raw statement's current row, starting at `first`.
    static func content(_ stmt: OpaquePointer, first: Int32 = 1) -> SampleContent {
        content { Store.columnBytes(stmt, first + Int32($0)).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// The set columns of a row by name (what `show` and `review next` report as `content`).
    static func fields(_ row: Row) throws -> [String: String] {
        var fields: [String: String] = [:]
        for column in names {
            if let value = try row.value(column, as: String?.self) { fields[column] = value }
        }
        return fields
    }
}
