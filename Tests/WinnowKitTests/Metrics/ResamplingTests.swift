import Foundation
import Testing
@testable import WinnowKit

/// Resampling's math against hand-computed cases: a×6, b×2, c×1 unless said otherwise.
@Suite struct ResamplingTests {
    let counts = ["a": 6, "b": 2, "c": 1]
    let order = ["a", "b", "c"]
    let uniform = ["a": 1.0, "b": 1.0, "c": 1.0]

    func close(_ x: Double?, _ y: Double, _ tolerance: Double = 1e-6) -> Bool { x.map { abs($0 - y) < tolerance } ?? false }

    @Test func overRepeatsToTheLargestCategory() {
        let plan = Resampling.plan(counts: counts, order: order, reference: uniform, temperature: nil, strategy: .over, size: nil, maxCopies: nil)
        // Q = 1/3 each; a (6 = 1/3 of 18) binds: total 18, targets 6, 6, 6.
        #expect(plan.total == 18)
        #expect(plan.categories.map(\.target) == [6, 6, 6])
        #expect(plan.categories.map(\.after) == [6, 6, 6])
        #expect(plan.categories.map(\.factor) == [1, 3, 6])
        #expect(plan.shortfalls.isEmpty)
        // KL(P‖Q) before = 2/3·log2 2 + 2/9·log2(2/3) + 1/9·log2(1/3) = 0.360568 bits; JS 0.090860.
        #expect(close(plan.before.klPQ, 0.360568))
        #expect(close(plan.before.js, 0.090860))
        #expect(close(plan.after.klPQ, 0))
        #expect(close(plan.after.js, 0))
    }

    @Test func maxCopiesLeavesAShortfall() {
        let plan = Resampling.plan(counts: counts, order: order, reference: uniform, temperature: nil, strategy: .over, size: nil, maxCopies: 3)
        // c's single sample may appear at most 3 times: 6, 6, 3, P = (0.4, 0.4, 0.2).
        #expect(plan.categories.map(\.after) == [6, 6, 3])
        #expect(plan.totalAfter == 15)
        #expect(plan.shortfalls == [ResampleShortfall(category: "c", target: 6, reached: 3, reason: .maxCopies)])
        // KL = 0.8·log2 1.2 + 0.2·log2 0.6 = 0.063034; JS 0.016529.
        #expect(close(plan.after.klPQ, 0.063034))
        #expect(close(plan.after.js, 0.016529))
    }

    @Test func anEmptyCategoryCannotBeCopied() {
        let plan = Resampling.plan(
            counts: counts, order: ["a", "b", "c", "d"], reference: ["a": 1, "b": 1, "c": 1, "d": 1], temperature: nil,
            strategy: .over, size: nil, maxCopies: nil)
        #expect(plan.total == 24)
        #expect(plan.categories.map(\.target) == [6, 6, 6, 6])
        #expect(plan.categories.map(\.after) == [6, 6, 6, 0])
        #expect(plan.categories[3].factor == nil)
        #expect(plan.shortfalls == [ResampleShortfall(category: "d", target: 6, reached: 0, reason: .empty)])
        #expect(plan.shortfalls[0].message.contains("no samples to copy"))
    }

    @Test func underDropsToTheSmallestCategory() {
        let plan = Resampling.plan(counts: counts, order: order, reference: uniform, temperature: nil, strategy: .under, size: nil, maxCopies: nil)
        #expect(plan.total == 3)
        #expect(plan.categories.map(\.after) == [1, 1, 1])
        #expect(close(plan.categories[0].factor, 1.0 / 6))
        #expect(close(plan.after.klPQ, 0))
    }

    @Test func bothReachesTheSizeByLargestRemainder() {
        let nine = Resampling.plan(counts: counts, order: order, reference: uniform, temperature: nil, strategy: .both, size: nil, maxCopies: nil)
        #expect(nine.total == 9)
        #expect(nine.categories.map(\.after) == [3, 3, 3])
        // 10/3 each: ⌊⌋ = 3, 3, 3 and the one left goes to the first of the tied remainders.
        let ten = Resampling.plan(counts: counts, order: order, reference: uniform, temperature: nil, strategy: .both, size: 10, maxCopies: nil)
        #expect(ten.categories.map(\.after) == [4, 3, 3])
        #expect(ten.totalAfter == 10)
    }

    @Test func largestRemainderSumsExactly() {
        #expect(Resampling.largestRemainder(total: 3, q: [0.45, 0.45, 0.1]) == [2, 1, 0])
        #expect(Resampling.largestRemainder(total: 7, q: [0.5, 0.3, 0.2]) == [4, 2, 1]) // 3.5, 2.1, 1.4 → 3, 2, 1 + a
        #expect(Resampling.largestRemainder(total: 0, q: [1]) == [0])
        for total in [1, 2, 17, 1000] {
            #expect(Resampling.largestRemainder(total: total, q: Divergence.normalize([1, 1, 1, 1, 1, 1, 1])).reduce(0, +) == total)
        }
    }

