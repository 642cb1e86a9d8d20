import Foundation

/// A multinomial naive Bayes text classifier over hashed word unigrams and bigrams (each
/// counted once per document), trained K-fold to give out-of-fold probabilities.
public struct HashedNaiveBayes {
    public let buckets: Int
    public let alpha: Double

    public init(buckets: Int = 1 << 18, alpha: Double = 0.5) {
        self.buckets = buckets
        self.alpha = alpha
    }

    /// The feature buckets of a text: unigrams and bigrams of its lower-cased words, unique.
    public func features(_ text: String) -> [UInt32] {
        let words = Lexical.words(text)
        var hashes: [UInt32] = []
        hashes.reserveCapacity(words.count * 2)
        var previous: UInt64 = 0
        for (i, word) in words.enumerated() {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hashes.append(UInt32(MinHash.mix(h) % UInt64(buckets)))
            if i > 0 { hashes.append(UInt32(MinHash.mix(previous &* 31 &+ h) % UInt64(buckets))) }
            previous = h
        }
        hashes.sort()
        var unique: [UInt32] = []
        unique.reserveCapacity(hashes.count)
        for h in hashes where unique.last != h { unique.append(h) }
        return unique
    }

    /// Out-of-fold class probabilities: each document is scored by a model trained on the
    /// other folds. `labels[n]` indexes `classes`; `fold[n]` is in 0..<folds.
    public func outOfFoldProbabilities(features: [[UInt32]], labels: [Int], classes: Int, folds: Int, fold: [Int]) -> [[Double]] {
        // Counts per fold, so each fold's model is the total minus its own counts.
        var featureCounts = [[Float]](repeating: [Float](repeating: 0, count: classes * buckets), count: folds)
        var docCounts = [[Double]](repeating: [Double](repeating: 0, count: classes), count: folds)
        var tokenCounts = [[Double]](repeating: [Double](repeating: 0, count: classes), count: folds)
        for n in features.indices {
            let f = fold[n], c = labels[n]
            docCounts[f][c] += 1
            tokenCounts[f][c] += Double(features[n].count)
            featureCounts[f].withUnsafeMutableBufferPointer { counts in
                for b in features[n] { counts[c * buckets + Int(b)] += 1 }
            }
        }
        var totalFeature = [Float](repeating: 0, count: classes * buckets)
        for f in 0..<folds { for i in 0..<totalFeature.count { totalFeature[i] += featureCounts[f][i] } }
        let totalDocs = (0..<classes).map { c in (0..<folds).reduce(0.0) { $0 + docCounts[$1][c] } }
        let totalTokens = (0..<classes).map { c in (0..<folds).reduce(0.0) { $0 + tokenCounts[$1][c] } }

        var probabilities = [[Double]](repeating: [], count: features.count)
        for f in 0..<folds {
            // log P(feature | class) for this fold's model, filled lazily per feature.
            let docs = (0..<classes).map { totalDocs[$0] - docCounts[f][$0] }
            let allDocs = docs.reduce(0, +)
            let priors = docs.map { log(($0 + 1) / (allDocs + Double(classes))) }
            let denominators = (0..<classes).map { log(totalTokens[$0] - tokenCounts[f][$0] + alpha * Double(buckets)) }
            // log(count + α) for every class and bucket of this fold's model, computed once.
            var logCounts = [Float](repeating: 0, count: classes * buckets)
            for i in 0..<logCounts.count {
                logCounts[i] = Float(log(Double(totalFeature[i] - featureCounts[f][i]) + alpha))
            }
            for n in features.indices where fold[n] == f {
                var scores = priors
                logCounts.withUnsafeBufferPointer { table in
                    for c in 0..<classes {
                        var s: Float = 0
                        let base = c * buckets
                        for b in features[n] { s += table[base + Int(b)] }
                        scores[c] += Double(s) - Double(features[n].count) * denominators[c]
                    }
                }
                let top = scores.max() ?? 0
                let exps = scores.map { exp($0 - top) }
                let sum = exps.reduce(0, +)
                probabilities[n] = exps.map { $0 / sum }
            }
        }
        return probabilities
    }
}

