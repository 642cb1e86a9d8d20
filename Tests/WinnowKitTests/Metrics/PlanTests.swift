import Foundation
import Testing
@testable import WinnowKit

/// `Plan.plan`, against figures worked out by hand.
@Suite struct PlanTests {
    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) < tolerance
    }

    /// Targets 10/10/10, counts 10/4/0 (b's other 2 samples are augmented, children of one of its
    /// 2 parents), 8 per parent: needed 0/6/10, capacity 80/14/0 (16 less the 2 variants made),
    /// augmentable 0/6/0, new data 0/0/10 (c has no parents).
    @Test func aDimensionWithAGapAugmentationCanFillAndOneOnlyNewDataCan() {
        let input = Plan.Input(
            subject: .scene("d"), categories: ["a", "b", "c"].map { Coverage.Spec(name: $0, target: 10) },
            counts: ["a": 10, "b": 4], parents: ["a": 10, "b": 2], order: ["a", "b", "c"],
            reference: ["a": 10, "b": 10, "c": 10], against: "taxonomy", unannotated: 1,
            variants: ["b": [2: 1]], augmented: ["b": 2])
        let plan = Plan.plan(input)
        #expect(plan.of == "scene.d")
        #expect(plan.targets == .taxonomy)
        #expect(plan.categories.map(\.category) == ["a", "b", "c"])
        #expect(plan.categories.map(\.target) == [10, 10, 10])
        #expect(plan.categories.map(\.needed) == [0, 6, 10])
        #expect(plan.categories.map(\.parents) == [10, 2, 0])
        #expect(plan.categories.map(\.augmented) == [0, 2, 0])
        #expect(plan.categories.map(\.capacity) == [80, 14, 0])
        #expect(plan.categories.map(\.augmentable) == [0, 6, 0])
        #expect(plan.categories.map(\.newData) == [0, 0, 10])
        #expect(plan.totals == .init(count: 14, augmented: 2, needed: 16, augmentable: 6, newData: 10))
        #expect(plan.categories.allSatisfy { close($0.q, 1.0 / 3) })

        // Now: sample coverage (1 + 4/10 + 0)/3; P = (5/7, 2/7, 0) against Q = (1/3, 1/3, 1/3).
        #expect(plan.now.samples == 14)
        #expect(close(plan.now.sampleCoverage, 1.4 / 3))
        let klNow = 5.0 / 7 * log2(15.0 / 7) + 2.0 / 7 * log2(6.0 / 7)
        #expect(close(plan.now.klPQ, klNow))
        #expect(close(plan.now.klPQ, 0.721_841_9, 1e-6))
        // M = (11/21, 13/42, 1/6).
        let jsNow = 0.5 * (5.0 / 7 * log2(30.0 / 22) + 2.0 / 7 * log2(12.0 / 13)) + 0.5 * (log2(14.0 / 22) + log2(14.0 / 13) + 1) / 3
        #expect(close(plan.now.js, jsNow))

        // After augmentation: 10/10/0, sample coverage 2/3, P = (1/2, 1/2, 0), M = (5/12, 5/12, 1/6).
        #expect(plan.afterAugment.samples == 20)
        #expect(close(plan.afterAugment.sampleCoverage, 2.0 / 3))
        #expect(close(plan.afterAugment.klPQ, log2(1.5)))
        let jsAugmented = 0.5 * log2(6.0 / 5) + 0.5 * (2 * log2(4.0 / 5) + 1) / 3
        #expect(close(plan.afterAugment.js, jsAugmented))

        // Resampling over: the total where a (10 of Q's 1/3) keeps its count is 30, so 10 each;
        // b is copied ×2.5, c has nothing to copy. Both ways end at 10/10/0.
        #expect(plan.categories.map(\.resampled) == [10, 10, 0])
        #expect(plan.categories.map(\.resampleFactor) == [1, 2.5, nil])
        #expect(plan.categories.map(\.resampledAfterAugment) == [10, 10, 0])
        #expect(plan.afterResample?.samples == 20)
        #expect(close(plan.afterResample?.sampleCoverage, 2.0 / 3))
        #expect(close(plan.afterResample?.js, jsAugmented))
        #expect(close(plan.afterBoth?.klPQ, log2(1.5)))
        #expect(plan.shortfalls.map(\.category) == ["c"])
        #expect(plan.shortfalls.map(\.reason) == [.empty])

        // Resampling after augmentation changes nothing, so only the augment is suggested.
        #expect(plan.commands == ["winnow augment --scene d=b --to-target"])
        #expect(plan.notes.first == "new data to collect: c 10 (no parents)")
    }

    /// SPEC's 600/300/100 labels against a uniform Q: the targets are 600 each (the total 1800 at
    /// which negative keeps its count); positive's 40 parents give at most 320 of its 500.
    @Test func labelsTakeTheirTargetsFromQ() {
        let input = Plan.Input(
            subject: .labels, categories: [], counts: ["negative": 600, "neutral": 300, "positive": 100],
            parents: ["negative": 600, "neutral": 300, "positive": 40], order: ["negative", "neutral", "positive"],
            reference: ["negative": 1, "neutral": 1, "positive": 1], against: "uniform", unannotated: 0)
        let plan = Plan.plan(input)
        #expect(plan.targets == .reference)
        #expect(plan.categories.map(\.target) == [600, 600, 600])
        #expect(plan.categories.map(\.needed) == [0, 300, 500])
        #expect(plan.categories.map(\.augmentable) == [0, 300, 320])
        #expect(plan.categories.map(\.newData) == [0, 0, 180])
        // (1 + 300/600 + 100/600)/3 = 5/9, then (1 + 1 + 420/600)/3 = 0.9.
        #expect(close(plan.now.sampleCoverage, 5.0 / 9))
        #expect(close(plan.afterAugment.sampleCoverage, 0.9))
        #expect(close(plan.now.klPQ, 0.6 * log2(1.8) + 0.3 * log2(0.9) + 0.1 * log2(0.3)))
        #expect(close(plan.afterAugment.klPQ, 2 * 10.0 / 27 * log2(30.0 / 27) + 7.0 / 27 * log2(21.0 / 27)))
        // Over-sampling reaches Q exactly either way: copies ×1, ×2, ×6 now; 600/420 after augmenting.
        #expect(plan.categories.map(\.resampleFactor) == [1, 2, 6])
        #expect(plan.categories.map(\.resampled) == [600, 600, 600])
        #expect(plan.categories.map(\.resampledAfterAugment) == [600, 600, 600])
        #expect(close(plan.afterResample?.js, 0))
        #expect(close(plan.afterBoth?.klPQ, 0))
        #expect(close(plan.afterBoth?.sampleCoverage, 1))
        #expect(plan.afterBoth?.samples == 1800)
        #expect(plan.shortfalls.isEmpty)
        #expect(
            plan.commands == [
                "winnow augment --label neutral --to-target",
                "winnow augment --label positive --count 320",
                "winnow snapshot create NEXT",
                "winnow export NEXT --out DIR --resample labels",
            ])
        #expect(plan.notes == ["new data to collect: positive 180 (beyond 8 per parent)"])
    }

    /// --max-per-parent, --max-copies and --strategy change the figures and the commands.
    @Test func optionsAreTheAssumptions() {
        let input = Plan.Input(
            subject: .labels, categories: [], counts: ["negative": 600, "neutral": 300, "positive": 100],
            parents: ["negative": 600, "neutral": 300, "positive": 100], order: ["negative", "neutral", "positive"],
            reference: ["negative": 1, "neutral": 1, "positive": 1], against: "mix.json", unannotated: 0)
        let plan = Plan.plan(input, options: .init(maxPerParent: 2, strategy: .over, maxCopies: 2, snapshot: "v1", to: "mix.json"))
        // Over a snapshot augment's --to-target (which counts the live store) could make another
        // number, so the counts are spelled out.
        // 300 parents × 2 = 600 ≥ 300; 100 × 2 = 200 < 500.
        #expect(plan.categories.map(\.augmentable) == [0, 300, 200])
        #expect(plan.categories.map(\.newData) == [0, 0, 300])
        // At most 2 copies: positive reaches 200 of 600 now, 600 of 600 from 300 after augmenting.
        #expect(plan.categories.map(\.resampled) == [600, 600, 200])
        #expect(plan.categories.map(\.resampledAfterAugment) == [600, 600, 600])
        #expect(plan.shortfalls.isEmpty)
        #expect(plan.against == "mix.json")
        #expect(
            plan.commands == [
                "winnow augment --label neutral --count 300 --max-per-parent 2",
                "winnow augment --label positive --count 200 --max-per-parent 2",
                "winnow snapshot create NEXT",
                "winnow export NEXT --out DIR --resample labels --to mix.json --max-copies 2",
            ])
        // Nothing to augment: the export is of the snapshot planned over.
        let balanced = Plan.plan(
            Plan.Input(
                subject: .scene("tone"), categories: [.init(name: "calm", target: 2), .init(name: "angry man's", target: 2)],
                counts: ["calm": 4, "angry man's": 2], parents: [:], order: ["calm", "angry man's"],
                reference: ["calm": 1, "angry man's": 1], against: "taxonomy", unannotated: 0),
            options: .init(strategy: .under, snapshot: "v 2"))
        #expect(balanced.categories.map(\.resampled) == [2, 2])
        #expect(balanced.commands == ["winnow export 'v 2' --out DIR --resample scene.tone --strategy under"])
        #expect(
            Plan.plan(
                Plan.Input(
                    subject: .scene("tone"), categories: [.init(name: "angry man's", target: 5)], counts: ["angry man's": 1],
                    parents: ["angry man's": 1], order: ["angry man's"], reference: nil, against: nil, unannotated: 0)
            ).commands
                == ["winnow augment --scene 'tone=angry man'\\''s' --to-target"])
    }

    /// Without targets or Q: nothing is needed, no divergence, and the notes say what to load.
    @Test func aDimensionWithoutTargetsOrReference() {
        let plan = Plan.plan(
            Plan.Input(
                subject: .scene("tone"), categories: [], counts: ["calm": 3], parents: ["calm": 3], order: [],
                reference: nil, against: nil, unannotated: 2))
        #expect(plan.targets == nil)
        #expect(plan.against == nil)
        #expect(plan.categories.map(\.category) == ["calm"])
        #expect(plan.categories.map(\.needed) == [0])
        #expect(plan.categories.map(\.target) == [nil])
        #expect(plan.now.sampleCoverage == nil)
        #expect(plan.now.js == nil)
        #expect(plan.afterResample == nil)
        #expect(plan.commands.isEmpty)
        #expect(plan.notes.contains { $0.contains("not in the taxonomy") })
    }

    /// The capacity rule, at its edges: parents × K, less the variants parents already have
    /// (each counted up to K: a parent over the cap has no room, it does not take others').
    @Test func capacityIsParentsTimesMaxPerParentLessWhatTheyGave() {
        #expect(Plan.capacity(parents: 2, maxPerParent: 8) == 16)
        #expect(Plan.capacity(parents: 2, variants: [7: 1, 8: 1], maxPerParent: 8) == 1)
        #expect(Plan.capacity(parents: 3, variants: [12: 1], maxPerParent: 8) == 16)
        #expect(Plan.capacity(parents: 0, maxPerParent: 8) == 0)
        #expect(Plan.capacity(parents: Int.max, maxPerParent: 8) == Int.max)
        #expect(Plan.augmentable(needed: 6, capacity: 16) == 6)
        #expect(Plan.augmentable(needed: 20, capacity: 16) == 16)
        #expect(Plan.augmentable(needed: 10, capacity: 0) == 0)
        #expect(Plan.augmentable(needed: 0, capacity: 40) == 0)
        let full = Plan.plan(
            Plan.Input(
                subject: .scene("d"), categories: [.init(name: "a", target: 20)], counts: ["a": 17], parents: ["a": 2],
                order: ["a"], reference: nil, against: nil, unannotated: 0, variants: ["a": [7: 1, 8: 1]], augmented: ["a": 15]))
        #expect(full.categories.map(\.augmentable) == [1])
        #expect(full.categories.map(\.newData) == [2])
        #expect(full.commands == ["winnow augment --scene d=a --count 1"])
        #expect(full.notes.contains { $0 == "augmented samples made before count against the cap of 8 per parent: a has room for 1 (2 × 8 − 15)" })
    }

    /// A label's --to-target is augment's: the gap to the largest label. Against another Q the
    /// plan's target differs, so the command spells the count out.
    @Test func labelCommandsFollowAugmentsRule() {
        let plan = Plan.plan(
            Plan.Input(
                subject: .labels, categories: [], counts: ["a": 4, "b": 11], parents: ["a": 4, "b": 11], order: ["a", "b"],
                reference: ["a": 1, "b": 3], against: "mix.json", unannotated: 0))
        // a's 4 at Q 1/4 sets the total, 16: targets 4 and 12.
        #expect(plan.categories.map(\.target) == [4, 12])
        #expect(plan.categories.map(\.needed) == [0, 1])
        #expect(plan.commands.first == "winnow augment --label b --count 1")
    }

    /// Labels against a Q that is not uniform: an earlier `--count` may make another label the
    /// largest, and augment's `--to-target` fills to the largest label when it runs, so every
    /// label command spells its count out. a 20, b 30, c 10 against 1/2, 1/4, 1/4: b's 30 sets the
    /// total, 120: targets 60, 30, 30; c's target is the largest count now (30), but after a's 40
    /// the largest is 60 and `--to-target` would make 50 for c, not 20.
    @Test func labelCommandsDoWhatThePlanSaysWhenRunInOrder() {
        let plan = Plan.plan(
            Plan.Input(
                subject: .labels, categories: [], counts: ["a": 20, "b": 30, "c": 10], parents: ["a": 20, "b": 30, "c": 10], order: ["a", "b", "c"],
                reference: ["a": 0.5, "b": 0.25, "c": 0.25], against: "q.json", unannotated: 0))
        #expect(plan.categories.map(\.target) == [60, 30, 30])
        #expect(plan.categories.map(\.augmentable) == [40, 0, 20])
        #expect(plan.commands == ["winnow augment --label a --count 40", "winnow augment --label c --count 20"])
    }

    /// Over `--snapshot NAME`, the suggested `snapshot create NEXT` repeats NAME's selection, so
    /// NEXT holds the samples the plan counted plus what the augment commands make.
    @Test func theSuggestedSnapshotRepeatsTheSelection() {
        // b: 1 of 4, its one parent gives 1 at K = 1; resampling then still moves b from 2 to 4.
        let input = Plan.Input(
            subject: .scene("d"), categories: [.init(name: "a", target: 4), .init(name: "b", target: 4)],
            counts: ["a": 4, "b": 1], parents: ["a": 4, "b": 1], order: ["a", "b"],
            reference: ["a": 1, "b": 1], against: "taxonomy", unannotated: 0)
        let selection = #"{"exclude_flagged":true,"exclude_detectors":["label-noise","near-duplicate"],"exclude_min_score":0.5,"label":"it's","source":"a.jsonl"}"#
        let plan = Plan.plan(input, options: .init(maxPerParent: 1, snapshot: "v1", snapshotSelection: selection))
        #expect(
            plan.commands == [
                "winnow augment --scene d=b --count 1 --max-per-parent 1",
                "winnow snapshot create NEXT --exclude-flagged label-noise,near-duplicate --min-score 0.5 --label 'it'\\''s' --source a.jsonl",
                "winnow export NEXT --out DIR --resample scene.d",
            ])
        #expect(plan.notes.contains("snapshot v1: NEXT repeats its --label filter, so it holds only the augmented samples inside it"))

        #expect(
            Plan.snapshotFlags(#"{"exclude_flagged":true,"exclude_detectors":[],"exclude_augmented":true}"#, augmenting: false).flags == [
                "--exclude-flagged", "--exclude-augmented",
            ])
        #expect(Plan.snapshotFlags(#"{"exclude_flagged":false,"scene":"d=a"}"#, augmenting: false).flags == ["--scene d=a"])
        // Augment commands first: NEXT must hold what they make, so --exclude-augmented is left
        // out, and a note says so.
        let augmentedOut = Plan.plan(input, options: .init(maxPerParent: 1, snapshot: "v1", snapshotSelection: #"{"exclude_flagged":false,"exclude_augmented":true}"#))
        #expect(augmentedOut.commands[1] == "winnow snapshot create NEXT")
        #expect(
            augmentedOut.notes.contains(
                "snapshot v1: it was made with --exclude-augmented; NEXT is not, so that it holds what the augment commands make (and so also the augmented samples made before)"))
        // What snapshot create has no flag for is said, not dropped silently.
        let odd = Plan.snapshotFlags(#"{"exclude_flagged":false,"origin":"x"}"#, augmenting: false)
        #expect(odd.flags.isEmpty)
        #expect(odd.notes == ["its selection has origin, which snapshot create has no flag for, so NEXT may select other samples; repeat that selection by hand"])
    }

    /// No sample in the subject: no P, so no divergence (nil), not KL 0 (a perfect match) and JS
    /// 0.5; sample coverage is a true 0.
    @Test func noSamplesNoDivergence() {
        let plan = Plan.plan(
            Plan.Input(
                subject: .scene("d"), categories: [.init(name: "a", target: 3), .init(name: "b", target: 1)], counts: [:], parents: [:],
                order: ["a", "b"], reference: ["a": 3, "b": 1], against: "taxonomy", unannotated: 0))
        for effect in [plan.now, plan.afterAugment, plan.afterResample, plan.afterBoth] {
            #expect(effect?.samples == 0)
            #expect(effect?.sampleCoverage == 0)
            #expect(effect?.klPQ == nil)
            #expect(effect?.klQP == nil)
            #expect(effect?.js == nil)
        }
        // Once there are samples, the divergence is back: P = (1, 0) against (3/4, 1/4).
        let one = Plan.plan(
            Plan.Input(
                subject: .scene("d"), categories: [.init(name: "a", target: 3), .init(name: "b", target: 1)], counts: ["a": 1], parents: [:],
                order: ["a", "b"], reference: ["a": 3, "b": 1], against: "taxonomy", unannotated: 0))
        #expect(close(one.now.klPQ, log2(4.0 / 3)))
    }
}
