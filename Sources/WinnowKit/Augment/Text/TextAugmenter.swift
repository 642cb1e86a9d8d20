/// Applies one of EDA's operations (Wei and Zou, 2019) or `typo` to a text. Unlike EDA's
/// reference code nothing is lower-cased or stripped (this is fine-tuning data): the text is
/// cut into words and the runs between them (whitespace, punctuation, emoji), only words
/// change, and every other byte is kept.
///
/// Each variant applies ONE operation, chosen with the seeded generator among the asked
/// operations that can apply to this text (EDA makes each augmented sentence with one
/// operation; choosing only among the applicable ones means a one-word text still gets a
/// `typo` instead of a failed `swap`). `n = max(1, ⌊rate · words⌋)`.
public struct TextAugmenter: Sendable {
    /// The operations a variant is drawn from.
    public let operations: [AugmentOperation]
    /// EDA's α: the fraction of words changed (synonym, insert, swap, typo) or the
    /// probability a word is deleted (delete). Clamped to 0…1.
    public let rate: Double
    /// Where synonyms come from; without it `synonym` and `insert` never apply.
    public let wordNet: WordNet?

    /// An augmenter drawing from `operations` (repeats ignored) at `rate`; `wordNet` may be
    /// nil when neither `synonym` nor `insert` is asked (they then never apply).
    public init(operations: [AugmentOperation], rate: Double, wordNet: WordNet?) {
        var seen: Set<AugmentOperation> = []
        self.operations = operations.filter { seen.insert($0).inserted }
        self.rate = rate.isNaN ? 0 : min(1, max(0, rate))
        self.wordNet = wordNet
    }

    /// EDA's English stop-word list (its reference code's `stop_words`): never replaced by a
    /// synonym nor used as the source of an inserted synonym. Compared lower-cased.
    public static let stopWords: Set<String> = [
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves",
        "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
        "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are",
        "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
        "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
        "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up",
        "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when",
        "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor",
        "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don", "should", "now",
    ]

    /// The number of words an operation touches in a text of `words` words.
    public func count(forWords words: Int) -> Int { max(1, Int((rate * Double(words)).rounded(.down))) }

    /// One augmented variant of `text` and the operations applied. When none of the
    /// operations can apply (no word with a synonym, a single word, …) or the result would
    /// equal the input, the text comes back unchanged with `applied` empty, so the caller can
    /// count it as skipped.
    public func augment<G: RandomNumberGenerator>(_ text: String, using rng: inout G) -> (text: String, applied: [AugmentOperation]) {
        var words = WordSequence(text)
        guard !words.words.isEmpty else { return (text, []) }
        var synonymCache: [String: [String]] = [:]
        func synonyms(_ word: String) -> [String] {
            guard let wordNet, !TextAugmenter.stopWords.contains(word.lowercased()) else { return [] }
            if let known = synonymCache[word] { return known }
            let found = wordNet.synonyms(of: word)
            synonymCache[word] = found
            return found
        }
        let wantsSynonyms = operations.contains(.synonym) || operations.contains(.insert)
        let withSynonyms = wantsSynonyms ? words.words.indices.filter { !synonyms(words.words[$0]).isEmpty } : []
        let distinctWords = Set(words.words).count
        let typoable = words.words.indices.filter { Typo.canEdit(words.words[$0]) }
        let applicable = operations.filter { op in
            switch op {
            case .synonym, .insert: return !withSynonyms.isEmpty
            case .swap: return distinctWords >= 2
            case .delete: return words.words.count >= 2
            case .typo: return !typoable.isEmpty
            }
        }
        guard !applicable.isEmpty else { return (text, []) }
        let op = applicable[RandomDraw.below(applicable.count, using: &rng)]
        let n = count(forWords: words.words.count)
        switch op {
        case .synonym:
            for i in RandomDraw.choose(min(n, withSynonyms.count), from: withSynonyms, using: &rng) {
                let options = synonyms(words.words[i])
                words.words[i] = Casing.carry(from: words.words[i], to: options[RandomDraw.below(options.count, using: &rng)])
            }
        case .insert:
            // Each synonym goes before a word of the text, drawn among its words as they were
            // (the text is rebuilt once, so a long text costs no more than a short one).
            let sources = withSynonyms.map { words.words[$0] }
            var insertions: [(word: String, before: Int)] = []
            for _ in 0..<n {
                let source = sources[RandomDraw.below(sources.count, using: &rng)]
                let options = synonyms(source)
                let synonym = options[RandomDraw.below(options.count, using: &rng)]
                insertions.append((synonym, RandomDraw.below(words.words.count, using: &rng)))
            }
            words.insert(insertions)
        case .swap:
            // n swaps, then one more while they cancel out (a swap of two different words
            // always changes the text, and there are two: `distinctWords >= 2`).
            let original = words.words
            var done = 0
            while done < n || words.words == original {
                let count = words.words.count
                let i = RandomDraw.below(count, using: &rng)
                done += 1
                // A partner that differs from words[i]: a few uniform draws among the
                // others, then the list of those that differ (a text of nearly one word).
                var partner: Int?
                for _ in 0..<8 {
                    var j = RandomDraw.below(count - 1, using: &rng)
                    if j >= i { j += 1 }
                    if words.words[j] != words.words[i] {
                        partner = j
                        break
                    }
                }
                if partner == nil {
                    let others = words.words.indices.filter { words.words[$0] != words.words[i] }
                    if !others.isEmpty { partner = others[RandomDraw.below(others.count, using: &rng)] }
                }
                if let partner { words.words.swapAt(i, partner) }
            }
        case .delete:
            var keep = words.words.indices.map { _ in RandomDraw.unit(using: &rng) >= rate }
            if !keep.contains(true) {
                keep[RandomDraw.below(keep.count, using: &rng)] = true
            } else if !keep.contains(false) {
                keep[RandomDraw.below(keep.count, using: &rng)] = false
            }
            words.keep(keep)
        case .typo:
            for i in RandomDraw.choose(min(n, typoable.count), from: typoable, using: &rng) {
                words.words[i] = Typo.edit(words.words[i], using: &rng)
            }
        }
        let result = words.text
        return result == text ? (text, []) : (result, [op])
    }
}

