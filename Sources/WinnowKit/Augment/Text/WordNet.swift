import Foundation

/// Reads the WordNet 3.0 database files (Debian's `wordnet-base`) directly: the synonyms of
/// a word, for EDA's synonym replacement and insertion. No Python, no C library.
///
/// The files are mapped, not parsed: a word is found by binary search over the sorted
/// `index.*` and `*.exc` files (as WordNet's own library does), and its synsets are read at
/// their byte offsets in `data.*`. Opening costs a few system calls, a lookup a few dozen
/// line reads (see README, "Augmentation operations", for the figures).
public final class WordNet: Sendable {
    /// Where Debian's `wordnet-base` puts the database.
    public static let defaultDirectory = "/usr/share/wordnet"

    /// The database folder this reader uses.
    public let directory: String
    private let parts: [Part]

    /// One syntactic category: its index, data and exception files.
    struct Part: Sendable {
        let pos: PartOfSpeech
        let index: SortedLines
        let data: Data
        let exceptions: SortedLines
    }

    /// WordNet's four syntactic categories, in the order synonyms are listed.
    enum PartOfSpeech: String, CaseIterable, Sendable {
        case noun, verb, adj, adv

        /// Morphy's rules of detachment (morphy(7WN)): suffix → ending.
        var detachments: [(suffix: String, ending: String)] {
            switch self {
            case .noun:
                return [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")]
            case .verb:
                return [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")]
            case .adj:
                return [("er", ""), ("est", ""), ("er", "e"), ("est", "e")]
            case .adv:
                return []
            }
        }
    }

    /// The files a WordNet database folder must hold.
    static let requiredFiles: [String] = PartOfSpeech.allCases.flatMap { ["index.\($0.rawValue)", "data.\($0.rawValue)", "\($0.rawValue).exc"] }

    /// Opens the database in `directory`. A missing folder, a missing or unreadable file, or
    /// an index that is not WordNet's is an error naming the path and saying how to install it.
    public init(directory: String = WordNet.defaultDirectory) throws {
        self.directory = directory
        let install =
            "install Debian's WordNet 3.0 data with `apt-get install wordnet-base` (it goes to \(WordNet.defaultDirectory)), or give a folder holding WordNet's index.*, data.* and *.exc files"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw WinnowError.unreadableInput(path: directory, reason: "no WordNet database here (the folder does not exist); \(install)")
        }
        guard isDirectory.boolValue else {
            throw WinnowError.unreadableInput(path: directory, reason: "is a file, not a WordNet database folder; \(install)")
        }
        func load(_ name: String) throws -> Data {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw WinnowError.unreadableInput(path: path, reason: "missing: the WordNet database in \(directory) is incomplete; \(install)")
            }
            do {
                return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                throw WinnowError.unreadableInput(path: path, reason: "cannot be read (\(error.localizedDescription)); check its permissions, or \(install)")
            }
        }
        var parts: [Part] = []
        for pos in PartOfSpeech.allCases {
            let indexName = "index.\(pos.rawValue)"
            let index = SortedLines(bytes: try load(indexName))
            guard index.looksLikeWordNetIndex(pos: pos) else {
                throw WinnowError.unreadableInput(
                    path: (directory as NSString).appendingPathComponent(indexName),
                    reason: "is not a WordNet index file (its lines are not `lemma \(pos.letter) …`); \(install)")
            }
            parts.append(Part(pos: pos, index: index, data: try load("data.\(pos.rawValue)"), exceptions: SortedLines(bytes: try load("\(pos.rawValue).exc"))))
        }
        self.parts = parts
    }

    /// The other lemmas of every synset of `word`, in every part of speech (noun, verb,
    /// adjective, adverb; senses in WordNet's order, most frequent first): underscores read
    /// as spaces, adjective markers such as "(a)" removed, deduplicated ignoring case, in that
    /// stable order. The lookup is case-insensitive; an inflected word is looked up by its
    /// base forms (the exception lists, then morphy's rules of detachment), and the word
    /// itself and those base forms are left out of the answer. Empty for an unknown word.
    public func synonyms(of word: String) -> [String] {
        let key = WordNet.lookupKey(word)
        guard !key.isEmpty else { return [] }
        var lemmas: [String] = []
        var excluded: Set<String> = [key]
        for part in parts {
            let forms = baseForms(of: key, in: part)
            excluded.formUnion(forms)
            var seenOffsets: Set<Int> = []
            for form in forms {
                for offset in part.index.offsets(of: form) where seenOffsets.insert(offset).inserted {
                    lemmas.append(contentsOf: WordNet.synsetWords(in: part.data, at: offset))
                }
            }
        }
        var seen: Set<String> = []
        var result: [String] = []
        for lemma in lemmas {
            let clean = WordNet.display(lemma)
            let folded = WordNet.lookupKey(clean)
            guard !excluded.contains(folded), seen.insert(folded).inserted else { continue }
            result.append(clean)
        }
        return result
    }

