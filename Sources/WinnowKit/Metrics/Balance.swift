import Foundation

/// Class weights and imbalance of labels (SPEC section 4).
public enum Balance {
    /// The three class-weight variants for counts n_k in label-index order.
    public struct Weights: Codable, Sendable, Equatable {
        /// N / n_k — the weights for `CrossEntropyLoss(weight=…)`.
        public var inverse: [Double]
        /// N / (K · n_k) — scikit-learn's "balanced".
        public var balanced: [Double]
        /// inverse / sum(inverse) — sums to 1.
        public var normalized: [Double]
    }

    /// Class weights; a label with no samples gets weight 0 (it cannot be weighted).
    public static func weights(_ counts: [Int]) -> Weights {
        let n = Double(counts.reduce(0, +))
        let k = Double(counts.count)
        let inverse = counts.map { $0 > 0 ? n / Double($0) : 0 }
        let balanced = counts.map { $0 > 0 ? n / (k * Double($0)) : 0 }
        let sum = inverse.reduce(0, +)
        return Weights(inverse: inverse, balanced: balanced, normalized: inverse.map { sum > 0 ? $0 / sum : 0 })
    }

    /// max n_k / min n_k over labels with samples; nil with none.
    public static func imbalanceRatio(_ counts: [Int]) -> Double? {
        let present = counts.filter { $0 > 0 }
        guard let max = present.max(), let min = present.min() else { return nil }
        return Double(max) / Double(min)
    }
}

/// Diversity of a categorical distribution (SPEC section 4).
public struct DiversityReport: Codable, Sendable, Equatable {
    /// Shannon entropy H in bits.
    public var entropy: Double
    /// H / log2 |C|; nil when |C| < 2.
    @NullEncodable public var evenness: Double?
    /// 2^H.
    public var effectiveNumber: Double
    /// 1 − Σ p².
    public var giniSimpson: Double

    enum CodingKeys: String, CodingKey {
        case entropy, evenness
        case effectiveNumber = "effective_number"
        case giniSimpson = "gini_simpson"
    }

    /// Diversity of `counts` over `categories` categories (the taxonomy's, or the observed ones).
    public init(counts: [Int], categories: Int) {
        let p = Divergence.normalize(counts.map(Double.init))
        let h = -p.filter { $0 > 0 }.reduce(0) { $0 + $1 * log2($1) }
        entropy = h
        evenness = categories >= 2 ? h / log2(Double(categories)) : nil
        effectiveNumber = pow(2, h)
        giniSimpson = p.isEmpty || p.allSatisfy({ $0 == 0 }) ? 0 : 1 - p.reduce(0) { $0 + $1 * $1 }
    }
}

/// Word-level lexical figures over texts.
public enum Lexical {
    /// distinct-n: unique word n-grams / total word n-grams, accumulated text by text.
    public struct Distinct {
        private var unigrams = Set<String>()
        private var bigrams = Set<String>()
        private(set) var totalUnigrams = 0
        private(set) var totalBigrams = 0
        public init() {}

        public mutating func add(_ words: [Substring]) {
            totalUnigrams += words.count
            for w in words { unigrams.insert(String(w)) }
            if words.count >= 2 {
                totalBigrams += words.count - 1
                for i in 1..<words.count { bigrams.insert(words[i - 1] + " " + words[i]) }
            }
        }

        public var distinct1: Double { totalUnigrams > 0 ? Double(unigrams.count) / Double(totalUnigrams) : 0 }
        public var distinct2: Double { totalBigrams > 0 ? Double(bigrams.count) / Double(totalBigrams) : 0 }
    }

    /// Lower-cased words: runs of letters, digits and apostrophes.
    public static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "'") }
    }

    static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    /// FNV-1a hashes of the words of `text` (the same words as `words`), computed without
    /// building strings: a byte-level pass for ASCII text, the Unicode path otherwise.
    public static func wordHashes(_ text: String) -> [UInt64] {
        var text = text
        return text.withUTF8 { bytes -> [UInt64] in
            if bytes.contains(where: { $0 >= 0x80 }) {
                return words(String(decoding: bytes, as: UTF8.self)).map { word in
                    var h = fnvBasis
                    for byte in word.utf8 { h = (h ^ UInt64(byte)) &* fnvPrime }
                    return h
                }
            }
            var out: [UInt64] = []
            out.reserveCapacity(bytes.count / 5)
            var h = fnvBasis
            var inWord = false
            for b in bytes {
                let lower = (b >= 65 && b <= 90) ? b | 0x20 : b
                if (lower >= 97 && lower <= 122) || (b >= 48 && b <= 57) || b == 39 {
                    if !inWord { h = fnvBasis; inWord = true }
                    h = (h ^ UInt64(lower)) &* fnvPrime
                } else if inWord {
                    out.append(h)
                    inWord = false
                }
            }
            if inWord { out.append(h) }
            return out
        }
    }

    /// The number of words of `text` (as `words` counts them), fast for ASCII text.
    public static func wordCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes -> Int in
            if bytes.contains(where: { $0 >= 0x80 }) { return words(String(decoding: bytes, as: UTF8.self)).count }
            var count = 0
            var inWord = false
            for b in bytes {
                let lower = b | 0x20
                if (lower >= 97 && lower <= 122) || (b >= 48 && b <= 57) || b == 39 {
                    if !inWord { count += 1; inWord = true }
                } else {
                    inWord = false
                }
            }
            return count
        }
    }

    /// The value at quantile q (nearest rank) of sorted values.
    public static func quantile(_ sorted: [Int], _ q: Double) -> Int {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