    @Test func temperatureSamplesBySizeToThePowerOneOverT() {
        let plan = Resampling.plan(counts: counts, order: order, reference: ["a": 1], temperature: 2, strategy: .over, size: nil, maxCopies: nil)
        // Q ∝ √6, √2, 1 = 0.503626, 0.290769, 0.205605 (the reference is ignored).
        #expect(close(plan.q["a"], 0.503626))
        #expect(close(plan.q["b"], 0.290769))
        #expect(close(plan.q["c"], 0.205605))
        // a binds at 6 / 0.503626 = 11.91 → 12; 12·Q = 6.04, 3.49, 2.47 → 6, 3, 2 and the one left to b.
        #expect(plan.total == 12)
        #expect(plan.categories.map(\.after) == [6, 4, 2])
        // T = 1 is the split itself: nothing to do.
        let same = Resampling.plan(counts: counts, order: order, reference: nil, temperature: 1, strategy: .over, size: nil, maxCopies: nil)
        #expect(same.categories.map(\.after) == [6, 2, 1])
    }

    /// A small T: n^(1/T) would be infinite (10_000^100) and Q unreadable; in log space Q is
    /// all but one-hot on the largest category, finite, and the plan's totals stay bounded.
    @Test func aSmallTemperatureDoesNotOverflow() {
        let plan = Resampling.plan(
            counts: ["a": 10_000, "b": 10], order: ["a", "b"], reference: nil, temperature: 0.01, strategy: .under, size: nil, maxCopies: nil)
        #expect(plan.q.values.allSatisfy { $0.isFinite })
        #expect(close(plan.q["a"], 1))
        #expect(plan.q["b"]! < 1e-200)
        #expect(plan.categories.allSatisfy { $0.after <= $0.before })
        let over = Resampling.plan(
            counts: ["a": 10_000, "b": 10], order: ["a", "b"], reference: nil, temperature: 0.01, strategy: .over, size: nil, maxCopies: nil)
        #expect(over.q.values.allSatisfy { $0.isFinite })
        #expect(over.total <= Resampling.maxTotal) // huge, and the export refuses it (100× the split)
    }

    @Test func overKeepsACategoryTheReferenceLacks() {
        let plan = Resampling.plan(counts: counts, order: order, reference: ["a": 1, "b": 1], temperature: nil, strategy: .over, size: nil, maxCopies: nil)
        #expect(plan.categories.map(\.after) == [6, 6, 1])
        #expect(plan.shortfalls == [ResampleShortfall(category: "c", target: 0, reached: 1, reason: .notInReference)])
        let under = Resampling.plan(counts: counts, order: order, reference: ["a": 1, "b": 1], temperature: nil, strategy: .under, size: nil, maxCopies: nil)
        #expect(under.categories.map(\.after) == [2, 2, 0])
    }

    @Test func multiplicitiesSpreadCopiesEvenly() {
        var generator = SeededGenerator(seed: 7)
        let seven = Resampling.multiplicities(count: 3, target: 7, using: &generator)
        #expect(seven.reduce(0, +) == 7)
        #expect(seven.sorted() == [2, 2, 3])
        let two = Resampling.multiplicities(count: 5, target: 2, using: &generator)
        #expect(two.sorted() == [0, 0, 0, 1, 1])
        var g1 = SeededGenerator(seed: 42)
        var g2 = SeededGenerator(seed: 42)
        #expect(Resampling.multiplicities(count: 50, target: 77, using: &g1) == Resampling.multiplicities(count: 50, target: 77, using: &g2))
    }

