import Foundation
import Testing
@testable import WinnowKit

/// Feeds texts (ids 1, 2, …) through a detector and returns the flagged ids.
func run(_ detector: Detector, _ texts: [String], labels: [String?]? = nil) -> [Int64: DetectorHit] {
    var hits: [DetectorHit] = []
    for (i, text) in texts.enumerated() {
        let s = DetectSample(sampleID: Int64(i + 1), contentID: Int64(i + 1), uid: "s\(i + 1)",
                             label: labels?[i], content: .text(text))
        hits += detector.observe(s)
    }
    hits += detector.finish()
    return Dictionary(hits.map { ($0.sampleID, $0) }, uniquingKeysWith: { a, _ in a })
}

@Suite struct RuleDetectorTests {
    @Test func emptyFlagsBlankRequiredFields() {
        let d = EmptyDetector()
        #expect(d.observe(DetectSample(sampleID: 1, contentID: 1, uid: "a", label: nil, content: .text(" \n\t "))).first?.reason == "text is empty")
        #expect(d.observe(DetectSample(sampleID: 2, contentID: 2, uid: "b", label: nil,
                                       content: .instruction(instruction: "Summarise", input: "", output: "  "))).first?.reason == "output is empty")
        #expect(d.observe(DetectSample(sampleID: 3, contentID: 3, uid: "c", label: nil,
                                       content: .instruction(instruction: "Say hi", input: "", output: "hi"))).isEmpty)
        #expect(d.observe(DetectSample(sampleID: 4, contentID: 4, uid: "d", label: nil, content: .text("x"))).isEmpty)
    }

    @Test func lengthBounds() {
        let hits = run(LengthBoundDetector(minWords: 3), ["one two", "one two three", ""])
        #expect(Set(hits.keys) == [1, 3])
        #expect(hits[1]?.reason == "2 words, below the minimum of 3")
        let long = run(LengthBoundDetector(maxWords: 4), ["a b c d", "a b c d e"])
        #expect(Set(long.keys) == [2])
    }

    @Test func lengthOutliersAreFarFromTheirLabelsMedian() {
        var texts = (0..<20).map { i in String(repeating: "word ", count: 90 + i) }
        texts.append(String(repeating: "word ", count: 2000))
        texts.append(String(repeating: "word ", count: 100))
        let hits = run(LengthOutlierDetector(), texts, labels: Array(repeating: "a", count: 22))
        #expect(Set(hits.keys) == [21])
        #expect(hits[21]?.reason.hasPrefix("2000 words, far from the") == true)
        // The same long text under another label with its own long median is fine.
        let mixed = run(LengthOutlierDetector(), texts, labels: Array(repeating: "a", count: 20) + ["b", "b"])
        #expect(mixed.isEmpty)
    }

    @Test func exactDuplicatesIgnoreCaseAndPunctuation() {
        let hits = run(ExactDuplicateDetector(), ["Hello, World!", "hello world", "Hello world again", "HELLO... world"])
        #expect(Set(hits.keys) == [2, 4])
        #expect(hits[2]?.reason == "same text as s1 once case and punctuation are ignored")
    }

    @Test func boilerplatePatternsAndURLs() throws {
        let hits = run(try BoilerplateDetector(), [
            "Great phone. All Rights Reserved 2024.", "We reserved all the seats.",
            "see http://a.com http://b.com http://c.com http://d.com", "one link http://a.com",
        ])
        #expect(Set(hits.keys) == [1, 3])
        #expect(hits[1]?.reason == "boilerplate: 'all rights reserved'")
        #expect(hits[3]?.reason == "boilerplate: '4 URLs'")
        #expect(throws: WinnowError.self) { try BoilerplateDetector(patterns: ["("]) }
    }

    @Test func repetitionOfLinesAndTrigrams() {
        let hits = run(RepetitionDetector(), [
            "buy now\nbuy now\nbuy now\nbuy now\ngreat",
            "the cat sat on the mat and then the dog came in and sat down too",
            String(repeating: "buy it now ", count: 10) + "and more",
            "the cat sat on the mat and the cat sat on the mat while the dog slept by the door and nobody came home until late",
        ])
        #expect(Set(hits.keys) == [1, 3])
        #expect(hits[1]?.reason.hasPrefix("60% of lines repeat an earlier line") == true)
        #expect(hits[3]?.reason.contains("'buy it now' repeats 10 times") == true)
        #expect(hits[4] == nil) // a 3-gram seen twice in a short text is ordinary
    }

    @Test func encodingProblems() {
        let hits = run(EncodingDetector(), ["I donâ€™t like it", "I don’t like it", "café au lait", "broken \u{FFFD} text", "bell\u{07}"])
        #expect(Set(hits.keys) == [1, 4, 5])
        #expect(hits[1]?.reason == "mojibake 'â€™'")
        #expect(hits[4]?.reason == "1 U+FFFD replacement character")
        #expect(hits[5]?.reason == "1 control character")
    }

    @Test func personalData() {
        let hits = run(PIIDetector(), [
            "write to jane.doe@example.com", "call +1 415-555-0132 today", "server at 192.168.10.254 is down",
            "card 4111 1111 1111 1111 exp 12/29", "card 4111 1111 1111 1112", "in 2024 we sold 3 units for 19.99",
            "version 1.2.3.4000 released",
        ])
        #expect(hits[1]?.reason == "contains e-mail address")
        #expect(hits[2]?.reason == "contains phone number")
        #expect(hits[3]?.reason == "contains IP address")
        #expect(hits[4]?.reason == "contains payment card number")
        #expect(hits[5]?.reason.contains("payment card") != true)
        #expect(hits[6] == nil)
        #expect(hits[7] == nil)
        #expect(PIIDetector.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!PIIDetector.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
    }
}

