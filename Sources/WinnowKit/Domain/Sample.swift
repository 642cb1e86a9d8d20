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

/// One message of a chat sample.
public struct ChatMessage: Equatable, Codable, Sendable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
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

    /// The fields the content hash is taken over, in order.
    var hashedFields: [String] {
        switch self {
        case .text(let text): return [text]
        case .pair(let a, let b): return [a, b]
        case .instruction(let instruction, let input, let output): return [instruction, input, output]
        case .chat(let messages): return messages.flatMap { [$0.role, $0.content] }
        }
    }

    /// The messages as the canonical JSON array stored in `contents.messages`.
    static func messagesJSON(_ messages: [ChatMessage]) -> String {
        var out = "["
        for (i, m) in messages.enumerated() {
            if i > 0 { out += "," }
            out += "{\"role\":" + JSONText.quote(m.role) + ",\"content\":" + JSONText.quote(m.content) + "}"
        }
        return out + "]"
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
    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
