import Foundation

/// BERT's tokenizer as Hugging Face's (fast) `BertTokenizer` computes it for a
/// sentence-transformers folder: special tokens written in the text kept whole, then
/// BasicTokenizer (clean the text: drop control characters, whitespace to spaces; CJK
/// ideographs split apart; accents stripped and lower-cased as `tokenizer_config.json` says;
/// split on whitespace and punctuation), then greedy longest-match WordPiece with `##`
/// continuations (a word over 100 characters, or one with no match, is `[UNK]`), between
/// `[CLS]` and `[SEP]`. Pure: no SQLite, no model weights.
public struct WordPieceTokenizer: Sendable {
    /// Vocabulary size (ids are 0..<size).
    public let vocabularySize: Int
    public let clsID: Int32
    public let sepID: Int32
    public let unknownID: Int32
    /// `do_lower_case`.
    public let lowercases: Bool
    /// `strip_accents` (null: as `do_lower_case`).
    public let stripsAccents: Bool
    /// `tokenize_chinese_chars`.
    public let splitsCJK: Bool
    /// Words longer than this (in Unicode scalars) are `[UNK]`.
    public let maxCharactersPerWord = 100

    /// Word-initial pieces and `##` continuations, each as a trie of Unicode scalars.
    let starts: Trie
    let continuations: Trie
    /// Tokens matched in the raw text before normalisation (`[CLS]`, `[SEP]`, `[MASK]`, …), longest first.
    let specials: [(scalars: [Unicode.Scalar], id: Int32)]