@Suite struct NearDuplicateTests {
    /// A deterministic word soup.
    static func text(_ seed: UInt64, words: Int) -> [String] {
        var state = seed
        return (0..<words).map { _ in state = MinHash.mix(state); return "w\(state % 5000)" }
    }

    @Test func minHashEstimatesTrackExactJaccard() {
        let perms = MinHash.permutations(128)
        for k in 0..<40 {
            var a = Self.text(UInt64(k), words: 200)
            var b = a
            // Replace a share of b's words to spread the similarities over [0, 1].
            let changes = (k * 7) % 200
            for i in 0..<changes { b[(i * 13) % 200] = "x\(i)" }
            a.append("end")
            let sa = MinHash.shingles(a.joined(separator: " ")), sb = MinHash.shingles(b.joined(separator: " "))
            let exact = MinHash.jaccard(sa, sb)
            let estimate = MinHash.estimate(MinHash.signature(sa, perms), MinHash.signature(sb, perms))
            // 128 permutations: standard error ≤ 0.045; allow 3.5 of them.
            #expect(abs(estimate - exact) < 0.16, "exact \(exact), estimate \(estimate)")
        }
    }

    @Test func jaccardOfSmallSetsByHand() {
        #expect(MinHash.jaccard([1, 2, 3], [2, 3, 4]) == 0.5)
        #expect(MinHash.jaccard([], []) == 1)
        #expect(MinHash.shingles("a b c d e f").count == 2)
        #expect(MinHash.shingles("A b, c D e") == MinHash.shingles("a b c d e"))
        #expect(MinHash.shingles("only three words").count == 1)
    }

    @Test func plantedNearDuplicatesClusterUnderTheEarliest() {
        let base = Self.text(1, words: 300).joined(separator: " ")
        var near = Self.text(1, words: 300)
        near[150] = "changed"                         // one word changed: Jaccard ≈ 0.97
        let nearer = Self.text(1, words: 300).joined(separator: " ") + " extra"
        let unrelated = Self.text(2, words: 300).joined(separator: " ")
        let hits = run(NearDuplicateDetector(), [base, unrelated, near.joined(separator: " "), nearer])
        #expect(Set(hits.keys) == [3, 4])
        #expect(hits[3]?.reason.hasPrefix("96% similar to s1") == true)
        #expect(hits[3]?.details.contains("\"representative\":\"s1\"") == true)
        #expect((hits[4]?.score ?? 0) > 0.98)
    }

    @Test func belowTheThresholdIsNotFlagged() {
        var half = Self.text(3, words: 200)
        for i in stride(from: 0, to: 200, by: 4) { half[i] = "z\(i)" }
        let hits = run(NearDuplicateDetector(threshold: 0.8), [Self.text(3, words: 200).joined(separator: " "), half.joined(separator: " ")])
        #expect(hits.isEmpty)
    }
}

