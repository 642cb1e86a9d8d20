import Foundation

/// A rule keyword as it is matched (`winnow annotate --rules`): the words as written, ignoring
/// case, with each run of white space standing for any run of white space.
///
/// A keyword matches where it stands at word edges that suit it: an end of the keyword that is
/// a word character (a letter, digit, combining mark or `_`) needs a neighbour in the text that
/// is not one (or the text's start or end); an end that is punctuation or a symbol needs
/// nothing. So `c++` matches "c++ code" and "C++11" but not "abc++"; `node.js` matches "Node.js."
/// and `£1.50` matches "only £1.50!"; `library` does not match inside `LD_LIBRARY_PATH`, and
/// `interest rate` does not match "interest rates".
public struct Keyword: Sendable, Equatable {
    /// The keyword as written in the rules file.
    public let written: String
    /// The folded form's UTF-8 (lower-cased, white space runs folded to one space, trimmed).
    let bytes: [UInt8]
    /// Whether the keyword's first / last character is a word character, so that the text's
    /// neighbour there must not be one.
    let needsLeftEdge: Bool
    let needsRightEdge: Bool

    /// The keyword for `written`, or nil when nothing of it is left to match (empty or only white space).
    public init?(_ written: String) {
        let folded = FoldedText(written.precomposedStringWithCanonicalMapping).bytes
        guard !folded.isEmpty else { return nil }
        self.written = written
        self.bytes = folded
        needsLeftEdge = Keyword.isWord(scalarAt: 0, in: folded)
        needsRightEdge = Keyword.isWord(scalarEndingAt: folded.count, in: folded)
    }

    /// True when the keyword occurs in `text` at suitable word edges.
    public func matches(_ text: FoldedText) -> Bool {
        let hay = text.bytes, needle = bytes
        let n = needle.count
        guard hay.count >= n else { return false }
        let first = needle[0]
        var i = 0
        let last = hay.count - n
        while i <= last {
            if hay[i] == first && Keyword.equal(hay, i, needle) {
                let leftOK = !needsLeftEdge || i == 0 || !Keyword.isWord(scalarEndingAt: i, in: hay)
                let rightOK = !needsRightEdge || i + n == hay.count || !Keyword.isWord(scalarAt: i + n, in: hay)
                if leftOK && rightOK { return true }
            }
            i += 1
        }
        return false
    }

    private static func equal(_ hay: [UInt8], _ at: Int, _ needle: [UInt8]) -> Bool {
        var k = 1
        while k < needle.count {
            if hay[at + k] != needle[k] { return false }
            k += 1
        }
        return true
    }

    /// A word character: a letter, digit or other number, combining mark, or `_`.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        let p = scalar.properties
        if p.isAlphabetic || p.numericType != nil { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Whether the scalar starting at byte `index` of valid UTF-8 `bytes` is a word character.
    static func isWord(scalarAt index: Int, in bytes: [UInt8]) -> Bool {
        guard index < bytes.count else { return false }
        var end = index + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        return decode(bytes[index..<end]).map(isWord) ?? false
    }

    /// Whether the scalar ending just before byte `index` is a word character.
    static func isWord(scalarEndingAt index: Int, in bytes: [UInt8]) -> Bool {
        guard index > 0 else { return false }
        var start = index - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return decode(bytes[start..<index]).map(isWord) ?? false
    }

    private static func decode(_ slice: ArraySlice<UInt8>) -> Unicode.Scalar? {
        if slice.count == 1 { return Unicode.Scalar(slice.first!) }
        return String(decoding: slice, as: UTF8.self).unicodeScalars.first
    }
}

/// A text prepared once for matching all keywords against it: lower-cased, each run of white
/// space (line breaks included) folded to one space, leading and trailing space trimmed.
public struct FoldedText: Sendable {
    let bytes: [UInt8]

    public init(_ text: String) {
        var text = text
        let ascii = text.withUTF8 { raw in raw.allSatisfy { $0 < 0x80 } }
        var out: [UInt8] = []
        if ascii {
            // The common case, byte by byte: no String is built.
            text.withUTF8 { raw in
                out.reserveCapacity(raw.count)
                var pendingSpace = false
                for b in raw {
                    if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                        pendingSpace = !out.isEmpty
                        continue
                    }
                    if pendingSpace { out.append(0x20); pendingSpace = false }
                    out.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
                }
            }
        } else {
            var pendingSpace = false
            var folded = String.UnicodeScalarView()
            for scalar in text.lowercased().unicodeScalars {
                if scalar.properties.isWhitespace {
                    pendingSpace = !folded.isEmpty
                    continue
                }
                if pendingSpace { folded.append(" "); pendingSpace = false }
                folded.append(scalar)
            }
            out = Array(String(folded).utf8)
        }
        bytes = out
    }
}
