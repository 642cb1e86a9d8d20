import Foundation
import Testing
@testable import WinnowKit

@Suite struct CoverageTests {
    /// SPEC section 4's worked example: it must come out exactly so.
    @Test func specWorkedExample() {
        let specs = ["news", "fiction", "reviews", "tech", "finance"].map { Coverage.Spec(name: $0, target: 10000) }
        let r = Coverage.report(
            dimension: "domain", categories: specs,
            counts: ["news": 10000, "fiction": 8000, "reviews": 6000, "tech": 5000],
            unannotated: 0)
        #expect(r.sceneCoverage == 0.8)
        #expect(abs(r.sampleCoverage - 0.58) < 1e-12)
        #expect(abs((r.coveredFill ?? 0) - 0.725) < 1e-12)
        #expect(r.categories.map(\.status) == ["ok", "under", "under", "under", "missing"])
        #expect(r.categories.map(\.needed) == [0, 2000, 4000, 5000, 10000])
        #expect(r.categories.allSatisfy { abs($0.weight - 0.2) < 1e-12 })
    }

    @Test func oversupplyCannotMakeUpForAMissingCategory() {
        let specs = [Coverage.Spec(name: "a", target: 10), Coverage.Spec(name: "b", target: 10)]
        let r = Coverage.report(dimension: "d", categories: specs, counts: ["a": 100], unannotated: 3)
        #expect(r.sampleCoverage == 0.5)
        #expect(r.categories[0].status == "over")
        #expect(r.categories[0].fill == 10)
        #expect(r.unannotated == 3)
    }

    @Test func weightsAreNormalisedAndUnknownCategoriesReported() {
        let specs = [Coverage.Spec(name: "a", target: 10, weight: 3), Coverage.Spec(name: "b", target: 10, weight: 1)]
        let r = Coverage.report(dimension: "d", categories: specs, counts: ["a": 5, "b": 10, "zzz": 4, "yyy": 1], unannotated: 0)
        #expect(r.categories.map(\.weight) == [0.75, 0.25])
        #expect(abs(r.sampleCoverage - (0.75 * 0.5 + 0.25 * 1)) < 1e-12)
        #expect(r.unknown == ["yyy", "zzz"])
    }

    @Test func minCountDecidesWhatIsCovered() {
        let specs = [Coverage.Spec(name: "a", target: 10), Coverage.Spec(name: "b", target: 10)]
        let r = Coverage.report(dimension: "d", categories: specs, counts: ["a": 5, "b": 1], unannotated: 0, minCount: 2)
        #expect(r.sceneCoverage == 0.5)
        #expect(r.coveredFill == 0.5)
    }
}

@Suite struct DivergenceTests {
    @Test func identicalDistributionsHaveZeroDivergence() {
        let r = Divergence.report(counts: ["a": 10, "b": 30], reference: ["a": 0.25, "b": 0.75])
        #expect(abs(r.klPQ) < 1e-12)
        #expect(abs(r.js) < 1e-12)
        #expect(r.categories.map(\.factor) == [1, 1])
    }

    @Test func klMatchesAHandComputedValue() {
        // P = (1/2, 1/2), Q = (1/4, 3/4): KL = ½log2(2) + ½log2(2/3) = 0.5 − 0.2925 = 0.2075.
        let kl = Divergence.kl([0.5, 0.5], [0.25, 0.75]).value
        #expect(abs(kl - (0.5 * log2(2.0) + 0.5 * log2(2.0 / 3.0))) < 1e-12)
        #expect(abs(kl - 0.20751874963942185) < 1e-12)
    }

    @Test func zeroInTheReferenceIsSmoothedAndNamed() {
        let r = Divergence.report(counts: ["a": 5, "b": 5], reference: ["a": 1])
        #expect(r.smoothed == ["b"])
        // Q becomes (1, ε)/(1+ε): KL ≈ ½log2(½) + ½log2(½/ε) ≈ 13.95 bits.
        #expect(abs(r.klPQ - (0.5 * log2(0.5 * (1 + 1e-9)) + 0.5 * log2(0.5 * (1 + 1e-9) / 1e-9))) < 1e-6)
        #expect(r.js <= 1)
        #expect(r.categories[1].factor == 0)
    }

    @Test func jsIsBoundedByOneBit() {
        #expect(abs(Divergence.js([1, 0], [0, 1]) - 1) < 1e-12)
        #expect(Divergence.js([0.3, 0.7], [0.6, 0.4]) > 0)
        #expect(Divergence.js([0.3, 0.7], [0.6, 0.4]) < 1)
        #expect(abs(Divergence.js([0.3, 0.7], [0.6, 0.4]) - Divergence.js([0.6, 0.4], [0.3, 0.7])) < 1e-15)
    }

    @Test func resamplingCountsFollowTheReference() {
        let r = Divergence.report(counts: ["a": 90, "b": 10], reference: ["a": 50, "b": 50])
        #expect(r.categories.map(\.targetCount) == [50, 50])
        #expect(abs((r.categories[1].factor ?? 0) - 5) < 1e-12)
    }
}

@Suite struct BalanceAndDiversityTests {
    /// SPEC section 4's example: counts 600, 300, 100.
    @Test func specClassWeightsExample() {
        let w = Balance.weights([600, 300, 100])
        let expected: [(Double, Double, Double)] = [(1.6667, 0.5556, 0.1111), (3.3333, 1.1111, 0.2222), (10, 3.3333, 0.6667)]
        for (i, e) in expected.enumerated() {
            #expect(abs(w.inverse[i] - e.0) < 5e-5)
            #expect(abs(w.balanced[i] - e.1) < 5e-5)
            #expect(abs(w.normalized[i] - e.2) < 5e-5)
        }
        #expect(abs(w.normalized.reduce(0, +) - 1) < 1e-12)
        #expect(Balance.imbalanceRatio([600, 300, 100]) == 6)
    }