    /// The forms of `key` that `part`'s index holds: the word itself, then its base forms
    /// from the exception list if it is there, or else from the rules of detachment (as
    /// WordNet's morphy and NLTK's `_morphy`, which EDA's reference code uses, do).
    func baseForms(of key: String, in part: Part) -> [String] {
        var candidates = [key]
        let exceptions = part.exceptions.fields(of: key)
        if !exceptions.isEmpty {
            candidates += exceptions
        } else if !(part.pos == .noun && (key.hasSuffix("ss") || key.count <= 2)) {
            // morph.c: no detachment for nouns ending in "ss" or of two letters or fewer.
            for (suffix, ending) in part.pos.detachments where key.hasSuffix(suffix) && key.count > suffix.count {
                candidates.append(String(key.dropLast(suffix.count)) + ending)
            }
        }
        var seen: Set<String> = []
        return candidates.filter { seen.insert($0).inserted && part.index.contains($0) }
    }

    /// The form a word has in WordNet's index: lower case, spaces as underscores.
    static func lookupKey(_ word: String) -> String {
        word.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: "_")
    }

    /// A lemma as text: underscores as spaces, the adjective marker ("(a)", "(p)", "(ip)") removed.
    static func display(_ lemma: String) -> String {
        var word = lemma
        if word.hasSuffix(")"), let open = word.lastIndex(of: "(") { word = String(word[..<open]) }
        return word.replacingOccurrences(of: "_", with: " ")
    }

    /// The words of the synset at byte `offset` of a data file, as written there (case kept,
    /// markers on). Empty when the line there is not that synset (a database whose index and
    /// data files disagree): a wrong synonym is worse than none.
    static func synsetWords(in data: Data, at offset: Int) -> [String] {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [String] in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard offset >= 0, offset < bytes.count, offset == 0 || bytes[offset - 1] == 0x0A else { return [] }
            var end = offset
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            // synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt …
            let fields = bytes[offset..<end].split(separator: 0x20, maxSplits: 64, omittingEmptySubsequences: true)
            guard fields.count >= 4, let own = Int(String(decoding: fields[0], as: UTF8.self)), own == offset,
                let count = Int(String(decoding: fields[3], as: UTF8.self), radix: 16), fields.count >= 4 + 2 * count
            else { return [] }
            return (0..<count).map { String(decoding: fields[4 + 2 * $0], as: UTF8.self) }
        }
    }
}

extension WordNet.PartOfSpeech {
    /// The letter of the category in the index files' `pos` field.
    var letter: String {
        switch self {
        case .noun: return "n"
        case .verb: return "v"
        case .adj: return "a"
        case .adv: return "r"
        }
    }
}

/// A text file of lines sorted by their first space-separated field, searched in place by
/// binary search (WordNet's `index.*` and `*.exc`; their license lines begin with two spaces,
/// so they sort first and match no key).
struct SortedLines: Sendable {
    let bytes: Data

    /// The line whose first field is `key`, without that field: the rest of the line.
    func rest(of key: String) -> Substring? {
        let needle = Array(key.utf8)
        guard !needle.isEmpty else { return nil }
        return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Substring? in
            let b = raw.bindMemory(to: UInt8.self)
            var lo = 0
            var hi = b.count
            while lo < hi {
                let mid = (lo + hi) / 2
                var start = mid
                while start > 0 && b[start - 1] != 0x0A { start -= 1 }
                var end = mid
                while end < b.count && b[end] != 0x0A { end += 1 }
                var fieldEnd = start
                while fieldEnd < end && b[fieldEnd] != 0x20 { fieldEnd += 1 }
                switch SortedLines.compare(UnsafeBufferPointer(rebasing: b[start..<fieldEnd]), needle) {
                case 0:
                    let restStart = min(fieldEnd + 1, end)
                    return Substring(String(decoding: UnsafeBufferPointer(rebasing: b[restStart..<end]), as: UTF8.self))
                case ..<0: lo = end + 1
                default: hi = start
                }
            }
            return nil
        }
    }

    /// Whether a line has `key` as its first field.
    func contains(_ key: String) -> Bool { rest(of: key) != nil }

    /// The fields after `key` on its line (an exception list's base forms); empty when absent.
    func fields(of key: String) -> [String] {
        rest(of: key)?.split(separator: " ").map(String.init) ?? []
    }

    /// An index line's synset offsets (its last `synset_cnt` fields); empty when absent or malformed.
    func offsets(of key: String) -> [Int] {
        guard let rest = rest(of: key) else { return [] }
        // pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
        let fields = rest.split(separator: " ")
        guard fields.count >= 2, let count = Int(fields[1]), count > 0, fields.count >= 5 + count else { return [] }
        return fields.suffix(count).compactMap { Int($0) }
    }

    /// Whether the first line that is not a license line reads `lemma POS …` (a cheap check
    /// that a file named index.noun is one).
    func looksLikeWordNetIndex(pos: WordNet.PartOfSpeech) -> Bool {
        let text = String(decoding: bytes.prefix(64 * 1024), as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { !$0.hasPrefix(" ") }) else { return false }
        let fields = line.split(separator: " ")
        return fields.count >= 6 && fields[1] == pos.letter && Int(fields[2]) != nil
    }

    /// Byte-wise comparison (C `strcmp` order, as the files are sorted): <0, 0 or >0.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return Int(a[i]) - Int(b[i]) }
        return a.count - b.count
    }
}
