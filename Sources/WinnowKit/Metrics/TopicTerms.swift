import Foundation

/// Names discovered topics by their top TF-IDF terms: fed one text and its cluster at a
/// time (so a million texts never sit in memory), it scores each term of a cluster by the
/// cluster's mean TF-IDF of that term, the cluster's centroid in TF-IDF space.
///
/// tf(t, s) = count of t in s / terms in s (a long text weighs no more than a short one);
/// idf(t) = ln((1 + N) / (1 + df(t))) + 1 over the N texts (scikit-learn's smoothed idf);
/// score(t, c) = idf(t) · Σ_{s ∈ c} tf(t, s) / |c|. Terms are lower-cased runs of letters and
/// digits holding a letter, at least 2 characters, outside the English stop-word list; a CJK
/// ideograph or kana is a term of its own (as BERT's tokenizer splits them).
public struct TopicTerms: Sendable {
    /// Per cluster: term → Σ tf over its texts.
    private var frequency: [[String: Double]]
    /// Term → texts containing it.
    private var documentFrequency: [String: Int] = [:]
    private var texts: [Int]
    private var total = 0

    /// An accumulator for `clusters` clusters.
    public init(clusters: Int) {
        frequency = Array(repeating: [:], count: clusters)
        texts = Array(repeating: 0, count: clusters)
    }

    /// Counts `text` as one of cluster `cluster`'s texts.
    public mutating func add(_ text: String, cluster: Int) {
        total += 1
        texts[cluster] += 1
        let terms = Self.terms(text)
        guard !terms.isEmpty else { return }
        var counts: [String: Int] = [:]
        for t in terms { counts[t, default: 0] += 1 }
        let length = Double(terms.count)
        for (t, n) in counts {
            frequency[cluster][t, default: 0] += Double(n) / length
            documentFrequency[t, default: 0] += 1
        }
    }

    /// Each cluster's `count` best terms, best first (ties by term, so the result is stable).
    public func top(_ count: Int) -> [[(term: String, score: Double)]] {
        let n = Double(total)
        return frequency.indices.map { c in
            guard texts[c] > 0 else { return [] }
            let size = Double(texts[c])
            let scored = frequency[c].map { term, tf -> (term: String, score: Double) in
                let idf = log((1 + n) / (1 + Double(documentFrequency[term] ?? 0))) + 1
                return (term, idf * tf / size)
            }
            return Array(scored.sorted { $0.score > $1.score || ($0.score == $1.score && $0.term < $1.term) }.prefix(count))
        }
    }

    /// Category names from each cluster's terms (best first): the first `words` terms joined
    /// by "-" ("refund-order-days"); a name another cluster took already gets that cluster's
    /// next terms until it differs, then a number ("-2"); a cluster without terms is "topic-N"
    /// (N its position from 1). Names are unique.
    public static func names(_ terms: [[String]], words: Int = 3) -> [String] {
        var used = Set<String>()
        var result: [String] = []
        for (position, list) in terms.enumerated() {
            var name: String
            if list.isEmpty {
                name = "topic-\(position + 1)"
            } else {
                var take = min(words, list.count)
                name = list.prefix(take).joined(separator: "-")
                while used.contains(name) && take < list.count {
                    take += 1
                    name = list.prefix(take).joined(separator: "-")
                }
            }
            if used.contains(name) {
                var n = 2
                while used.contains("\(name)-\(n)") { n += 1 }
                name = "\(name)-\(n)"
            }
            used.insert(name)
            result.append(name)
        }
        return result
    }

    /// The terms of `text`, in order (see the type's comment).
    public static func terms(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var hasLetter = false
        func flush() {
            if hasLetter && current.count >= 2 && current.count <= maxTermLength && !TextAugmenter.stopWords.contains(current) {
                out.append(current)
            }
            current = ""
            hasLetter = false
        }
        for ch in text.lowercased() {
            if let scalar = ch.unicodeScalars.first, ch.unicodeScalars.count == 1, isCJK(scalar) {
                flush()
                out.append(String(ch))
            } else if ch.isLetter || ch.isNumber {
                current.append(ch)
                if ch.isLetter { hasLetter = true }
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// Longer runs (hashes, base64, URLs without separators) never name a topic.
    static let maxTermLength = 24

    private static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true
        default: return false
        }
    }
}