/// A text cut into words and the runs around them: `separators[k]` comes before `words[k]`,
/// and `separators[words.count]` ends the text, so joining them gives the text back byte for
/// byte. A word is a run of letters and digits (any script), with an apostrophe or hyphen
/// inside it ("don't", "well-known"); everything else (spaces, punctuation, symbols, emoji)
/// is a separator.
struct WordSequence {
    var words: [String] = []
    var separators: [String] = []

    init(_ text: String) {
        let chars = Array(text)
        var separator = ""
        var i = 0
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        while i < chars.count {
            guard isWordCharacter(chars[i]) else {
                separator.append(chars[i])
                i += 1
                continue
            }
            var word = ""
            while i < chars.count {
                if isWordCharacter(chars[i]) {
                    word.append(chars[i])
                    i += 1
                } else if "'’-".contains(chars[i]), i + 1 < chars.count, isWordCharacter(chars[i + 1]) {
                    word.append(chars[i])
                    i += 1
                } else {
                    break
                }
            }
            separators.append(separator)
            words.append(word)
            separator = ""
        }
        separators.append(separator)
    }

    /// The text: separators and words in turn.
    var text: String {
        var out = separators[0]
        for (k, word) in words.enumerated() { out += word + separators[k + 1] }
        return out
    }

    /// Inserts each word before `words[before]` (of the words as they are now), with one
    /// space after it; words inserted before the same word keep their order.
    mutating func insert(_ insertions: [(word: String, before: Int)]) {
        var at = [[String]](repeating: [], count: words.count)
        for insertion in insertions { at[insertion.before].append(insertion.word) }
        var newWords: [String] = []
        var newSeparators: [String] = []
        newWords.reserveCapacity(words.count + insertions.count)
        newSeparators.reserveCapacity(separators.count + insertions.count)
        for (k, word) in words.enumerated() {
            newSeparators.append(separators[k])
            for inserted in at[k] {
                newWords.append(inserted)
                newSeparators.append(" ")
            }
            newWords.append(word)
        }
        newSeparators.append(separators[words.count])
        words = newWords
        separators = newSeparators
    }

    /// Keeps the words marked `true` and drops the others. The runs around a dropped word
    /// merge: whitespace-only runs give way to ones with punctuation ("Hello, big cat" less
    /// "big" is "Hello, cat"); when all are whitespace the first stays. Only words are removed.
    mutating func keep(_ mask: [Bool]) {
        var newWords: [String] = []
        var newSeparators: [String] = []
        var pending: [String] = [separators[0]]
        for (k, word) in words.enumerated() {
            if mask[k] {
                newSeparators.append(WordSequence.merge(pending))
                newWords.append(word)
                pending = []
            }
            pending.append(separators[k + 1])
        }
        newSeparators.append(WordSequence.merge(pending))
        words = newWords
        separators = newSeparators
    }

    static func merge(_ runs: [String]) -> String {
        if runs.count == 1 { return runs[0] }
        let marked = runs.filter { !$0.allSatisfy(\.isWhitespace) }
        return marked.isEmpty ? runs[0] : marked.joined()
    }
}