    @Test func entropyOfUniformAndOneHot() {
        let uniform = DiversityReport(counts: [5, 5, 5, 5], categories: 4)
        #expect(abs(uniform.entropy - 2) < 1e-12)
        #expect(abs((uniform.evenness ?? 0) - 1) < 1e-12)
        #expect(abs(uniform.effectiveNumber - 4) < 1e-12)
        #expect(abs(uniform.giniSimpson - 0.75) < 1e-12)
        let oneHot = DiversityReport(counts: [9, 0, 0], categories: 3)
        #expect(oneHot.entropy == 0)
        #expect(oneHot.evenness == 0)
        #expect(oneHot.effectiveNumber == 1)
        #expect(oneHot.giniSimpson == 0)
    }

    @Test func distinctNCountsUniqueOverTotal() {
        var d = Lexical.Distinct()
        d.add(Lexical.words("the cat the cat")) // unigrams 4 (2 unique), bigrams 3 (2 unique: "the cat", "cat the")
        d.add(Lexical.words("The dog!")) // unigrams 2 (+1 unique), bigrams 1 (+1)
        #expect(abs(d.distinct1 - 3.0 / 6.0) < 1e-12)
        #expect(abs(d.distinct2 - 3.0 / 4.0) < 1e-12)
    }

    @Test func quantilesUseNearestRank() {
        let values = Array(1...100)
        #expect(Lexical.quantile(values, 0.5) == 50)
        #expect(Lexical.quantile(values, 0.95) == 95)
        #expect(Lexical.quantile([7], 0.95) == 7)
    }
}

@Suite struct TaxonomyTests {
    /// The label index order: the taxonomy's labels in its order (even unused ones), then
    /// the other labels by name, each once.
    @Test func theLabelOrderIsTheTaxonomysThenTheRestByName() throws {
        let dir = TempDir()
        let store = try dir.store()
        try store.loadTaxonomy(try Taxonomy.parse("labels: [spam, ham, unused]\n", file: "t.yaml"))
        let order = try store.read { db in try Store.labelOrder(db, ["zeta", "ham", "alpha", "zeta"]) }
        #expect(order == ["spam", "ham", "unused", "alpha", "zeta"])
    }

    @Test func parsesTheSpecShape() throws {
        let t = try Taxonomy.parse(
            """
            labels: [negative, neutral, positive]
            dimensions:
              domain:
                categories:
                  news:    {target: 10000}
                  fiction: {target: 10000, weight: 2}
                  finance: 5000
              style:
                categories:
                  formal:   {target: 20000}
            """, file: "t.yaml")
        #expect(t.labels == ["negative", "neutral", "positive"])
        #expect(t.dimensions.map(\.name) == ["domain", "style"])
        #expect(t.dimensions[0].categories.map(\.name) == ["news", "fiction", "finance"])
        #expect(t.dimensions[0].categories[1].weight == 2)
        #expect(t.dimensions[0].categories[2].target == 5000)
    }

    @Test func jsonIsAcceptedToo() throws {
        let t = try Taxonomy.parse(#"{"dimensions": {"d": {"categories": {"a": {"target": 3}}}}}"#, file: "t.json")
        #expect(t.dimensions.first?.categories.first?.target == 3)
    }

    @Test(arguments: [
        ("dimensions:\n  domain:\n    categories:\n      news: {target: lots}\n", "t.yaml:4: dimensions.domain.categories.news.target must be a whole number ≥ 0, got 'lots'"),
        ("dimensions:\n  domain:\n    categories:\n      news: {target: 5, wieght: 2}\n", "t.yaml:4: dimensions.domain.categories.news: unknown key 'wieght'"),
        ("dimensions:\n  domain:\n    cats: {}\n", "t.yaml:3: dimensions.domain: unknown key 'cats'"),
        ("labels: negative\n", "t.yaml:1: `labels` must be a list of label names"),
        ("dimensions:\n  domain: [a, b]\n", "t.yaml:2: dimensions.domain must be a mapping with `categories:`"),
        ("dimensions: {domain: {categories: {a: 1}\n", "t.yaml: not valid YAML or JSON"),
        ("dimensions:\n  domain:\n    categories:\n      news: {weight: -1}\n", "t.yaml:4: dimensions.domain.categories.news.weight must be a number ≥ 0"),
    ])
    func malformedFilesNameTheLineAndKey(text: String, message: String) {
        do {
            _ = try Taxonomy.parse(text, file: "t.yaml")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func rulesPickTheFirstMatchingCategoryPerDimension() throws {
        let rules = try SceneRules.parse(
            """
            domain:
              finance: {keywords: [stock, interest rate]}
              sports: {keywords: [match], regex: ['\\bgoal(s)?\\b']}
            tone:
              angry: {regex: ['(?i)terrible']}
            """, file: "r.yaml")
        let hits = rules.categories(for: "Terrible match: the stock fell and two goals were scored")
        #expect(hits.map { "\($0.dimension)=\($0.category)" } == ["domain=finance", "tone=angry"])
        #expect(rules.categories(for: "Interest rates rise").isEmpty) // whole words only
        #expect(rules.categories(for: "the interest rate rose").map(\.category) == ["finance"])
        #expect(rules.categories(for: "three goals").map(\.category) == ["sports"])
        #expect(throws: WinnowError.self) { try SceneRules.parse("d:\n  c: {regex: ['(']}\n", file: "r.yaml") }
    }
}
