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
            if hay[i] == first && matches(hay, at: i) { return true }
            i += 1
        }
        return false
    }

    /// True when the keyword occurs at byte `i` of `hay` with suitable edges.
    func matches(_ hay: [UInt8], at i: Int) -> Bool {
        let n = bytes.count
        guard i + n <= hay.count, hay[i] == bytes[0], Keyword.equal(hay, i, bytes) else { return false }
        let leftOK = !needsLeftEdge || i == 0 || !Keyword.isWord(scalarEndingAt: i, in: hay)
        let rightOK = !needsRightEdge || i + n == hay.count || !Keyword.isWord(scalarAt: i + n, in: hay)
        return leftOK && rightOK
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

    /// The scalar of a slice holding one scalar's valid UTF-8 (no String is built).
    private static func decode(_ slice: ArraySlice<UInt8>) -> Unicode.Scalar? {
        var i = slice.startIndex
        let lead = UInt32(slice[i])
        var value: UInt32
        switch slice.count {
        case 1: return Unicode.Scalar(UInt8(lead))
        case 2: value = lead & 0x1F
        case 3: value = lead & 0x0F
        default: value = lead & 0x07
        }
        i += 1
        while i < slice.endIndex {
            value = value << 6 | UInt32(slice[i] & 0x3F)
            i += 1
        }
        return Unicode.Scalar(value)
    }
}

/// All keywords of a rules file, indexed so that one pass over a text finds which of them
/// occur in it: a keyword that starts with a word character can only match where a word of
/// the text starts, and that word must equal the keyword's leading word, so such keywords
/// are looked up by the text's words (a hash per word); only keywords that start with
/// punctuation or a symbol are searched for across the text. Its cost grows with the text,
/// hardly with the number of keywords.
public struct KeywordSet: Sendable {
    public private(set) var keywords: [Keyword] = []
    /// FNV-1a hash of a keyword's leading word → the keywords with that leading word.
    private var byLeadingWord: [UInt64: [Int]] = [:]
    /// Keywords starting with punctuation or a symbol.
    private var unanchored: [Int] = []

    public init() {}

    /// Adds `keyword`; returns its index in `keywords`.
    public mutating func add(_ keyword: Keyword) -> Int {
        let index = keywords.count
        keywords.append(keyword)
        if keyword.needsLeftEdge {
            let end = KeywordSet.wordEnd(keyword.bytes, from: 0)
            byLeadingWord[KeywordSet.hash(keyword.bytes, 0, end), default: []].append(index)
        } else {
            unanchored.append(index)
        }
        return index
    }

    /// For each keyword, whether it occurs in `text` (at suitable word edges).
    public func matches(_ text: FoldedText) -> [Bool] {
        var found = [Bool](repeating: false, count: keywords.count)
        let bytes = text.bytes
        if !byLeadingWord.isEmpty {
            var i = 0
            var previousIsWord = false
            while i < bytes.count {
                let length = KeywordSet.scalarLength(bytes, i)
                let isWord = Keyword.isWord(scalarAt: i, in: bytes)
                if isWord && !previousIsWord {
                    let end = KeywordSet.wordEnd(bytes, from: i)
                    if let candidates = byLeadingWord[KeywordSet.hash(bytes, i, end)] {
                        for k in candidates where !found[k] && keywords[k].matches(bytes, at: i) { found[k] = true }
                    }
                    previousIsWord = true
                    i = end
                    continue
                }
                previousIsWord = isWord
                i += length
            }
        }
        for k in unanchored where keywords[k].matches(text) { found[k] = true }
        return found
    }

    static func scalarLength(_ bytes: [UInt8], _ i: Int) -> Int {
        var end = i + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        return end - i
    }

    /// The end of the run of word characters starting at `from`.
    static func wordEnd(_ bytes: [UInt8], from: Int) -> Int {
        var i = from
        while i < bytes.count && Keyword.isWord(scalarAt: i, in: bytes) { i += scalarLength(bytes, i) }
        return i
    }

    static func hash(_ bytes: [UInt8], _ from: Int, _ to: Int) -> UInt64 {
        var h = Lexical.fnvBasis
        for i in from..<to { h = (h ^ UInt64(bytes[i])) &* Lexical.fnvPrime }
        return h
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
