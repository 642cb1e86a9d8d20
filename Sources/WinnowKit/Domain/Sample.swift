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
