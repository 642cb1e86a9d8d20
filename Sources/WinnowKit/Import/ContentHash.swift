import Crypto
import Foundation

/// The normalisation behind content hashes (SPEC section 1): Unicode NFC, line endings to
/// `\n`, runs of spaces and tabs inside a line folded to one space, each line's trailing
/// spaces removed, and leading and trailing blank lines and spaces of the whole text trimmed.
public enum Normalizer {
    /// The normalised UTF-8 bytes of `text`.
    public static func normalize(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        append(text, to: &out)
        return out
    }

    /// The normalised text as a String (for display and tests).
    public static func normalizedString(_ text: String) -> String {
        String(decoding: normalize(text), as: UTF8.self)
    }

    /// Appends the normalised UTF-8 bytes of `text` to `out`.
    static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        let ascii =
            text.utf8.withContiguousStorageIfAvailable { bytes in
                !bytes.contains(where: { $0 >= 0x80 })
            } ?? !text.utf8.contains(where: { $0 >= 0x80 })
        if !ascii {
            text = text.precomposedStringWithCanonicalMapping
        }
        text.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count)
            var pendingSpace = false
            var pendingNewlines = 0
            var started = false
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                switch b {
                case 0x0D: // CR or CRLF
                    pendingNewlines += 1
                    pendingSpace = false
                    if i + 1 < n && bytes[i + 1] == 0x0A { i += 1 }
                case 0x0A:
                    pendingNewlines += 1
                    pendingSpace = false
                case 0x20, 0x09:
                    pendingSpace = true
                default:
                    if started {
                        if pendingNewlines > 0 {
                            for _ in 0..<pendingNewlines { out.append(0x0A) }
                        }
                        if pendingSpace { out.append(0x20) }
                    }
                    // Copy the run of ordinary bytes in one go.
                    var j = i + 1
                    while j < n {
                        let c = bytes[j]
                        if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { break }
                        j += 1
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
                    i = j - 1
                    started = true
                    pendingNewlines = 0
                    pendingSpace = false
                }
                i += 1
            }
        }
    }
}

/// Content hashes: SHA-256 over the kind's name, U+001E, then its fields joined by U+001F.
/// Each field is normalised and then escaped — U+001B becomes ESC `e`, U+001F ESC `u`,
/// U+001E ESC `r` — so no field can contain a separator and the encoding is injective
/// (a field without those three characters is hashed exactly as before schema 0004).
/// A chat gives two fields per message, its role and its content; a message that is more
/// than role and string content extends its content field with unescaped markers: ESC `n`
/// for `content: null`, ESC `a` for no content key, then per other key, sorted, ESC `k`,
/// the escaped key, ESC `v` and the escaped canonical JSON of its value (not normalised).
/// The label is not part of it.
public enum ContentHash {
    /// The 32-byte content hash of a sample's content.
    public static func of(_ content: SampleContent) -> [UInt8] {
        var bytes: [UInt8] = Array(content.kind.rawValue.utf8)
        bytes.append(0x1E)
        func field(_ text: String) {
            let start = bytes.count
            Normalizer.append(text, to: &bytes)
            escape(&bytes, from: start)
        }
        switch content {
        case .text(let text): field(text)
        case .pair(let a, let b): field(a); bytes.append(0x1F); field(b)
        case .instruction(let instruction, let input, let output):
            field(instruction); bytes.append(0x1F); field(input); bytes.append(0x1F); field(output)
        case .chat(let messages):
            for (i, message) in messages.enumerated() {
                if i > 0 { bytes.append(0x1F) }
                field(message.role)
                bytes.append(0x1F)
                switch message.contentForm {
                case .string: field(message.content)
                case .null: bytes += [0x1B, UInt8(ascii: "n")]
                case .absent: bytes += [0x1B, UInt8(ascii: "a")]
                }
                for key in JSONValue.sortedKeys(message.extra.keys) {
                    bytes += [0x1B, UInt8(ascii: "k")]
                    var start = bytes.count
                    bytes += Array(key.utf8)
                    escape(&bytes, from: start)
                    bytes += [0x1B, UInt8(ascii: "v")]
                    start = bytes.count
                    bytes += Array(message.extra[key]!.json.utf8)
                    escape(&bytes, from: start)
                }
            }
        }
        return Array(SHA256.hash(data: bytes))
    }

    /// Escapes U+001B, U+001F and U+001E in `bytes[start...]` (one byte each in UTF-8).
    static func escape(_ bytes: inout [UInt8], from start: Int) {
        let first: Int? = bytes.withUnsafeBufferPointer { buffer in
            var i = start
            while i < buffer.count {
                let b = buffer[i]
                if b == 0x1B || b == 0x1E || b == 0x1F { return i }
                i += 1
            }
            return nil
        }
        guard let first else { return }
        var tail: [UInt8] = []
        tail.reserveCapacity((bytes.count - first) + 16)
        for b in bytes[first...] {
            switch b {
            case 0x1B: tail += [0x1B, UInt8(ascii: "e")]
            case 0x1F: tail += [0x1B, UInt8(ascii: "u")]
            case 0x1E: tail += [0x1B, UInt8(ascii: "r")]
            default: tail.append(b)
            }
        }
        bytes.replaceSubrange(first..., with: tail)
    }

    /// Whether a text holds one of the characters the escaping changes (contents stored
    /// before schema 0004 with one of them are re-hashed by its migration).
    static func needsEscape(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x1B || $0 == 0x1E || $0 == 0x1F }
    }

    /// Lower-case hex of a hash.
    public static func hex(_ hash: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(hash.count * 2)
        for b in hash {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The uid given to a sample whose input has no id: the first 16 hex digits of its hash.
    public static func derivedUID(_ hash: [UInt8]) -> String {
        String(hex(hash).prefix(16))
    }
}