@Suite struct LabelNoiseTests {
    /// A hand-worked confident-learning example with two classes.
    @Test func confidentLearningByHand() {
        // Labels: 0,0,0,1,1,1. Sample 2 is labelled 0 but looks like class 1.
        let p: [[Double]] = [[0.9, 0.1], [0.8, 0.2], [0.15, 0.85], [0.1, 0.9], [0.3, 0.7], [0.15, 0.85]]
        let y = [0, 0, 0, 1, 1, 1]
        let t = ConfidentLearning.thresholds(probabilities: p, labels: y, classes: 2)
        // t0 = (0.9 + 0.8 + 0.15)/3 = 0.6167; t1 = (0.9 + 0.7 + 0.85)/3 = 0.8167.
        #expect(abs(t[0] - 0.6166667) < 1e-6)
        #expect(abs(t[1] - 0.8166667) < 1e-6)
        let joint = ConfidentLearning.confidentJoint(probabilities: p, labels: y, thresholds: t)
        // Sample 2: p1 = 0.85 ≥ t1 → (0, 1). Sample 4: p = (0.3, 0.7) is above no threshold.
        // Calibrated, row 0 keeps 3 · 1/3 = 1 off-diagonal: the largest margin p1 − p0, sample 2.
        #expect(joint == [[2, 1], [0, 2]])
        #expect(ConfidentLearning.findLabelIssues(probabilities: p, labels: y, classes: 2) == [2])
    }

    @Test func logisticRegressionSeparatesDistinctVocabularies() {
        let lr = HashedLogisticRegression(buckets: 1 << 12)
        var counts: [[(UInt32, Float)]] = []
        var labels: [Int] = []
        for i in 0..<40 {
            let sports = i % 2 == 0
            counts.append(lr.counts(sports ? "the match ended with a late goal by the striker \(i)" : "the senate passed the budget bill after a long vote \(i)"))
            labels.append(sports ? 0 : 1)
        }
        let vectors = lr.vectors(counts)
        #expect(abs(vectors[0].values.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) // L2-normalised
        let p = lr.outOfFoldProbabilities(vectors, labels: labels, classes: 2, folds: 4, fold: (0..<40).map { $0 % 4 })
        for (probs, y) in zip(p, labels) { #expect(probs[y] > 0.8) }
    }

    @Test func flippedLabelsAreFound() {
        var texts: [String] = []
        var labels: [String?] = []
        for i in 0..<150 {
            let topic = i % 3
            let vocab = [["match", "goal", "striker", "league", "coach"], ["senate", "vote", "budget", "minister", "law"],
                         ["recipe", "oven", "flour", "butter", "sugar"]][topic]
            texts.append((0..<12).map { vocab[($0 * 7 + i) % 5] }.joined(separator: " ") + " item \(i)")
            labels.append(["sports", "politics", "cooking"][topic])
        }
        for flipped in [5, 40, 77] { labels[flipped] = labels[flipped] == "sports" ? "cooking" : "sports" }
        let hits = run(LabelNoiseDetector(folds: 5, buckets: 1 << 14), texts, labels: labels)
        #expect(Set(hits.keys).isSuperset(of: [6, 41, 78]))
        #expect(hits.count <= 6)
        // Below 100 labelled samples of a kind, nothing is claimed.
        #expect(run(LabelNoiseDetector(folds: 5, buckets: 1 << 14), Array(texts.prefix(90)), labels: Array(labels.prefix(90))).isEmpty)
        #expect(hits[6]?.reason.hasPrefix("label 'sports' but the classifier gives 'cooking'") == true)
    }

    @Test func labelConflictsCompareWithTheRepresentative() {
        let found = LabelConflicts.find(groups: [(2, 1), (3, 1), (5, 4)], labels: [1: "a", 2: "a", 3: "b", 4: "x", 5: "x"])
        #expect(found.map(\.0) == [3])
    }
}

@Suite struct WordTests {
    @Test(arguments: ["Don't STOP, 42 times!", "café au lait — très bien", "a_b c-d  e'f\n\tG", "", "   ...   "])
    func fastWordPathsAgreeWithTheUnicodePath(text: String) {
        let words = Lexical.words(text)
        #expect(Lexical.wordCount(text) == words.count)
        let expected = words.map { word -> UInt64 in
            var h = Lexical.fnvBasis
            for byte in word.utf8 { h = (h ^ UInt64(byte)) &* Lexical.fnvPrime }
            return h
        }
        #expect(Lexical.wordHashes(text) == expected)
    }
}