    /// Reads `vocab.txt` (one token per line; the id is the line number) and
    /// `tokenizer_config.json` (casing, accents, CJK, special token names; defaults are
    /// BERT's) in `folder`; `tokenizer.json`'s added tokens, when present, are the special
    /// tokens kept whole.
    public init(folder: URL) throws {
        let vocabURL = folder.appendingPathComponent("vocab.txt")
        guard let data = try? Data(contentsOf: vocabURL) else {
            throw WinnowError.unreadableInput(
                path: vocabURL.path,
                reason: "the model folder has no readable vocab.txt (a BERT WordPiece vocabulary); point --model or WINNOW_MODEL at a sentence-transformers folder")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw WinnowError.unreadableInput(path: vocabURL.path, reason: "vocab.txt is not UTF-8 text")
        }
        // Split by scalars: as characters, "\r\n" is one, and a mark after a newline joins nothing but is risky to rely on.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(String.UnicodeScalarView(line.last == "\r" ? line.dropLast() : line))
        }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw WinnowError.unreadableInput(path: vocabURL.path, reason: "vocab.txt is empty") }

        let config = try Self.readJSON(folder.appendingPathComponent("tokenizer_config.json")) ?? [:]
        func name(_ key: String, _ fallback: String) -> String {
            if let s = config[key] as? String { return s }
            if let d = config[key] as? [String: Any], let s = d["content"] as? String { return s }
            return fallback
        }
        lowercases = config["do_lower_case"] as? Bool ?? true
        stripsAccents = config["strip_accents"] as? Bool ?? lowercases
        splitsCJK = config["tokenize_chinese_chars"] as? Bool ?? true

        var ids: [String: Int32] = [:]
        var starts = Trie(), continuations = Trie()
        for (index, token) in lines.enumerated() {
            let id = Int32(index)
            if ids[token] == nil { ids[token] = id }
            // By scalars: `hasPrefix` compares characters, and "##ि" is "#" + "#ि" as characters.
            if token.unicodeScalars.count > 2 && token.unicodeScalars.starts(with: "##".unicodeScalars) {
                continuations.insert(token.unicodeScalars.dropFirst(2), id: id)
            }
            starts.insert(token.unicodeScalars[...], id: id)
        }
        self.starts = starts
        self.continuations = continuations
        vocabularySize = lines.count
        func id(_ token: String, path: URL) throws -> Int32 {
            guard let id = lines.firstIndex(of: token) else {
                throw WinnowError.unreadableInput(path: path.path, reason: "the vocabulary has no \(token) token, which a BERT tokenizer needs")
            }
            return Int32(id)
        }
        let cls = name("cls_token", "[CLS]"), sep = name("sep_token", "[SEP]"), unk = name("unk_token", "[UNK]")
        clsID = try id(cls, path: vocabURL)
        sepID = try id(sep, path: vocabURL)
        unknownID = try id(unk, path: vocabURL)

        var specialNames = [cls, sep, unk, name("pad_token", "[PAD]"), name("mask_token", "[MASK]")]
        if let full = try Self.readJSON(folder.appendingPathComponent("tokenizer.json")), let added = full["added_tokens"] as? [[String: Any]] {
            specialNames += added.compactMap { $0["content"] as? String }
        }
        var specials: [(scalars: [Unicode.Scalar], id: Int32)] = []
        for special in Set(specialNames) {
            guard let index = lines.firstIndex(of: special), !special.isEmpty else { continue }
            specials.append((Array(special.unicodeScalars), Int32(index)))
        }
        self.specials = specials.sorted { $0.scalars.count > $1.scalars.count }
    }

    /// Token ids of `text`: `[CLS]`, the text's pieces (the first `maxTokens` − 2 of them),
    /// `[SEP]`. `maxTokens` below 2 is taken as 2.
    public func encode(_ text: String, maxTokens: Int) -> [Int32] {
        let budget = max(maxTokens, 2) - 2
        var out: [Int32] = [clsID]
        out.reserveCapacity(min(budget, text.utf8.count) + 2)
        var pending: [Unicode.Scalar] = []
        func flush() {
            if !pending.isEmpty, out.count - 1 < budget { pieces(of: pending, into: &out, budget: budget) }
            pending.removeAll(keepingCapacity: true)
        }
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count, out.count - 1 < budget {
            if let special = special(at: i, in: scalars) {
                flush()
                if out.count - 1 < budget { out.append(special.id) }
                i += special.length
            } else {
                pending.append(scalars[i])
                i += 1
            }
        }
        flush()
        out.append(sepID)
        return out
    }

    /// The special token starting at `i`, longest first.
    private func special(at i: Int, in scalars: [Unicode.Scalar]) -> (id: Int32, length: Int)? {
        for special in specials where special.scalars.count <= scalars.count - i && special.scalars[0] == scalars[i] {
            var same = true
            for k in 1..<special.scalars.count where special.scalars[k] != scalars[i + k] {
                same = false
                break
            }
            if same { return (special.id, special.scalars.count) }
        }
        return nil
    }

    /// Normalises `raw` (text between special tokens), splits it into words and appends their pieces.
    private func pieces(of raw: [Unicode.Scalar], into out: inout [Int32], budget: Int) {
        // Clean: drop NUL, U+FFFD and control/format/unassigned/private characters; whitespace
        // becomes a space. CJK ideographs get spaces around them.
        var cleaned = String.UnicodeScalarView()
        for scalar in raw {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if scalar.properties.isWhitespace {
                cleaned.append(" ")
                continue
            }
            if splitsCJK && Self.isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(cleaned.count)
        let decomposed = stripsAccents ? String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars : cleaned
        for scalar in decomposed {
            if stripsAccents && scalar.properties.generalCategory == .nonspacingMark { continue }
            if lowercases && scalar.properties.changesWhenLowercased {
                normalized.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                normalized.append(scalar)
            }
        }
        // Pre-tokenise: whitespace separates words, each punctuation character is a word.
        var start = 0
        var i = 0
        while i <= normalized.count {
            if i == normalized.count || normalized[i].properties.isWhitespace {
                if i > start { word(normalized[start..<i], into: &out, budget: budget) }
                start = i + 1
            } else if Self.isPunctuation(normalized[i]) {
                if i > start { word(normalized[start..<i], into: &out, budget: budget) }
                word(normalized[i...i], into: &out, budget: budget)
                start = i + 1
            }
            if out.count - 1 >= budget { return }
            i += 1
        }
    }

    /// Appends the WordPiece pieces of one word: greedy longest match, `[UNK]` for the whole
    /// word when some part matches nothing or it is too long.
    private func word(_ word: ArraySlice<Unicode.Scalar>, into out: inout [Int32], budget: Int) {
        guard out.count - 1 < budget else { return }
        guard word.count <= maxCharactersPerWord else {
            out.append(unknownID)
            return
        }
        var found: [Int32] = []
        var start = word.startIndex
        while start < word.endIndex {
            guard let (id, length) = (start == word.startIndex ? starts : continuations).longestMatch(word[start...]) else {
                out.append(unknownID)
                return
            }
            found.append(id)
            start += length
        }
        out.append(contentsOf: found.prefix(budget - (out.count - 1)))
    }

    /// General category C (control, format, surrogate, private use, unassigned), except tab,
    /// newline and carriage return, which are whitespace.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation and symbols (`$`, `+`, `<`, `^`, `` ` ``, `|`, `~`, …) or general category P.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT splits character by character (not kana or hangul).
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    private static func readJSON(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw WinnowError.unreadableInput(path: url.path, reason: "not a JSON object; the model folder's tokenizer files are damaged")
        }
        return dict
    }
}

/// Vocabulary entries as a trie over Unicode scalars (exact scalars, no canonical
/// equivalence, as the reference compares bytes), for greedy longest-prefix matching.
struct Trie: Sendable {
    /// (node << 21 | scalar) → child node.
    private var children: [UInt64: Int32] = [:]
    /// Token id ending at each node, or -1.
    private var ids: [Int32] = [-1]

    mutating func insert<S: Collection>(_ scalars: S, id: Int32) where S.Element == Unicode.Scalar {
        var node: Int32 = 0
        for scalar in scalars {
            let key = UInt64(node) << 21 | UInt64(scalar.value)
            if let child = children[key] {
                node = child
            } else {
                let child = Int32(ids.count)
                ids.append(-1)
                children[key] = child
                node = child
            }
        }
        if ids[Int(node)] < 0 { ids[Int(node)] = id }
    }

    /// The id and length of the longest entry that `scalars` starts with.
    func longestMatch(_ scalars: ArraySlice<Unicode.Scalar>) -> (id: Int32, length: Int)? {
        var node: Int32 = 0
        var best: (id: Int32, length: Int)? = nil
        var length = 0
        for scalar in scalars {
            guard let child = children[UInt64(node) << 21 | UInt64(scalar.value)] else { break }
            node = child
            length += 1
            let id = ids[Int(node)]
            if id >= 0 { best = (id, length) }
        }
        return best
    }
}
