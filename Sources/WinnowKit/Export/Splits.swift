import Foundation

/// Stable stratified splits, free of SQLite. Units (samples, or whole near-duplicate
/// clusters) already assigned keep their split; new units fill each stratum toward the
/// target ratios, in a seeded order, each going to the split furthest below its target.
public enum Splits {
    /// A unit to place: its members, its stratum, an existing split if any member has one.
    public struct Unit: Sendable {
        public var key: String
        public var members: [Int64]
        public var stratum: String
        public var existing: String?
        public init(key: String, members: [Int64], stratum: String, existing: String?) {
            self.key = key
            self.members = members
            self.stratum = stratum
            self.existing = existing
        }
    }

    /// Parses `train=0.8,validation=0.1,test=0.1`; the ratios must sum to 1.
    public static func parse(_ text: String) throws -> [(String, Double)] {
        var result: [(String, Double)] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].isEmpty, let ratio = Double(pieces[1]),
                pieces[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            else {
                throw WinnowError.invalidArgument("--split \(text): expected NAME=RATIO pairs such as train=0.8,validation=0.1,test=0.1 (names of letters, digits, - and _)")
            }
            guard ratio.isFinite, ratio > 0, ratio <= 1 else {
                throw WinnowError.invalidArgument(
                    "--split \(text): the ratio of '\(pieces[0])' is \(pieces[1]); ratios must be > 0 and ≤ 1 (leave a split out rather than give it 0)")
            }
            if result.contains(where: { $0.0 == String(pieces[0]) }) {
                throw WinnowError.invalidArgument("--split \(text): split '\(pieces[0])' is named twice")
            }
            result.append((String(pieces[0]), ratio))
        }
        let total = result.reduce(0) { $0 + $1.1 }
        guard !result.isEmpty, abs(total - 1) < 1e-6 else {
            throw WinnowError.invalidArgument("--split \(text): the ratios add up to \(total), not 1")
        }
        return result
    }

    /// Ratios as a split scheme stores them: `{"train":0.8,"test":0.2}`, in the splits' order.
    static func json(_ ratios: [(String, Double)]) -> String {
        jsonObject(ratios.map { ($0.0, jsonNumber($0.1)) })
    }

    /// The ratios a split scheme stored (`json`), in their order; nil when they cannot be read.
    /// Split names are letters, digits, - and _ (`parse` and `--kfold` make no others).
    static func ratios(json text: String) -> [(String, Double)]? {
        guard text.hasPrefix("{"), text.hasSuffix("}") else { return nil }
        var result: [(String, Double)] = []
        for part in text.dropFirst().dropLast().split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, pieces[0].count > 2, pieces[0].hasPrefix("\""), pieces[0].hasSuffix("\""),
                let ratio = Double(pieces[1])
            else { return nil }
            result.append((String(pieces[0].dropFirst().dropLast()), ratio))
        }
        return result.isEmpty || json(result) != text ? nil : result
    }

    /// The command-line options that give these ratios: `--kfold K` for folds, else `--split …`.
    static func option(_ ratios: [(String, Double)]) -> String {
        let k = ratios.count
        if k >= 2, ratios.enumerated().allSatisfy({ $1.0 == "fold-\($0)" && $1.1 == 1 / Double(k) }) { return "--kfold \(k)" }
        return "--split " + ratios.map { "\($0.0)=\(jsonNumber($0.1))" }.joined(separator: ",")
    }

    /// Places every unit; returns each unit's split, in the order of `units`. The result
    /// does not depend on that order: strata are taken by name, new units by a seeded hash.
    public static func assign(_ units: [Unit], ratios: [(String, Double)], seed: UInt64) -> [String] {
        var result = [String](repeating: ratios.first?.0 ?? "", count: units.count)
        var byStratum: [String: [Int]] = [:]
        for (i, u) in units.enumerated() { byStratum[u.stratum, default: []].append(i) }
        let mixedSeed = MinHash.mix(seed)
        for stratum in byStratum.keys.sorted() {
            let group = byStratum[stratum] ?? []
            var counts: [String: Int] = [:]
            for i in group { if let s = units[i].existing { counts[s, default: 0] += units[i].members.count; result[i] = s } }
            var total = counts.values.reduce(0, +)
            let fresh = group.filter { units[$0].existing == nil }
                .map { (order: MinHash.mix(mixedSeed ^ fnv(units[$0].key)), index: $0) }
                .sorted { $0.order != $1.order ? $0.order < $1.order : units[$0.index].key < units[$1.index].key }
            for (_, i) in fresh {
                total += units[i].members.count
                // The split furthest below its share of the stratum so far.
                var best = ratios[0].0
                var bestDeficit = -Double.infinity
                for (name, ratio) in ratios {
                    let deficit = ratio * Double(total) - Double(counts[name] ?? 0)
                    if deficit > bestDeficit + 1e-9 { best = name; bestDeficit = deficit }
                }
                counts[best, default: 0] += units[i].members.count
                result[i] = best
            }
        }
        return result
    }

    static func fnv(_ s: String) -> UInt64 {
        var h = Lexical.fnvBasis
        for b in s.utf8 { h = (h ^ UInt64(b)) &* Lexical.fnvPrime }
        return h
    }
}
