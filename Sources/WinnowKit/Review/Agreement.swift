import Foundation

/// Inter-reviewer agreement over categorical verdicts, free of SQLite.
public enum Agreement {
    /// Cohen's kappa for two raters: (p_o − p_e) / (1 − p_e) over the items both rated.
    /// nil without items, 1 when both always agree on a single category.
    public static func cohen(_ pairs: [(String, String)]) -> Double? {
        guard !pairs.isEmpty else { return nil }
        let n = Double(pairs.count)
        let observed = Double(pairs.filter { $0.0 == $0.1 }.count) / n
        var a: [String: Double] = [:], b: [String: Double] = [:]
        for (x, y) in pairs { a[x, default: 0] += 1; b[y, default: 0] += 1 }
        let expected = Set(a.keys).union(b.keys).reduce(0.0) { $0 + (a[$1] ?? 0) / n * (b[$1] ?? 0) / n }
        if expected >= 1 { return observed >= 1 ? 1 : 0 }
        return (observed - expected) / (1 - expected)
    }

    /// Fleiss' kappa for items each rated by the same number (≥ 2) of raters.
    public static func fleiss(_ ratings: [[String]]) -> Double? {
        let items = ratings.filter { $0.count >= 2 }
        guard let m = items.first?.count, items.allSatisfy({ $0.count == m }), !items.isEmpty else { return nil }
        let n = Double(items.count), r = Double(m)
        var totals: [String: Double] = [:]
        var pBar = 0.0
        for item in items {
            var counts: [String: Double] = [:]
            for v in item { counts[v, default: 0] += 1; totals[v, default: 0] += 1 }
            pBar += (counts.values.reduce(0) { $0 + $1 * $1 } - r) / (r * (r - 1))
        }
        pBar /= n
        let pe = totals.values.reduce(0) { $0 + pow($1 / (n * r), 2) }
        if pe >= 1 { return pBar >= 1 ? 1 : 0 }
        return (pBar - pe) / (1 - pe)
    }

    /// The share of items whose ratings are all the same.
    public static func raw(_ ratings: [[String]]) -> Double? {
        let items = ratings.filter { $0.count >= 2 }
        guard !items.isEmpty else { return nil }
        return Double(items.filter { Set($0).count == 1 }.count) / Double(items.count)
    }
}