    @Test func weightsHaveMeanOne() {
        // Q/P = (1/3)/(2/3), (1/3)/(2/9), (1/3)/(1/9) = 0.5, 1.5, 3; mean over 9 samples is already 1.
        let w = Resampling.weights(counts: counts, q: ["a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3], uncategorised: 0)
        #expect(close(w.perCategory["a"], 0.5))
        #expect(close(w.perCategory["b"], 1.5))
        #expect(close(w.perCategory["c"], 3))
        // Q = (0.5, 0.5, 0) and 1 uncategorised: raw 0.75, 2.25, 0, 1; sum 4.5 + 4.5 + 1 = 10 over 10 lines.
        let v = Resampling.weights(counts: counts, q: ["a": 0.5, "b": 0.5, "c": 0], uncategorised: 1)
        #expect(close(v.perCategory["a"], 0.75))
        #expect(close(v.perCategory["c"], 0))
        #expect(close(v.uncategorised, 1))
        let mean = (6 * v.perCategory["a"]! + 2 * v.perCategory["b"]! + v.perCategory["c"]! + v.uncategorised) / 10
        #expect(close(mean, 1))
    }

    /// Over many random splits and references: every category without a shortfall lands within
    /// one sample of Q × total, the targets sum to the total, and over never drops, under never repeats.
    @Test func withinOneSampleOfQ() {
        var rng = SeededGenerator(seed: 2026)
        for _ in 0..<300 {
            let k = Int(rng.next(upperBound: UInt64(6))) + 1
            let names = (0..<k).map { "c\($0)" }
            var counts: [String: Int] = [:]
            var reference: [String: Double] = [:]
            for name in names {
                counts[name] = Int(rng.next(upperBound: UInt64(40)))
                reference[name] = Double(rng.next(upperBound: UInt64(10)))
            }
            guard reference.values.contains(where: { $0 > 0 }), counts.values.contains(where: { $0 > 0 }) else { continue }
            let cap: Int? = rng.next(upperBound: UInt64(2)) == 0 ? nil : Int(rng.next(upperBound: UInt64(4))) + 1
            for strategy in ResampleStrategy.allCases {
                let size = strategy == .both ? Int(rng.next(upperBound: UInt64(100))) + 1 : nil
                let plan = Resampling.plan(counts: counts, order: names, reference: reference, temperature: nil, strategy: strategy, size: size, maxCopies: cap)
                if strategy == .both { #expect(plan.categories.map(\.target).reduce(0, +) == plan.total) }
                for c in plan.categories where c.shortfall == nil {
                    let quota = (plan.q[c.name] ?? 0) * Double(plan.total)
                    #expect(abs(Double(c.after) - quota) < 1 + 1e-9 || (strategy == .under && c.after == c.before), "\(strategy) \(c)")
                    if strategy == .over { #expect(c.after >= c.before) }
                    if strategy == .under { #expect(c.after <= c.before) }
                    if let cap { #expect(c.after <= cap * c.before) }
                }
                if plan.shortfalls.isEmpty && strategy != .under { #expect(plan.totalAfter == plan.total) }
            }
        }
    }

    /// Review of issue 13, finding 1: a Double sum over a dictionary depends on its order,
    /// which changes per process (and with the capacity); the weights must not.
    @Test func weightsDoNotDependOnDictionaryOrder() {
        let names = (1...15).map { "label\($0)" }
        let shares = [0.013, 0.29, 0.07, 0.11, 0.031, 0.017, 0.19, 0.023, 0.041, 0.057, 0.003, 0.089, 0.007, 0.037, 0.026]
        let q = Dictionary(uniqueKeysWithValues: zip(names, Divergence.normalize(shares)))
        var orders = Set<[String]>()
        var results = Set<[Double]>()
        for capacity in [0, 16, 17, 31, 64, 100, 257, 1000] {
            for reversed in [false, true] {
                var counts = [String: Int](minimumCapacity: capacity)
                let indices = reversed ? Array(names.indices.reversed()) : Array(names.indices)
                for i in indices { counts[names[i]] = 3 + (i * 7) % 11 }
                orders.insert(Array(counts.keys))
                let w = Resampling.weights(counts: counts, q: q, uncategorised: 3)
                results.insert(names.map { w.perCategory[$0] ?? -1 } + [w.uncategorised])
            }
        }
        #expect(orders.count > 1, "the dictionaries all iterated in one order, so this test proves nothing")
        #expect(results.count == 1, "the weights' bits depend on the dictionary's order")
    }

    /// Finding 2: absurd caps, sizes and shares plan without trapping (clamped to maxTotal).
    @Test func hugeCapsSizesAndSharesDoNotOverflow() {
        let capped = Resampling.plan(
            counts: ["a": 6, "b": 2], order: ["a", "b"], reference: nil, temperature: nil, strategy: .over, size: nil, maxCopies: Int.max)
        #expect(capped.categories.map(\.after) == [6, 6] && capped.shortfalls.isEmpty)
        let huge = Resampling.plan(
            counts: ["a": 1], order: ["a"], reference: nil, temperature: nil, strategy: .both, size: Int.max, maxCopies: nil)
        #expect(huge.total == Resampling.maxTotal && huge.categories.map(\.target) == [Resampling.maxTotal])
        let tiny = Resampling.plan(
            counts: ["a": 1, "b": 1], order: ["a", "b"], reference: ["a": 1e-300, "b": 1], temperature: nil, strategy: .over, size: nil, maxCopies: 10)
        #expect(tiny.total == Resampling.maxTotal)
        #expect(tiny.category("b")?.after == 10 && tiny.category("b")?.shortfall == .maxCopies)
        #expect(Resampling.largestRemainder(total: Int.max, q: [1]) == [Int.max])
        #expect(Resampling.largestRemainder(total: Int.max, q: [0.5, 0.5]).reduce(0, &+) == Int.max)
    }

    /// Finding 3: under and both drop a category Q gives no share, and say so.
    @Test func underAndBothWarnWhenTheyDropACategory() {
        for strategy in [ResampleStrategy.under, .both] {
            let plan = Resampling.plan(
                counts: ["a": 6, "b": 2, "c": 1], order: ["a", "b", "c"], reference: ["a": 1, "b": 1], temperature: nil,
                strategy: strategy, size: nil, maxCopies: nil)
            #expect(plan.category("c")?.after == 0)
            #expect(plan.shortfalls.map(\.category) == ["c"] && plan.shortfalls.first?.reason == .droppedNotInReference, "\(strategy)")
        }
    }
}
