import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Reads the WordNet 3.0 database files (Debian's `wordnet-base`) directly: the synonyms of
/// a word, for EDA's synonym replacement and insertion. No Python, no C library.
///
/// The files are mapped (`mmap`), not parsed: a word is found by binary search over the
/// sorted `index.*` and `*.exc` files (as WordNet's own library does), and its synsets are
/// read at their byte offsets in `data.*`. Opening takes under a millisecond (loading the
/// indexes into dictionaries took 0.6–1.5 s) and a lookup tens of microseconds (README,
/// "Augmentation operations", has the figures); answers are cached per word.
public final class WordNet: @unchecked Sendable { // immutable but for `cache`, which `lock` guards
    /// Where Debian's `wordnet-base` puts the database.
    public static let defaultDirectory = "/usr/share/wordnet"

    /// The database folder this reader uses.
    public let directory: String
    private let parts: [Part]
    /// Answers already computed, by lookup key: augmentation asks for the same words again
    /// and again. Emptied when it reaches `cacheLimit` entries.
    private var cache: [String: [String]] = [:]
    private let lock = NSLock()
    static let cacheLimit = 100_000

    /// One syntactic category: its index, data and exception files.
    struct Part: Sendable {
        let pos: PartOfSpeech
        let index: SortedLines
        let data: MappedFile
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
        func load(_ name: String) throws -> MappedFile {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw WinnowError.unreadableInput(path: path, reason: "missing: the WordNet database in \(directory) is incomplete; \(install)")
            }
            do {
                return try MappedFile(path: path)
            } catch {
                throw WinnowError.unreadableInput(path: path, reason: "cannot be read (\(error.reason)); check its permissions, or \(install)")
            }
        }
        var parts: [Part] = []
        for pos in PartOfSpeech.allCases {
            let indexName = "index.\(pos.rawValue)"
            let index = SortedLines(file: try load(indexName))
            guard index.looksLikeWordNetIndex(pos: pos) else {
                throw WinnowError.unreadableInput(
                    path: (directory as NSString).appendingPathComponent(indexName),
                    reason: "is not a WordNet index file (its lines are not `lemma \(pos.letter) …`); \(install)")
            }
            parts.append(Part(pos: pos, index: index, data: try load("data.\(pos.rawValue)"), exceptions: SortedLines(file: try load("\(pos.rawValue).exc"))))
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
        if let known = lock.withLock({ cache[key] }) { return known }
        let result = lookUp(key)
        lock.withLock {
            if cache.count >= WordNet.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = result
        }
        return result
    }

    /// `synonyms(of:)` without the cache.
    func lookUp(_ key: String) -> [String] {
        var lemmas: [String] = []
        var excluded: Set<String> = [key]
        for part in parts {
            let forms = baseForms(of: key, in: part)
            var seenOffsets: Set<Int> = []
            for (form, line) in forms {
                excluded.insert(form)
                for offset in SortedLines.offsets(inIndexLine: line) where seenOffsets.insert(offset).inserted {
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
    func baseForms(of key: String, in part: Part) -> [(form: String, indexLine: Substring)] {
        var candidates = [key]
        let exceptions = part.exceptions.rest(of: key)?.split(separator: " ").map(String.init) ?? []
        if !exceptions.isEmpty {
            candidates += exceptions
        } else if !(part.pos == .noun && (key.hasSuffix("ss") || key.count <= 2)) {
            // morph.c: no detachment for nouns ending in "ss" or of two letters or fewer.
            for (suffix, ending) in part.pos.detachments where key.hasSuffix(suffix) && key.count > suffix.count {
                candidates.append(String(key.dropLast(suffix.count)) + ending)
            }
        }
        var seen: Set<String> = []
        return candidates.compactMap { form in
            guard seen.insert(form).inserted, let line = part.index.rest(of: form) else { return nil }
            return (form, line)
        }
    }

    /// The form a word has in WordNet's index: lower case, spaces as underscores.
    static func lookupKey(_ word: String) -> String {
        var bytes: [UInt8] = []
        var pendingSpace = false
        for byte in word.lowercased().utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !bytes.isEmpty
                continue
            }
            if pendingSpace { bytes.append(0x5F) }
            pendingSpace = false
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A lemma as text: underscores as spaces, the adjective marker ("(a)", "(p)", "(ip)") removed.
    static func display(_ lemma: String) -> String {
        var bytes = Array(lemma.utf8)
        if bytes.last == 0x29, let open = bytes.lastIndex(of: 0x28) { bytes.removeSubrange(open...) }
        for i in bytes.indices where bytes[i] == 0x5F { bytes[i] = 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The words of the synset at byte `offset` of a data file, as written there (case kept,
    /// markers on). Empty when the line there is not that synset (a database whose index and
    /// data files disagree): a wrong synonym is worse than none.
    static func synsetWords(in data: MappedFile, at offset: Int) -> [String] {
        let b = data.bytes
        guard offset >= 0, offset < b.count, offset == 0 || b[offset - 1] == 0x0A else { return [] }
        // synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt …
        var fields = FieldReader(b, from: offset)
        guard let own = fields.next().flatMap({ SortedLines.number($0, radix: 10) }), own == offset,
            fields.next() != nil, fields.next() != nil, let count = fields.next().flatMap({ SortedLines.number($0, radix: 16) })
        else { return [] }
        var words: [String] = []
        for _ in 0..<count {
            guard let word = fields.next(), fields.next() != nil else { return [] }
            words.append(String(decoding: word, as: UTF8.self))
        }
        return words
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
    let file: MappedFile

    /// The line whose first field is `key`, without that field: the rest of the line.
    func rest(of key: String) -> Substring? {
        var key = key
        return key.withUTF8 { needle -> Substring? in
            guard !needle.isEmpty else { return nil }
            let b = file.bytes
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
                let order = SortedLines.compare(UnsafeBufferPointer(rebasing: b[start..<fieldEnd]), needle)
                if order == 0 {
                    let restStart = min(fieldEnd + 1, end)
                    return Substring(String(decoding: UnsafeBufferPointer(rebasing: b[restStart..<end]), as: UTF8.self))
                }
                if order < 0 { lo = end + 1 } else { hi = start }
            }
            return nil
        }
    }

    /// An index line's synset offsets (its last `synset_cnt` fields), given the line after
    /// its lemma; empty when malformed.
    static func offsets(inIndexLine rest: Substring) -> [Int] {
        // pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
        let fields = rest.split(separator: " ")
        guard fields.count >= 2, let count = Int(fields[1]), count > 0, fields.count >= 5 + count else { return [] }
        return fields.suffix(count).compactMap { Int($0) }
    }

    /// Whether the first line that is not a license line reads `lemma POS synset_cnt …` (a
    /// cheap check that a file named index.noun is one).
    func looksLikeWordNetIndex(pos: WordNet.PartOfSpeech) -> Bool {
        let b = file.bytes
        var start = 0
        while start < b.count && b[start] == 0x20 {
            while start < b.count && b[start] != 0x0A { start += 1 }
            start += 1
        }
        guard start < b.count else { return false }
        var fields = FieldReader(b, from: start)
        guard fields.next() != nil, let letter = fields.next(), let count = fields.next() else { return false }
        return Array(letter) == Array(pos.letter.utf8) && SortedLines.number(count, radix: 10) != nil
    }

    /// Byte-wise comparison (C `strcmp` order, as the files are sorted): <0, 0 or >0.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = Swift.min(a.count, b.count)
        var i = 0
        while i < n {
            if a[i] != b[i] { return Int(a[i]) - Int(b[i]) }
            i += 1
        }
        return a.count - b.count
    }

    /// The value of a field of digits in `radix`; nil when it is not one (or is too long).
    static func number(_ field: UnsafeBufferPointer<UInt8>, radix: Int) -> Int? {
        guard !field.isEmpty, field.count <= 12 else { return nil }
        var value = 0
        for byte in field {
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x61...0x66: digit = Int(byte - 0x61) + 10
            case 0x41...0x46: digit = Int(byte - 0x41) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            value = value * radix + digit
        }
        return value
    }
}

/// The space-separated fields of one line of a mapped file, from a given byte on.
struct FieldReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// The next field, or nil at the end of the line.
    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        while position < bytes.count && bytes[position] == 0x20 { position += 1 }
        guard position < bytes.count, bytes[position] != 0x0A else { return nil }
        let start = position
        while position < bytes.count && bytes[position] != 0x20 && bytes[position] != 0x0A { position += 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<position])
    }
}

/// A file mapped read-only into memory (`mmap`): opening WordNet reads nothing, and the pages
/// a lookup touches are read from the page cache on demand. Immutable once made, unmapped
/// when the last reference goes.
final class MappedFile: @unchecked Sendable {
    struct Failure: Error { let reason: String }

    let bytes: UnsafeBufferPointer<UInt8>
    private let mapped: Bool

    init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw Failure(reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size)
        mapped = true
    }

    deinit {
        if mapped, let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