/// Carries a replaced word's case over to its replacement.
enum Casing {
    /// ALL CAPS (two letters or more) → all caps; Capitalised → Capitalised; otherwise the
    /// replacement as WordNet writes it (proper nouns keep their capitals).
    static func carry(from original: String, to replacement: String) -> String {
        let letters = original.filter(\.isLetter)
        if letters.count >= 2 && letters.allSatisfy(\.isUppercase) { return replacement.uppercased() }
        if let first = original.first, first.isUppercase, let head = replacement.first {
            return head.uppercased() + replacement.dropFirst()
        }
        return replacement
    }
}

/// Character noise: one edit of one of four kinds to an ASCII letter of a word.
enum Typo {
    enum Kind: CaseIterable { case substitute, drop, double, transpose }

    static let rows: [[Character]] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"].map(Array.init)

    /// The keys next to `letter` (lower case) on a QWERTY keyboard: left and right on its
    /// row, and the two touching keys on the rows above and below (the rows are staggered).
    static func neighbours(of letter: Character) -> [Character] {
        guard let r = rows.firstIndex(where: { $0.contains(letter) }), let c = rows[r].firstIndex(of: letter) else { return [] }
        var out: [Character] = []
        func add(_ row: Int, _ col: Int) {
            if rows.indices.contains(row) && rows[row].indices.contains(col) { out.append(rows[row][col]) }
        }
        add(r, c - 1)
        add(r, c + 1)
        add(r - 1, c)
        add(r - 1, c + 1)
        add(r + 1, c - 1)
        add(r + 1, c)
        return out
    }

    static func isASCIILetter(_ c: Character) -> Bool { c.isASCII && c.isLetter }

    /// Whether a word has a letter a typo can touch (an ASCII letter).
    static func canEdit(_ word: String) -> Bool { word.contains(where: isASCIILetter) }

    /// `word` with one edit: an ASCII letter replaced by an adjacent key (its case kept),
    /// dropped (words of two characters or more), doubled, or swapped with a different ASCII
    /// letter next to it. The kind is drawn among those possible, then the place.
    static func edit<G: RandomNumberGenerator>(_ word: String, using rng: inout G) -> String {
        var chars = Array(word)
        let letters = chars.indices.filter { isASCIILetter(chars[$0]) }
        let pairs = chars.indices.dropLast().filter { isASCIILetter(chars[$0]) && isASCIILetter(chars[$0 + 1]) && chars[$0] != chars[$0 + 1] }
        guard !letters.isEmpty else { return word }
        var kinds: [Kind] = [.substitute, .double]
        if chars.count >= 2 { kinds.append(.drop) }
        if !pairs.isEmpty { kinds.append(.transpose) }
        switch kinds[RandomDraw.below(kinds.count, using: &rng)] {
        case .substitute:
            let i = letters[RandomDraw.below(letters.count, using: &rng)]
            let lower = Character(chars[i].lowercased())
            let options = neighbours(of: lower)
            let key = options[RandomDraw.below(options.count, using: &rng)]
            chars[i] = chars[i].isUppercase ? Character(key.uppercased()) : key
        case .drop:
            chars.remove(at: letters[RandomDraw.below(letters.count, using: &rng)])
        case .double:
            let i = letters[RandomDraw.below(letters.count, using: &rng)]
            chars.insert(chars[i], at: i)
        case .transpose:
            let i = pairs[RandomDraw.below(pairs.count, using: &rng)]
            chars.swapAt(i, i + 1)
        }
        return String(chars)
    }
}

/// Draws from a generator with arithmetic of our own, so a seed gives the same choices on
/// every machine and Swift version (the standard library's `random(in:)` and `shuffle`
/// algorithms are not promised to stay the same).
enum RandomDraw {
    /// Uniform in 0..<n (Lemire's multiply-and-reject, unbiased).
    static func below<G: RandomNumberGenerator>(_ n: Int, using rng: inout G) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let (high, low) = rng.next().multipliedFullWidth(by: bound)
            if low >= threshold { return Int(high) }
        }
    }

    /// Uniform in [0, 1) with 53 bits.
    static func unit<G: RandomNumberGenerator>(using rng: inout G) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// `k` distinct elements of `items`, in the order drawn (a partial Fisher–Yates shuffle).
    static func choose<T, G: RandomNumberGenerator>(_ k: Int, from items: [T], using rng: inout G) -> [T] {
        var pool = items
        let k = min(k, pool.count)
        for i in 0..<k { pool.swapAt(i, i + below(pool.count - i, using: &rng)) }
        return Array(pool.prefix(k))
    }
}