/// Confident learning (Northcutt, Jiang & Chuang, 2021) on out-of-fold probabilities.
public enum ConfidentLearning {
    /// Per-class thresholds t_j: the mean predicted probability of class j over the samples labelled j.
    public static func thresholds(probabilities: [[Double]], labels: [Int], classes: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: classes)
        var counts = [Double](repeating: 0, count: classes)
        for (p, y) in zip(probabilities, labels) { sums[y] += p[y]; counts[y] += 1 }
        return (0..<classes).map { counts[$0] > 0 ? sums[$0] / counts[$0] : 1 }
    }

    /// The confident joint C[i][j]: samples labelled i whose most likely class among those
    /// at or above their threshold is j.
    public static func confidentJoint(probabilities: [[Double]], labels: [Int], thresholds: [Double]) -> [[Int]] {
        let classes = thresholds.count
        var joint = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, y) in zip(probabilities, labels) {
            var best = -1
            for j in 0..<classes where p[j] >= thresholds[j] {
                if best < 0 || p[j] > p[best] { best = j }
            }
            if best >= 0 { joint[y][best] += 1 }
        }
        return joint
    }

    /// Indices of likely label errors, cleanlab's `prune_by_noise_rate`: the confident joint is
    /// calibrated to the label counts, and for each off-diagonal (i, j) the round(C̃[i][j])
    /// samples labelled i with the largest margin p_j − p_i are flagged.
    public static func findLabelIssues(probabilities: [[Double]], labels: [Int], classes: Int) -> [Int] {
        let t = thresholds(probabilities: probabilities, labels: labels, classes: classes)
        let joint = confidentJoint(probabilities: probabilities, labels: labels, thresholds: t)
        var labelCounts = [Int](repeating: 0, count: classes)
        for y in labels { labelCounts[y] += 1 }
        var flagged = Set<Int>()
        var byLabel = [[Int]](repeating: [], count: classes)
        for (n, y) in labels.enumerated() { byLabel[y].append(n) }
        for i in 0..<classes {
            let rowSum = joint[i].reduce(0, +)
            guard rowSum > 0 else { continue }
            for j in 0..<classes where j != i {
                let calibrated = Double(joint[i][j]) / Double(rowSum) * Double(labelCounts[i])
                let count = Int(calibrated.rounded())
                guard count > 0 else { continue }
                let ranked = byLabel[i].sorted {
                    (probabilities[$0][j] - probabilities[$0][i]) > (probabilities[$1][j] - probabilities[$1][i])
                }
                for n in ranked.prefix(count) where probabilities[n][j] > probabilities[n][i] { flagged.insert(n) }
            }
        }
        return flagged.sorted()
    }
}

/// Label noise: K-fold naive Bayes out-of-fold probabilities, then confident learning.
/// Score = 1 − p(given label).
public final class LabelNoiseDetector: Detector {
    public let name = "label-noise"
    let folds: Int
    let model: HashedNaiveBayes
    private var samples: [(Int64, Int64, String)] = []
    private var labels: [String] = []
    private var features: [[UInt32]] = []

    public var parametersJSON: String {
        jsonObject([("classifier", "\"naive Bayes, hashed word uni+bigrams\""), ("buckets", "\(model.buckets)"),
                    ("alpha", jsonNumber(model.alpha)), ("folds", "\(folds)"), ("filter", "\"prune_by_noise_rate\"")])
    }

    public init(folds: Int = 5, buckets: Int = 1 << 18, alpha: Double = 0.5) {
        self.folds = folds
        model = HashedNaiveBayes(buckets: buckets, alpha: alpha)
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        guard let label = s.label else { return [] }
        samples.append((s.sampleID, s.contentID, s.uid))
        labels.append(label)
        features.append(model.features(s.text))
        return []
    }

    public func finish() -> [DetectorHit] {
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2, samples.count >= folds * 2 else { return [] }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let y = labels.map { index[$0]! }
        // Deterministic folds from the sample id.
        let fold = samples.map { Int(MinHash.mix(UInt64(bitPattern: $0.0)) % UInt64(folds)) }
        let p = model.outOfFoldProbabilities(features: features, labels: y, classes: classes.count, folds: folds, fold: fold)
        return ConfidentLearning.findLabelIssues(probabilities: p, labels: y, classes: classes.count).map { n in
            let given = y[n]
            let predicted = p[n].indices.max { p[n][$0] < p[n][$1] } ?? given
            return DetectorHit(
                sampleID: samples[n].0, contentID: samples[n].1, score: 1 - p[n][given],
                reason: "label '\(classes[given])' but the classifier gives '\(classes[predicted])' \(String(format: "%.2f", p[n][predicted])) (out of fold)",
                details: jsonObject([("given", JSONText.quote(classes[given])), ("predicted", JSONText.quote(classes[predicted])),
                                     ("p_given", jsonNumber(p[n][given])), ("p_predicted", jsonNumber(p[n][predicted]))]))
        }
    }
}

/// The same or near-duplicate content under different labels.
public enum LabelConflicts {
    /// Members whose label differs from their group representative's.
    public static func find(groups: [(sampleID: Int64, representativeID: Int64)], labels: [Int64: String]) -> [(Int64, Int64, String, String)] {
        var result: [(Int64, Int64, String, String)] = []
        for (sample, representative) in groups {
            guard let a = labels[sample], let b = labels[representative], a != b else { continue }
            result.append((sample, representative, a, b))
        }
        return result
    }
}
