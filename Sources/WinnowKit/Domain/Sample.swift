import Foundation

/// The four kinds of training record Winnow holds.
public enum SampleKind: String, CaseIterable, Codable, Sendable {
    /// A text with an optional label.
    case text
    /// Two texts (sentence-pair / cross-encoder data) with an optional label or score.
    case pair
    /// Alpaca-style instruction, optional input, and output.
    case instruction
    /// A conversation: messages with a role and content.
    case chat
}

/// One message of a chat sample: its role, its text, and every other key it carried
/// (`tool_calls`, `tool_call_id`, `name`, `weight`, …), kept so it is written back as read.
public struct ChatMessage: Equatable, Sendable {
    /// How the message's content was written.
    public enum ContentForm: String, Sendable { case string, null, absent }

    public var role: String
    /// The text; "" when the content is `null` or absent (see `contentForm`).
    public var content: String
    public var contentForm: ContentForm
    /// The message's other keys and their values.
    public var extra: [String: JSONValue]

    public init(role: String, content: String, contentForm: ContentForm = .string, extra: [String: JSONValue] = [:]) {
        self.role = role
        self.content = content
        self.contentForm = contentForm
        self.extra = extra
    }

    /// The message as a JSON object: role, content, then the other keys sorted.
    public var json: String {
        var out = "{\"role\":" + JSONText.quote(role)
        switch contentForm {
        case .string: out += ",\"content\":" + JSONText.quote(content)
        case .null: out += ",\"content\":null"
        case .absent: break
        }
        for key in JSONValue.sortedKeys(extra.keys) {
            out += "," + JSONText.quote(key) + ":"
            extra[key]!.write(to: &out)
        }
        return out + "}"
    }

    /// Reads a message object. `roleKeys`/`contentKeys` are tried in order (ShareGPT's
    /// `from`/`value` on import); every key not used for role or content is kept.
    /// Content that is not a string or null (multimodal parts) is refused.
    static func parse(
        _ object: [String: Any], roleKeys: [String] = ["role"], contentKeys: [String] = ["content"],
        mapRole: (String) -> String = { $0 }
    ) throws(RecordError) -> ChatMessage {
        guard let roleKey = roleKeys.first(where: { object[$0] != nil }), let rawRole = object[roleKey] as? String else {
            throw RecordError(reason: "has no \(roleKeys.joined(separator: " (or ")) string\(roleKeys.count > 1 ? ")" : "")")
        }
        var message = ChatMessage(role: mapRole(rawRole), content: "", contentForm: .absent)
        let contentKey = contentKeys.first(where: { object[$0] != nil })
        if let contentKey {
            switch object[contentKey]! {
            case let text as String: message.content = text; message.contentForm = .string
            case is NSNull: message.contentForm = .null
            case let body:
                let what = body is [Any] ? "a list of parts (multimodal content)" : RecordBuilder.typeName(body)
                throw RecordError(
                    reason: "has content that is \(what); Winnow keeps text chats only: give '\(contentKey)' as a string (join the text parts) or leave such records out")
            }
        }
        for (key, value) in object where key != roleKey && key != contentKey {
            message.extra[key] = JSONValue(value)
        }
        return message
    }

    /// Decodes a stored `contents.messages` array.
    public static func decodeList(_ json: String) -> [ChatMessage]? {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else { return nil }
        var result: [ChatMessage] = []
        for item in list {
            guard let object = item as? [String: Any], let message = try? parse(object) else { return nil }
            result.append(message)
        }
        return result
    }
}

extension ChatMessage: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        role = try c.decode(String.self, forKey: Key(stringValue: "role"))
        content = ""
        contentForm = .absent
        extra = [:]
        for key in c.allKeys where key.stringValue != "role" {
            if key.stringValue == "content" {
                if try c.decodeNil(forKey: key) { contentForm = .null } else { content = try c.decode(String.self, forKey: key); contentForm = .string }
            } else {
                extra[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(role, forKey: Key(stringValue: "role"))
        switch contentForm {
        case .string: try c.encode(content, forKey: Key(stringValue: "content"))
        case .null: try c.encodeNil(forKey: Key(stringValue: "content"))
        case .absent: break
        }
        for (key, value) in extra { try c.encode(value, forKey: Key(stringValue: key)) }
    }
}

/// The content of a sample, by kind. This is what the content hash covers.
public enum SampleContent: Equatable, Sendable {
    case text(String)
    case pair(String, String)
    case instruction(instruction: String, input: String, output: String)
    case chat([ChatMessage])

    public var kind: SampleKind {
        switch self {
        case .text: return .text
        case .pair: return .pair
        case .instruction: return .instruction
        case .chat: return .chat
        }
    }

    /// The messages as the canonical JSON array stored in `contents.messages`.
    static func messagesJSON(_ messages: [ChatMessage]) -> String {
        "[" + messages.map(\.json).joined(separator: ",") + "]"
    }

    /// All the text of the sample, fields separated by blank lines (for display and lengths).
    public var plainText: String {
        switch self {
        case .text(let text): return text
        case .pair(let a, let b): return a + "\n\n" + b
        case .instruction(let instruction, let input, let output):
            return [instruction, input, output].filter { !$0.isEmpty }.joined(separator: "\n\n")
        case .chat(let messages): return messages.map { "\($0.role): \($0.content)" }.joined(separator: "\n\n")
        }
    }
}

/// Minimal JSON text helpers for output we write by hand (stable, no escaped slashes).
public enum JSONText {
    /// `s` as a JSON string literal: a byte-level pass copying runs that need no escape.
    public static func quote(_ s: String) -> String {
        var s = s
        return s.withUTF8 { bytes -> String in
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + 2)
            appendQuoted(bytes, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Appends `bytes` (UTF-8) to `out` as a JSON string literal, quotes included. Control
    /// characters, U+2028 and U+2029 are escaped; everything else is copied in runs.
    static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        var i = 0
        let n = bytes.count
        @inline(__always) func flushRun(_ end: Int, _ out: inout [UInt8]) {
            if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<end])) }
        }
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b != 0xE2 { i += 1; continue }
            switch b {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C:
                flushRun(i, &out)
                out.append(0x5C)
                out.append(b == 0x0A ? 0x6E : b == 0x0D ? 0x72 : b == 0x09 ? 0x74 : b == 0x08 ? 0x62 : b == 0x0C ? 0x66 : b)
                runStart = i + 1
            case 0x00..<0x20:
                flushRun(i, &out)
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                runStart = i + 1
            case 0xE2 where i + 2 < n && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028 and U+2029: valid JSON, but they end lines in JavaScript.
                flushRun(i, &out)
                out.append(contentsOf: Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
                i += 2
                runStart = i + 1
            default: break
            }
            i += 1
        }
        flushRun(n, &out)
        out.append(0x22)
    }
}
