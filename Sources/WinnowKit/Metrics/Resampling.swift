import Foundation

/// How a split is moved toward a reference distribution Q (`export --strategy`).
public enum ResampleStrategy: String, Codable, Sendable, CaseIterable {
    /// Repeat samples of under-represented categories; never drop one.
    case over
    /// Drop samples of over-represented categories; never repeat one.
    case under
    /// Repeat and drop to reach a given total (`--size`, default the split's size).
    case both
}

/// Why a category's count after resampling is not the count Q asks for.
public enum ResampleShortfallReason: String, Codable, Sendable {
    /// Reaching Q needs more copies of each sample than `--max-copies` allows.
    case maxCopies = "max-copies"
    /// Q asks for samples of a category that has none to copy.
    case empty
    /// Q gives the category no mass, but `over` never drops a sample, so it stays as it was.
    case notInReference = "not-in-reference"
    /// Q gives the category no mass, so `under`/`both` drop all of it (or `--weights` gives it weight 0).
    case droppedNotInReference = "dropped-not-in-reference"
}

/// One category's plan: its count before, the count Q asks for, the count reached, the factor.
public struct ResampleTarget: Codable, Sendable, Equatable {
    public var name: String
    /// Samples of the category before resampling.
    public var before: Int
    /// The count Q asks for at the plan's total (largest remainder, so the targets sum to it).
    public var target: Int
    /// The count after resampling: `target`, unless a shortfall says why not.
    public var after: Int
    /// after / before (nil for an empty category).
    public var factor: Double?
    /// Why `after` differs from `target` (nil when it does not).
    public var shortfall: ResampleShortfallReason?

    enum CodingKeys: String, CodingKey { case name, before, target, after, factor, shortfall }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(before, forKey: .before)
        try container.encode(target, forKey: .target)
        try container.encode(after, forKey: .after)
        try container.encode(factor, forKey: .factor)
        try container.encode(shortfall, forKey: .shortfall)
    }
}

/// A category that cannot reach the count Q asks for, and why.
public struct ResampleShortfall: Codable, Sendable, Equatable {
    public var category: String
    public var target: Int
    public var reached: Int
    public var reason: ResampleShortfallReason

    /// One line for a warning: what is short, by how much, and what to do.
    public var message: String {
        switch reason {
        case .maxCopies:
            return "'\(category)' reaches \(reached) of the \(target) samples Q asks for: --max-copies caps its repetition (raise --max-copies, or augment the category)"
        case .empty:
            return "'\(category)' has no samples to copy, so it stays at 0 of the \(target) Q asks for (import or augment samples of it)"
        case .notInReference:
            return "'\(category)' is not in the reference, but --strategy over never drops, so its \(reached) samples stay (use --strategy under or both to drop them)"
        case .droppedNotInReference:
            return "'\(category)' is not in the reference (Q gives it no share), so all of its samples are dropped or weighted 0 (give it a share in --to to keep it)"
        }
    }
}

/// The counts per category before and after resampling a split, with the divergences to Q.
public struct ResamplePlan: Codable, Sendable, Equatable {
    public var strategy: ResampleStrategy
    /// Q as proportions over `categories`' names (from the reference, or n^(1/T)).
    public var q: [String: Double]
    public var categories: [ResampleTarget]
    /// Samples with a category before resampling.
    public var totalBefore: Int
    /// The total the targets sum to (what Q asks for).
    public var total: Int
    /// Samples with a category after resampling (`total` less the shortfalls).
    public var totalAfter: Int
    public var shortfalls: [ResampleShortfall]
    public var before: DivergenceReport
    public var after: DivergenceReport

    enum CodingKeys: String, CodingKey {
        case strategy, q, categories, total, shortfalls, before, after
        case totalBefore = "total_before"
        case totalAfter = "total_after"
    }

    /// The target of a category (nil if the plan does not know it).
    public func category(_ name: String) -> ResampleTarget? { categories.first { $0.name == name } }
}

