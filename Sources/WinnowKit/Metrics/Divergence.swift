import Foundation

/// A distribution P against a reference Q over the union of their categories (SPEC section 4).
public struct DivergenceReport: Codable, Sendable, Equatable {
    public struct Category: Codable, Sendable, Equatable {
        public var category: String
        public var count: Int
        public var p: Double
        public var q: Double
        /// Q(c) / P(c): above 1 oversample, below 1 undersample; nil where P(c) = 0.
        @NullEncodable public var factor: Double?
        /// The count at the current total that Q asks for.
        public var targetCount: Int
        enum CodingKeys: String, CodingKey {
            case category, count, p, q, factor
            case targetCount = "target_count"
        }
    }
    public var klPQ: Double
    public var klQP: Double
    public var js: Double
    /// Categories where a zero was replaced by ε to keep KL finite.
    public var smoothed: [String]
    public var categories: [Category]

    enum CodingKeys: String, CodingKey {
        case js, smoothed, categories
        case klPQ = "kl_pq"
        case klQP = "kl_qp"
    }
}

/// KL and JS divergences in bits.
public enum Divergence {
    public static let epsilon = 1e-9

    /// Normalises non-negative weights to probabilities (all zero stays all zero).
    public static func normalize(_ weights: [Double]) -> [Double] {
        // Scaled by the largest first, so that weights near Double.greatestFiniteMagnitude
        // cannot overflow the sum.
        guard let largest = weights.max(), largest > 0, largest.isFinite else { return weights }
        let scaled = weights.map { $0 / largest }
        let total = scaled.reduce(0, +)
        return scaled.map { $0 / total }
    }

    /// KL(P‖Q) in bits; zero Q(x) where P(x) > 0 is replaced by ε and Q renormalised.
    /// Returns the divergence and the indices that needed smoothing.
    public static func kl(_ p: [Double], _ q: [Double]) -> (value: Double, smoothed: [Int]) {
        var smoothed: [Int] = []
        var q = q
        for i in p.indices where p[i] > 0 && q[i] == 0 {
            q[i] = epsilon
            smoothed.append(i)
        }
        if !smoothed.isEmpty { q = normalize(q) }
        var sum = 0.0
        for i in p.indices where p[i] > 0 {
            sum += p[i] * log2(p[i] / q[i])
        }
        return (max(0, sum), smoothed)
    }

    /// Jensen–Shannon divergence in bits, in [0, 1].
    public static func js(_ p: [Double], _ q: [Double]) -> Double {
        let m = zip(p, q).map { ($0 + $1) / 2 }
        let value = 0.5 * kl(p, m).value + 0.5 * kl(q, m).value
        return min(1, max(0, value))
    }

    /// P from `counts` against Q from `reference` (counts or proportions), over their union.
    public static func report(counts: [String: Int], reference: [String: Double], order: [String] = []) -> DivergenceReport {
        var names = order
        for name in (Set(counts.keys).union(reference.keys)).sorted() where !names.contains(name) { names.append(name) }
        let total = counts.values.reduce(0, +)
        let p = normalize(names.map { Double(counts[$0] ?? 0) })
        let q = normalize(names.map { reference[$0] ?? 0 })
        let pq = kl(p, q)
        let qp = kl(q, p)
        let smoothed = Set(pq.smoothed + qp.smoothed).sorted().map { names[$0] }
        let rows = names.indices.map { i in
            DivergenceReport.Category(
                category: names[i], count: counts[names[i]] ?? 0, p: p[i], q: q[i],
                factor: p[i] > 0 ? q[i] / p[i] : nil,
                targetCount: Int((q[i] * Double(total)).rounded()))
        }
        return DivergenceReport(klPQ: pq.value, klQP: qp.value, js: js(p, q), smoothed: smoothed, categories: rows)
    }
}
