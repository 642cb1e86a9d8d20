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
        let ascii = text.utf8.withContiguousStorageIfAvailable { bytes in
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

/// Content hashes: SHA-256 over the kind's name, U+001E, then its normalised fields joined
/// by U+001F. The label is not part of it.
public enum ContentHash {
    /// The 32-byte content hash of a sample's content.
    public static func of(_ content: SampleContent) -> [UInt8] {
        var bytes: [UInt8] = Array(content.kind.rawValue.utf8)
        bytes.append(0x1E)
        var first = true
        for field in content.hashedFields {
            if !first { bytes.append(0x1F) }
            first = false
            Normalizer.append(field, to: &bytes)
        }
        return Array(SHA256.hash(data: bytes))
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
