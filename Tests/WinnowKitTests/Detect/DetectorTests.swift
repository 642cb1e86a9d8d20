import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// Feeds texts (ids 1, 2, …) through a detector and returns the flagged ids.
func run(_ detector: Detector, _ texts: [String], labels: [String?]? = nil) -> [Int64: DetectorHit] {
    var hits: [DetectorHit] = []
    for (i, text) in texts.enumerated() {
        let s = DetectSample(
            sampleID: Int64(i + 1), contentID: Int64(i + 1), uid: "s\(i + 1)",
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
        #expect(
            d.observe(
                DetectSample(
                    sampleID: 2, contentID: 2, uid: "b", label: nil,
                    content: .instruction(instruction: "Summarise", input: "", output: "  "))
            ).first?.reason == "output is empty")
        #expect(
            d.observe(
                DetectSample(
                    sampleID: 3, contentID: 3, uid: "c", label: nil,
                    content: .instruction(instruction: "Say hi", input: "", output: "hi"))
            ).isEmpty)
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
        let hits = run(
            try BoilerplateDetector(),
            [
                "Great phone. All Rights Reserved 2024.", "We reserved all the seats.",
                "see http://a.com http://b.com http://c.com http://d.com", "one link http://a.com",
            ])
        #expect(Set(hits.keys) == [1, 3])
        #expect(hits[1]?.reason == "boilerplate: 'all rights reserved'")
        #expect(hits[3]?.reason == "boilerplate: '4 URLs'")
        #expect(throws: WinnowError.self) { try BoilerplateDetector(patterns: ["("]) }
    }

    @Test func repetitionOfLinesAndTrigrams() {
        let hits = run(
            RepetitionDetector(),
            [
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
        let hits = run(
            PIIDetector(),
            [
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
        // Issue 18 item 8: a phone number written without separators.
        let unformatted = run(PIIDetector(), ["Call 09061701461 now to claim", "see https://example.com/status/48213907561"])
        #expect(unformatted[1]?.reason == "contains phone number")
        #expect(unformatted[2] == nil)
        #expect(!PIIDetector.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
    }
}

@Suite struct NearDuplicateTests {
    /// A deterministic word soup.
    static func text(_ seed: UInt64, words: Int) -> [String] {
        var state = seed
        return (0..<words).map { _ in
            state = MinHash.mix(state); return "w\(state % 5000)"
        }
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
        near[150] = "changed" // one word changed: Jaccard ≈ 0.97
        let nearer = Self.text(1, words: 300).joined(separator: " ") + " extra"
        let unrelated = Self.text(2, words: 300).joined(separator: " ")
        let hits = run(NearDuplicateDetector(), [base, unrelated, near.joined(separator: " "), nearer])
        #expect(Set(hits.keys) == [3, 4])
        #expect(hits[3]?.reason.hasPrefix("96% similar to s1") == true)
        #expect(hits[3]?.details.contains("\"representative\":\"s1\"") == true)
        #expect((hits[4]?.score ?? 0) > 0.98)
    }

    /// Three full batches and a part, signed on all cores: every signature must come back (a
    /// lost one crashed `insert`, issue 13), so exactly the planted copies are flagged, each time.
    @Test func parallelBatchesLoseNoSignature() {
        let n = 3 * NearDuplicateDetector.batchSize + 100
        var texts = (0..<n).map { Self.text(UInt64(10_000 + $0), words: 8).joined(separator: " ") }
        let planted = Set(stride(from: 1000, to: n, by: 1000))
        for k in planted { texts[k] = texts[k - 500] }
        for _ in 0..<3 {
            let hits = run(NearDuplicateDetector(), texts)
            #expect(Set(hits.keys) == Set(planted.map { Int64($0 + 1) }))
        }
    }

    @Test func belowTheThresholdIsNotFlagged() {
        var half = Self.text(3, words: 200)
        for i in stride(from: 0, to: 200, by: 4) { half[i] = "z\(i)" }
        let hits = run(NearDuplicateDetector(threshold: 0.8), [Self.text(3, words: 200).joined(separator: " "), half.joined(separator: " ")])
        #expect(hits.isEmpty)
    }
}

/// Progress reports heard from any thread.
final class Reports<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func add(_ item: T) { lock.lock(); items.append(item); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
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
            let vocab = [
                ["match", "goal", "striker", "league", "coach"], ["senate", "vote", "budget", "minister", "law"],
                ["recipe", "oven", "flour", "butter", "sugar"],
            ][topic]
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

    /// The class-major, one-fold-at-a-time trainer label-noise had before issue 18 (copied): the
    /// reference the faster one must agree with.
    static func referenceProbabilities(
        _ lr: HashedLogisticRegression, _ x: [SparseVector], labels: [Int], classes: Int,
        folds: Int, fold: [Int]
    ) -> [[Double]] {
        let buckets = lr.buckets
        func scores(_ v: SparseVector, _ w: [Float], _ bias: [Float]) -> [Float] {
            var z = bias
            for c in 0..<classes {
                var s: Float = 0
                for (k, b) in v.indices.enumerated() { s += w[c * buckets + Int(b)] * v.values[k] }
                z[c] += s
            }
            let top = z.max() ?? 0
            var sum: Float = 0
            for i in z.indices { z[i] = exp(z[i] - top); sum += z[i] }
            for i in z.indices { z[i] /= sum }
            return z
        }
        var probabilities = [[Double]](repeating: [], count: x.count)
        for f in 0..<folds {
            var order = x.indices.filter { fold[$0] != f }
            var w = [Float](repeating: 0, count: classes * buckets)
            var bias = [Float](repeating: 0, count: classes)
            var state: UInt64 = UInt64(f) &+ 1
            var step = 0
            let total = Float(lr.epochs * max(order.count, 1))
            for _ in 0..<lr.epochs {
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    state = MinHash.mix(state)
                    order.swapAt(i, Int(state % UInt64(i + 1)))
                }
                for n in order {
                    let rate = lr.learningRate * (1 - Float(step) / total) + 0.01
                    step += 1
                    let p = scores(x[n], w, bias)
                    for c in 0..<classes {
                        let g = p[c] - (c == labels[n] ? 1 : 0)
                        bias[c] -= rate * g
                        for (k, b) in x[n].indices.enumerated() {
                            let i = c * buckets + Int(b)
                            w[i] -= rate * (g * x[n].values[k] + lr.l2 * w[i])
                        }
                    }
                }
            }
            for n in x.indices where fold[n] == f { probabilities[n] = scores(x[n], w, bias).map(Double.init) }
        }
        return probabilities
    }

    /// Issue 18 item 7: the bucket-major weights and folds trained side by side change the cost,
    /// not the model — the same probabilities, bit for bit, as the class-major trainer.
    @Test func fasterTrainingGivesTheSameProbabilitiesAsBefore() {
        let lr = HashedLogisticRegression(buckets: 1 << 12, epochs: 3)
        var counts: [[(UInt32, Float)]] = []
        var labels: [Int] = []
        let topics = (0..<7).map { t in (0..<6).map { "w\(t)x\($0)" } }
        for i in 0..<280 {
            let t = i % 7
            counts.append(lr.counts((0..<10).map { topics[($0 % 3 == 0) ? (t + i) % 7 : t][($0 * 5 + i) % 6] }.joined(separator: " ") + " n\(i % 13)"))
            labels.append(t)
        }
        let x = lr.vectors(counts)
        let fold = (0..<280).map { Int(MinHash.mix(UInt64($0)) % 5) }
        let steps = Reports<Int>()
        let fast = lr.outOfFoldProbabilities(x, labels: labels, classes: 7, folds: 5, fold: fold) { done, total in
            #expect(total == 3 * 4 * 280)
            steps.add(done)
        }
        #expect(fast == Self.referenceProbabilities(lr, x, labels: labels, classes: 7, folds: 5, fold: fold))
        let seen = steps.all
        #expect(seen == seen.sorted() && seen.last == 3 * 4 * 280)
    }

    /// Ranking only the positive margins flags what ranking each whole row did.
    @Test func confidentLearningRanksLikeTheFullSort() {
        var state: UInt64 = 42
        func uniform() -> Double { state = MinHash.mix(state); return Double(state % 1_000_000) / 1_000_000 }
        let classes = 6
        var p: [[Double]] = []
        var y: [Int] = []
        for n in 0..<600 {
            let label = n % classes
            var row = (0..<classes).map { _ in uniform() }
            row[label] += n % 9 == 0 ? 0 : 2
            let sum = row.reduce(0, +)
            p.append(row.map { $0 / sum })
            y.append(label)
        }
        // The ranking before issue 18: each (i, j) sorted the whole of row i.
        let t = ConfidentLearning.thresholds(probabilities: p, labels: y, classes: classes)
        let joint = ConfidentLearning.confidentJoint(probabilities: p, labels: y, thresholds: t)
        var expected = Set<Int>()
        for i in 0..<classes {
            let members = y.indices.filter { y[$0] == i }
            let rowSum = joint[i].reduce(0, +)
            guard rowSum > 0 else { continue }
            for j in 0..<classes where j != i {
                let count = Int((Double(joint[i][j]) / Double(rowSum) * Double(members.count)).rounded())
                let ranked = members.sorted { (p[$0][j] - p[$0][i]) > (p[$1][j] - p[$1][i]) }
                for n in ranked.prefix(count) where p[n][j] > p[n][i] { expected.insert(n) }
            }
        }
        #expect(!expected.isEmpty)
        #expect(ConfidentLearning.findLabelIssues(probabilities: p, labels: y, classes: classes) == expected.sorted())
    }

    /// Training reports SGD steps over all kinds, ending at the total.
    @Test func labelNoiseTrainingReportsItsSteps() {
        let detector = LabelNoiseDetector(folds: 5, buckets: 1 << 12, epochs: 2)
        for i in 0..<120 {
            let content = SampleContent.text(["alpha beta gamma", "delta epsilon zeta", "eta theta iota"][i % 3] + " \(i)")
            _ = detector.observe(
                DetectSample(
                    sampleID: Int64(i + 1), contentID: Int64(i + 1), uid: "s\(i)",
                    label: ["a", "b", "c"][i % 3], content: content))
        }
        let seen = Reports<(Int, Int, String)>()
        _ = detector.finish { done, total, unit in seen.add((done, total, unit)) }
        let reports = seen.all
        #expect(reports.last.map { $0.0 == 2 * 4 * 120 && $0.1 == 2 * 4 * 120 && $0.2 == "steps" } == true)
        #expect(reports.map(\.0) == reports.map(\.0).sorted())
    }

    /// Issue 12: label-conflict has one producer. `detect` raises the import's flag again, the
    /// same reason and details, for the first record that brought the other label.
    @Test func detectRaisesTheImportsLabelConflictFlagAgain() throws {
        let dir = TempDir()
        let path = dir.write(
            "a.jsonl",
            """
            {"id": "1", "text": "Hello world", "label": "pos"}
            {"id": "2", "text": "  hello world", "label": "pos"}
            {"id": "3", "text": "Hello   world\\r\\n", "label": "neg"}
            {"id": "5", "text": "Hello world", "label": "aaa"}
            """)
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(path)
        let flag = "SELECT reason || ' ' || details FROM flags WHERE detector = 'label-conflict' AND status = 'open'"
        let imported = try store.read { try String.fetchAll($0, sql: flag) }
        #expect(imported == [#"same content labelled 'pos' before and 'neg' at a.jsonl:3 {"labels":["pos","neg"],"file":"\#(path)","line":3}"#])
        let run = try store.detect([.labelConflict], config: DetectConfig())
        #expect(run.runs.map(\.flagged) == [1])
        #expect(try store.read { try String.fetchAll($0, sql: flag) } == imported)
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

/// Issue 18 item 8: the rule for phone numbers written without separators, and the ids it leaves alone.
@Suite struct UnformattedPhoneTests {
    @Test(arguments: [
        ("URGENT! Call 09061701461 to claim", ["09061701461"]),
        ("text +447700900123 now.", ["+447700900123"]),
        ("ring 07700900123.", ["07700900123"]),
        ("(09061701461) or 0800 123 4567", ["09061701461"]),
        ("Tel: 2125550143, fax 2125550199", ["2125550143", "2125550199"]),
        ("US 18005550199 toll free", ["18005550199"]),
        ("+12125550143", ["+12125550143"]),
        ("\"08712300220\"", ["08712300220"]),
    ])
    func phoneNumbers(text: String, expected: [String]) {
        #expect(PIIDetector.unformattedPhoneNumbers(text) == expected)
    }

    @Test(arguments: [
        "123e4567-e89b-12d3-a456-426614174000", // uuid, its last group all digits
        "426614174000-e89b", // a uuid-like group before a hyphen
        "sha da39a3ee5e6b4b0d3255bfef95601890afd80709", // hex hash
        "commit 1234567890abcdef1234567890abcdef12345678",
        "https://x.com/user/status/1234567890123", // numeric id in a URL path
        "https://shop.example/item?id=5550123456&ref=2", // query id
        "/var/lib/9061701461/data", // path segment
        "issue #4567890123", // numbered reference
        "version 10.0.19041234567", // version string
        "build 2.1.4056789123",
        "pi is 3.14159265358979", // decimals
        "total 12345678901.50",
        "1700000000", // Unix seconds
        "at 1700000000123 ms", // Unix milliseconds
        "202401311200 backup", // yyyymmddhhmm
        "2023-10-05T1200000000", // stuck to a letter
        "ISBN 9780306406157", // ISBN-13 with a valid check digit
        "0000000000 and 99999999999", // placeholders
        "call09061701461", // part of a longer token
        "09061701461abc",
        "id_09061701461",
        "user@09061701461",
        "£1234567890 or $9061701461", // amounts
        "12:09061701461", // after a time's colon
        "123456789", // too short
        "12345678901234", // too long (14 digits)
        "4111111111111111", // a card number is the card rule's
    ])
    func identifiersAreNotPhoneNumbers(text: String) {
        #expect(PIIDetector.unformattedPhoneNumbers(text).isEmpty, "\(PIIDetector.unformattedPhoneNumbers(text))")
    }
}