/// Resampling math (no store): how many samples of each category a split keeps or repeats so
/// that its distribution matches Q, and which samples those are.
public enum Resampling {
    /// Plans a resampling of `counts` toward `reference` (counts or proportions), or, with
    /// `temperature` T, toward Q(c) ∝ n_c^(1/T) over the categories present (reference ignored).
    /// With neither, Q is uniform over the categories. Categories are listed in `order`, then
    /// the rest sorted by name.
    ///
    /// - `over`: the smallest total at which no category is below its count; nothing dropped.
    /// - `under`: the largest total at which no category is above its count; nothing repeated.
    /// - `both`: `size` (default: the current total), repeating and dropping as needed.
    ///
    /// `size` is used by `both` only. `maxCopies` caps a category at `maxCopies` × its count
    /// (a cap at or above the target is no cap). Targets are Q × total, rounded by largest
    /// remainder (ties to the earlier category). A total beyond `maxTotal` (extreme shares, a
    /// huge size) is clamped to it, so nothing overflows; callers refuse such plans.
    public static func plan(
        counts: [String: Int], order: [String], reference: [String: Double]?, temperature: Double?,
        strategy: ResampleStrategy, size: Int?, maxCopies: Int?
    ) -> ResamplePlan {
        var names = order
        var known = Set(order)
        let referenceNames: [String] = temperature == nil ? (reference.map { Array($0.keys) } ?? []) : []
        let extra = Set(counts.keys).union(referenceNames).subtracting(known).sorted()
        for name in extra where known.insert(name).inserted { names.append(name) }
        let n = names.map { max(0, counts[$0] ?? 0) }
        let weights: [Double]
        if let temperature, temperature > 0 {
            // n^(1/T) scaled by the largest count's, in log space: a small T would overflow
            // pow to infinity (and infinities cannot be normalised).
            let top = log(Double(max(1, n.max() ?? 1)))
            weights = n.map { $0 > 0 ? exp((log(Double($0)) - top) / temperature) : 0 }
        } else if let reference {
            weights = names.map { max(0, reference[$0] ?? 0) }
        } else {
            weights = names.map { _ in 1 }
        }
        let q = Divergence.normalize(weights)
        let totalBefore = n.reduce(0, +)
        let slack = 1e-9

        // In Double first: n / q can be far beyond Int (a share of 1e-300).
        let exact: Double
        switch strategy {
        case .over:
            // The category most over-represented against Q keeps its count; the rest grow.
            var needed = 0.0
            for i in names.indices where q[i] > 0 && n[i] > 0 { needed = max(needed, Double(n[i]) / q[i]) }
            exact = (needed - slack).rounded(.up)
        case .under:
            // The category most under-represented against Q (and not empty) keeps its count.
            var allowed = Double.infinity
            for i in names.indices where q[i] > 0 && n[i] > 0 { allowed = min(allowed, Double(n[i]) / q[i]) }
            exact = allowed.isFinite ? (allowed + slack).rounded(.down) : 0
        case .both:
            exact = Double(max(0, size ?? totalBefore))
        }
        let total = exact.isNaN || exact <= 0 ? 0 : (exact >= Double(maxTotal) ? maxTotal : Int(exact))
        var targets = largestRemainder(total: total, q: q)
        if strategy == .over {
            // Rounding must not ask for a drop.
            for i in names.indices where q[i] > 0 && targets[i] < n[i] { targets[i] = n[i] }
        }
        if strategy == .under {
            for i in names.indices where targets[i] > n[i] && n[i] > 0 { targets[i] = n[i] }
        }

        var rows: [ResampleTarget] = []
        var shortfalls: [ResampleShortfall] = []
        for i in names.indices {
            var after = targets[i]
            var reason: ResampleShortfallReason?
            if strategy == .over && q[i] == 0 && n[i] > 0 {
                after = n[i]
                reason = .notInReference
            } else if n[i] == 0 && targets[i] > 0 {
                after = 0
                reason = .empty
            } else if strategy != .over && q[i] == 0 && n[i] > 0 {
                reason = .droppedNotInReference
            } else if let maxCopies {
                // Overflow-checked: a cap beyond Int is no cap.
                let cap = n[i].multipliedReportingOverflow(by: max(1, maxCopies))
                if !cap.overflow && after > cap.partialValue {
                    after = cap.partialValue
                    reason = .maxCopies
                }
            }
            if let reason { shortfalls.append(ResampleShortfall(category: names[i], target: targets[i], reached: after, reason: reason)) }
            rows.append(
                ResampleTarget(
                    name: names[i], before: n[i], target: targets[i], after: after,
                    factor: n[i] > 0 ? Double(after) / Double(n[i]) : nil, shortfall: reason))
        }
        let qMap = Dictionary(uniqueKeysWithValues: zip(names, q))
        let beforeCounts = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.before) })
        let afterCounts = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.after) })
        return ResamplePlan(
            strategy: strategy, q: qMap, categories: rows, totalBefore: totalBefore, total: total,
            totalAfter: rows.map(\.after).reduce(0, +), shortfalls: shortfalls,
            before: Divergence.report(counts: beforeCounts, reference: qMap, order: names),
            after: Divergence.report(counts: afterCounts, reference: qMap, order: names))
    }

    /// The largest total a plan asks for (2^53, where Double still counts every integer); a
    /// larger one is clamped to it. No export writes that many lines: it refuses long before.
    public static let maxTotal = 1 << 53

    /// Splits `total` over proportions `q` (summing to 1, or all zero): each gets ⌊q·total⌋,
    /// and the remaining units go to the largest fractional parts, ties to the earlier index.
    public static func largestRemainder(total: Int, q: [Double]) -> [Int] {
        guard total > 0, q.contains(where: { $0 > 0 }) else { return q.map { _ in 0 } }
        let quotas = q.map { $0 * Double(total) }
        // Clamped to total: q·total in Double can round above Int.max.
        var result = quotas.map { quota -> Int in
            let floor = (quota + 1e-9).rounded(.down)
            return floor >= Double(total) ? total : Int(max(0, floor))
        }
        var left = total
        for r in result { left -= r } // each ≤ total, so this cannot overflow
        let order = q.indices.filter { q[$0] > 0 }.sorted { a, b in
            let ra = quotas[a] - Double(result[a])
            let rb = quotas[b] - Double(result[b])
            return ra != rb ? ra > rb : a < b
        }
        var k = 0
        while left > 0 && !order.isEmpty {
            result[order[k % order.count]] += 1
            left -= 1
            k += 1
        }
        while left < 0, let i = result.indices.last(where: { result[$0] > 0 }) { // float excess
            result[i] -= 1
            left += 1
        }
        return result
    }

    /// How many times each of `count` samples (in their stable order) appears so that `target`
    /// appear in all: every sample ⌊target/count⌋ times, and `target mod count` of them, chosen
    /// by `generator` without replacement, once more. Below `count`, that is a seeded choice of
    /// `target` samples kept once.
    public static func multiplicities<G: RandomNumberGenerator>(count: Int, target: Int, using generator: inout G) -> [Int] {
        guard count > 0 else { return [] }
        let base = max(0, target) / count
        let extra = max(0, target) % count
        var result = Array(repeating: base, count: count)
        // A partial Fisher–Yates shuffle picks `extra` distinct indices.
        var indices = Array(0..<count)
        for i in 0..<extra {
            let j = i + Int(generator.next(upperBound: UInt64(count - i)))
            indices.swapAt(i, j)
            result[indices[i]] += 1
        }
        return result
    }

    /// Sample weights Q(c)/P(c) per category, P over the categorised samples, scaled so that the
    /// mean over `counts` plus `uncategorised` samples (weight 1 before scaling) is 1. Returns
    /// the weight per category and the weight of an uncategorised sample.
    public static func weights(counts: [String: Int], q: [String: Double], uncategorised: Int) -> (perCategory: [String: Double], uncategorised: Double) {
        let total = counts.values.reduce(0, +)
        // Sorted by name: a Double sum depends on its order, and a dictionary's order changes
        // from one process to the next, so the weights' last bits (and the files) would too.
        let names = counts.keys.sorted()
        var raw: [String: Double] = [:]
        for name in names where counts[name, default: 0] > 0 {
            raw[name] = (q[name] ?? 0) / (Double(counts[name, default: 0]) / Double(total))
        }
        var sum = Double(uncategorised)
        for name in names where counts[name, default: 0] > 0 { sum += Double(counts[name, default: 0]) * (raw[name] ?? 0) }
        let lines = Double(total + uncategorised)
        guard sum > 0 else { return (raw, 1) }
        let scale = lines / sum
        return (raw.mapValues { $0 * scale }, scale)
    }
}
