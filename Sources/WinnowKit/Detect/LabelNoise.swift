import Foundation

/// A sparse document vector: hashed feature buckets and their weights.
public struct SparseVector: Sendable {
    public var indices: [UInt32]
    public var values: [Float]
}

/// The rows a classifier reads: sparse documents (hashed TF-IDF), or dense vectors in a
/// `VectorMatrix` (`DenseFeatureRows`), handed over in place.
public protocol FeatureRows: Sendable {
    var count: Int { get }
    /// Calls `body` with row `n`'s feature indices and their values.
    func withRow<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<Float>) -> R) -> R
}

extension Array: FeatureRows where Element == SparseVector {
    public func withRow<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<Float>) -> R) -> R {
        self[n].indices.withUnsafeBufferPointer { idx in self[n].values.withUnsafeBufferPointer { val in body(idx, val) } }
    }
}

/// Dense rows as features: row n of `matrix`, every dimension an index (the matrix may be a
/// mapped scratch file: a million rows need no heap).
public struct DenseFeatureRows: FeatureRows {
    public let matrix: VectorMatrix
    private let indices: [UInt32]

    public init(_ matrix: VectorMatrix) {
        self.matrix = matrix
        indices = (0..<UInt32(matrix.dimension)).map { $0 }
    }

    public var count: Int { matrix.rows }

    public func withRow<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<Float>) -> R) -> R {
        let d = matrix.dimension
        return indices.withUnsafeBufferPointer { idx in
            matrix.values.withUnsafeBufferPointer { v in body(idx, UnsafeBufferPointer(rebasing: v[n * d..<(n + 1) * d])) }
        }
    }
}

/// Multinomial logistic regression over hashed word unigrams and bigrams, TF-IDF weighted
/// (sublinear tf) and L2-normalised — the peer's model, trained by SGD on hashed features so
/// it needs no vocabulary. K-fold training gives out-of-fold probabilities.
public struct HashedLogisticRegression: Sendable {
    public let buckets: Int
    public let epochs: Int
    public let learningRate: Float
    public let l2: Float

    public init(buckets: Int = 1 << 18, epochs: Int = 8, learningRate: Float = 0.5, l2: Float = 1e-5) {
        self.buckets = buckets
        self.epochs = epochs
        self.learningRate = learningRate
        self.l2 = l2
    }

    /// Feature buckets with counts: lower-cased word unigrams and bigrams.
    public func counts(_ text: String) -> [(UInt32, Float)] {
        let words = Lexical.wordHashes(text)
        var hashes: [UInt32] = []
        hashes.reserveCapacity(words.count * 2)
        var previous: UInt64 = 0
        for (i, h) in words.enumerated() {
            hashes.append(UInt32(MinHash.mix(h) % UInt64(buckets)))
            if i > 0 { hashes.append(UInt32(MinHash.mix(previous &* 31 &+ h) % UInt64(buckets))) }
            previous = h
        }
        hashes.sort()
        var result: [(UInt32, Float)] = []
        for h in hashes {
            if let last = result.last, last.0 == h { result[result.count - 1].1 += 1 } else { result.append((h, 1)) }
        }
        return result
    }

    /// TF-IDF vectors (tf = 1 + ln count, idf = ln((1 + N)/(1 + df)) + 1), L2-normalised.
    public func vectors(_ counts: [[(UInt32, Float)]]) -> [SparseVector] {
        var df = [Float](repeating: 0, count: buckets)
        for doc in counts { for (b, _) in doc { df[Int(b)] += 1 } }
        let n = Float(counts.count)
        return counts.map { doc in
            var values = doc.map { (b, c) in (1 + log(c)) * (log((1 + n) / (1 + df[Int(b)])) + 1) }
            let norm = sqrt(values.reduce(0) { $0 + $1 * $1 })
            if norm > 0 { values = values.map { $0 / norm } }
            return SparseVector(indices: doc.map(\.0), values: values)
        }
    }

    /// Out-of-fold class probabilities: each document is scored by a model trained on the
    /// other folds. `labels[n]` indexes the classes; `fold[n]` is in 0..<folds. The folds are
    /// independent and train side by side on the machine's cores; `progress` hears (SGD steps
    /// done, steps in all) now and then, from one thread at a time.
    public func outOfFoldProbabilities(
        _ x: some FeatureRows, labels: [Int], classes: Int, folds: Int, fold: [Int],
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> [[Double]] {
        let members = (0..<folds).map { f in (0..<x.count).filter { fold[$0] == f } }
        let totalSteps = members.reduce(0) { $0 + epochs * (x.count - $1.count) }
        let shared = FoldWork(folds: folds, totalSteps: totalSteps, progress: progress)
        // As many folds at once as there are cores, while their models fit in 1 GiB together
        // (one at a time, as before, when a single model is that large).
        let modelBytes = 4 * buckets * classes + 4 * classes
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, (1 << 30) / max(modelBytes, 1)))
        for first in stride(from: 0, to: folds, by: width) {
            DispatchQueue.concurrentPerform(iterations: min(width, folds - first)) { k in
                let f = first + k
                let train = (0..<x.count).filter { fold[$0] != f }
                let model = self.train(x, labels: labels, classes: classes, rows: train, seed: UInt64(f) &+ 1, work: shared)
                shared.store(f, members[f].map { n in x.withRow(n) { model.probabilities($0, $1) }.map(Double.init) })
            }
        }
        var probabilities = [[Double]](repeating: [], count: x.count)
        for f in 0..<folds { for (k, n) in members[f].enumerated() { probabilities[n] = shared.results[f][k] } }
        return probabilities
    }

    /// A model trained by SGD on `rows` of `x`: `epochs` passes in a fixed-seed shuffled order,
    /// the rate decaying linearly from `learningRate` (+ 0.01).
    func train(_ x: some FeatureRows, labels: [Int], classes: Int, rows: [Int], seed: UInt64, work: FoldWork) -> Model {
        var model = Model(buckets: buckets, classes: classes)
        var order = rows
        var state = seed
        var step = 0
        let total = Float(epochs * max(rows.count, 1))
        var z = [Float](repeating: 0, count: classes)
        model.weights.withUnsafeMutableBufferPointer { w in
            model.bias.withUnsafeMutableBufferPointer { bias in
                z.withUnsafeMutableBufferPointer { z in
                    for _ in 0..<epochs {
                        // A fixed-seed shuffle per epoch.
                        for i in stride(from: order.count - 1, to: 0, by: -1) {
                            state = MinHash.mix(state)
                            order.swapAt(i, Int(state % UInt64(i + 1)))
                        }
                        var pending = 0
                        for n in order {
                            let rate = learningRate * (1 - Float(step) / total) + 0.01
                            step += 1
                            x.withRow(n) { idx, val in
                                Model.scores(idx, val, w, UnsafeBufferPointer(bias), classes, into: z)
                                Model.softmax(z)
                                // z becomes the gradient of the loss in the scores: p − onehot.
                                z[labels[n]] -= 1
                                for c in 0..<classes { bias[c] -= rate * z[c] }
                                let l2 = self.l2
                                for k in 0..<idx.count {
                                    // Bucket-major: a feature's weights for all classes are adjacent.
                                    let row = w.baseAddress! + Int(idx[k]) * classes
                                    let v = val[k]
                                    for c in 0..<classes { row[c] -= rate * (z[c] * v + l2 * row[c]) }
                                }
                            }
                            pending += 1
                            if pending == 4096 { work.advance(pending); pending = 0 }
                        }
                        work.advance(pending)
                    }
                }
            }
        }
        return model
    }

    /// The weights of one trained model, bucket-major (`weights[bucket * classes + class]`), so
    /// that a document touches a few adjacent cache lines per feature whatever the class count.
    struct Model {
        var weights: [Float]
        var bias: [Float]
        let classes: Int

        init(buckets: Int, classes: Int) {
            weights = [Float](repeating: 0, count: buckets * classes)
            bias = [Float](repeating: 0, count: classes)
            self.classes = classes
        }

        /// Class probabilities of one document.
        func probabilities(_ v: SparseVector) -> [Float] { [v].withRow(0) { probabilities($0, $1) } }

        /// Class probabilities of the document with these feature indices and values.
        func probabilities(_ idx: UnsafeBufferPointer<UInt32>, _ val: UnsafeBufferPointer<Float>) -> [Float] {
            var z = [Float](repeating: 0, count: classes)
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { bias in
                    z.withUnsafeMutableBufferPointer { z in
                        Model.scores(idx, val, UnsafeMutableBufferPointer(mutating: w), bias, classes, into: z)
                        Model.softmax(z)
                    }
                }
            }
            return z
        }

        /// z = bias + W·v, each class's sum taken over the features in order.
        @inline(__always)
        static func scores(
            _ idx: UnsafeBufferPointer<UInt32>, _ val: UnsafeBufferPointer<Float>, _ w: UnsafeMutableBufferPointer<Float>,
            _ bias: UnsafeBufferPointer<Float>, _ classes: Int, into z: UnsafeMutableBufferPointer<Float>
        ) {
            for c in 0..<classes { z[c] = 0 }
            for k in 0..<idx.count {
                let row = w.baseAddress! + Int(idx[k]) * classes
                let v = val[k]
                for c in 0..<classes { z[c] += row[c] * v }
            }
            for c in 0..<classes { z[c] = bias[c] + z[c] }
        }

        @inline(__always)
        static func softmax(_ z: UnsafeMutableBufferPointer<Float>) {
            var top = -Float.infinity
            for i in z.indices where z[i] > top { top = z[i] }
            var sum: Float = 0
            for i in z.indices { z[i] = exp(z[i] - top); sum += z[i] }
            for i in z.indices { z[i] /= sum }
        }
    }
}

/// What the folds training side by side share: their results and a step count for progress.
final class FoldWork: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [[[Double]]]
    private var done = 0
    private let totalSteps: Int
    private let progress: (@Sendable (Int, Int) -> Void)?

    init(folds: Int, totalSteps: Int, progress: (@Sendable (Int, Int) -> Void)?) {
        results = [[[Double]]](repeating: [], count: folds)
        self.totalSteps = totalSteps
        self.progress = progress
    }

    func advance(_ steps: Int) {
        guard steps > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        done += steps
        progress?(done, totalSteps)
    }

    func store(_ fold: Int, _ probabilities: [[Double]]) {
        lock.lock(); defer { lock.unlock() }
        results[fold] = probabilities
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
                // Only a positive margin is ever flagged: rank just those (the same order and cut as
                // ranking the whole row, at a fraction of the cost when there are many classes).
                let candidates = byLabel[i].compactMap { n -> (Int, Double)? in
                    let margin = probabilities[n][j] - probabilities[n][i]
                    return probabilities[n][j] > probabilities[n][i] ? (n, margin) : nil
                }
                guard !candidates.isEmpty else { continue }
                for (n, _) in candidates.sorted(by: { $0.1 > $1.1 }).prefix(count) { flagged.insert(n) }
            }
        }
        return flagged.sorted()
    }
}

/// What label-noise's classifier reads: hashed TF-IDF of the words, or the samples' feature
/// vectors (one stored model's, `detect --model`).
public enum LabelNoiseFeatures: String, Sendable, CaseIterable {
    case tfidf
    case vectors
}

/// How label-noise gets its out-of-sample probabilities: K-fold logistic regression (on either
/// feature set), or the votes of each sample's k nearest neighbours in feature space (kNN label
/// disagreement, `NeighbourVotes`; vectors only).
public enum LabelNoiseClassifier: String, Sendable, CaseIterable {
    case logistic
    case knn
}

/// Label noise: K-fold logistic regression out-of-fold probabilities, then confident
/// learning, separately for each sample kind (a store may hold sentiment texts and NLI
/// pairs whose label sets have nothing in common). Score = 1 − p(given label). The features
/// are hashed TF-IDF of word uni+bigrams, or (`features=vectors`) the samples' embeddings,
/// standardised per dimension; the same SGD trains both. With `classifier=knn` the
/// probabilities are the votes of each sample's nearest neighbours instead (`NeighbourVotes`).
/// TF-IDF is the default, vectors or not: it won the Debian benchmark (README).
public final class LabelNoiseDetector: VectorDetector {
    public let name = "label-noise"
    let folds: Int
    let model: HashedLogisticRegression
    let features: LabelNoiseFeatures
    let classifier: LabelNoiseClassifier
    /// classifier=knn: the neighbours that vote.
    let k: Int
    private var samples: [(Int64, Int64, String)] = []
    private var labels: [String] = []
    private var kinds: [SampleKind] = []
    private var counts: [[(UInt32, Float)]] = []
    private var vectors: SampleVectors?
    /// features=vectors: the row of each collected sample in `vectors` (nil: it has none).
    private var rowOf: [Int?] = []
    public private(set) var warnings: [String] = []

    public var parametersJSON: String {
        switch features {
        case .tfidf:
            return jsonObject([
                ("classifier", "\"logistic regression, TF-IDF of hashed word uni+bigrams\""), ("features", "\"tfidf\""),
                ("buckets", "\(model.buckets)"), ("epochs", "\(model.epochs)"), ("folds", "\(folds)"), ("filter", "\"prune_by_noise_rate\""),
            ])
        case .vectors where classifier == .knn:
            return jsonObject([
                ("classifier", "\"kNN label disagreement, cosine-weighted votes of the nearest neighbours\""), ("features", "\"vectors\""),
                ("model", vectors.map { JSONText.quote($0.model.name) } ?? "null"), ("k", "\(k)"), ("filter", "\"prune_by_noise_rate\""),
            ])
        case .vectors:
            return jsonObject([
                ("classifier", "\"logistic regression, standardised embedding\""), ("features", "\"vectors\""),
                ("model", vectors.map { JSONText.quote($0.model.name) } ?? "null"), ("epochs", "\(model.epochs)"),
                ("folds", "\(folds)"), ("filter", "\"prune_by_noise_rate\""),
            ])
        }
    }

    public var wantsVectors: Bool { features == .vectors }

    /// A kind's labelled samples are checked only from this many on, with this many per label.
    public static let minimumSamples = 100
    public static let minimumPerLabel = 10

    public init(
        folds: Int = 5, buckets: Int = 1 << 18, epochs: Int = 8, features: LabelNoiseFeatures = .tfidf,
        classifier: LabelNoiseClassifier = .logistic, k: Int = 10
    ) {
        precondition(classifier == .logistic || features == .vectors, "kNN label disagreement reads feature vectors")
        self.folds = folds
        self.features = features
        self.classifier = classifier
        self.k = k
        model = HashedLogisticRegression(buckets: buckets, epochs: epochs)
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        guard let label = s.label else { return [] }
        samples.append((s.sampleID, s.contentID, s.uid))
        labels.append(label)
        kinds.append(s.content.kind)
        counts.append(features == .tfidf ? model.counts(s.text) : [])
        return []
    }

    public func use(_ vectors: SampleVectors) { self.vectors = vectors }

    public func finish() -> [DetectorHit] { finish(progress: { _, _, _ in }) }

    /// Trains and checks each sample kind in turn; `progress` counts SGD steps over all of them.
    public func finish(progress: @escaping DetectProgressHandler) -> [DetectorHit] {
        var usable = Array(samples.indices)
        if features == .vectors {
            let rows = Dictionary(uniqueKeysWithValues: (vectors?.sampleIDs ?? []).enumerated().map { ($1, $0) })
            rowOf = samples.map { rows[$0.0] }
            usable = usable.filter { rowOf[$0] != nil }
            let missing = samples.count - usable.count
            if missing > 0 {
                warnings.append(
                    "label-noise: \(missing) labelled sample\(missing == 1 ? "" : "s") without a vector \(missing == 1 ? "was" : "were") not checked (features=vectors); run `winnow embed` first, or --set label-noise.features=tfidf"
                )
            }
        }
        let groups = SampleKind.allCases.map { kind in usable.filter { kinds[$0] == kind } }
        let checked = groups.filter(isCheckable)
        let total = checked.reduce(0) { $0 + steps($1.count) }
        var before = 0
        var hits: [DetectorHit] = []
        for members in checked {
            // Steps of the kinds before this one, so one count runs from 0 to `total`.
            let offset = before
            hits += find(in: members) { [unit] done, _ in progress(min(offset + done, total), total, unit) }
            before += steps(members.count)
        }
        if total > 0 { progress(total, total, unit) }
        return hits.sorted { $0.sampleID < $1.sampleID }
    }

    /// SGD steps of K-fold training on n samples: each is in the training set of K − 1 folds
    /// (kNN: the n samples whose neighbours are found).
    private func steps(_ n: Int) -> Int { classifier == .knn ? n : model.epochs * (folds - 1) * n }

    /// What `steps` counts, for progress.
    private var unit: String { classifier == .knn ? "samples" : "steps" }

    /// A kind's samples are checked only with at least two labels, `minimumSamples` samples and
    /// `minimumPerLabel` per label: too few give a model too weak for its out-of-fold
    /// probabilities to mean much.
    private func isCheckable(_ members: [Int]) -> Bool {
        var perClass: [String: Int] = [:]
        for m in members { perClass[labels[m], default: 0] += 1 }
        return perClass.count >= 2 && members.count >= LabelNoiseDetector.minimumSamples
            && perClass.values.allSatisfy { $0 >= LabelNoiseDetector.minimumPerLabel }
    }

    /// Confident learning over one group of samples (indices into the collected arrays).
    private func find(in members: [Int], progress: @escaping @Sendable (Int, Int) -> Void) -> [DetectorHit] {
        let classes = Array(Set(members.map { labels[$0] })).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let y = members.map { index[labels[$0]]! }
        // Deterministic folds from the sample id.
        let fold = members.map { Int(MinHash.mix(UInt64(bitPattern: samples[$0].0)) % UInt64(folds)) }
        let p: [[Double]]
        if features == .vectors, let vectors {
            let rows = members.map { rowOf[$0]! }
            switch classifier {
            case .knn:
                // All the matrix's rows in order: the matrix itself; else these rows searched in place.
                p = NeighbourVotes.probabilities(
                    vectors.matrix, labels: y, classes: classes.count, k: k, among: rows.elementsEqual(0..<vectors.matrix.rows) ? nil : rows)
                progress(members.count, members.count)
            case .logistic:
                let regression = HashedLogisticRegression(buckets: vectors.matrix.dimension, epochs: model.epochs)
                let x: DenseFeatureRows
                do {
                    x = try LabelNoiseDetector.standardised(vectors.matrix, rows: rows)
                } catch {
                    warnings.append("\(error); the standardised vectors were held in memory instead")
                    x = LabelNoiseDetector.standardisedOnHeap(vectors.matrix, rows: rows)
                }
                p = regression.outOfFoldProbabilities(x, labels: y, classes: classes.count, folds: folds, fold: fold, progress: progress)
            }
        } else {
            let x = model.vectors(members.map { counts[$0] })
            p = model.outOfFoldProbabilities(x, labels: y, classes: classes.count, folds: folds, fold: fold, progress: progress)
        }
        let knn = features == .vectors && classifier == .knn
        let (judge, how) = knn ? ("its \(k) nearest neighbours give", "by cosine-weighted vote") : ("the classifier gives", "out of fold")
        return ConfidentLearning.findLabelIssues(probabilities: p, labels: y, classes: classes.count).map { n in
            let given = y[n]
            let predicted = p[n].indices.max { p[n][$0] < p[n][$1] } ?? given
            let sample = samples[members[n]]
            return DetectorHit(
                sampleID: sample.0, contentID: sample.1, score: 1 - p[n][given],
                reason: "label '\(classes[given])' but \(judge) '\(classes[predicted])' \(String(format: "%.2f", p[n][predicted])) (\(how))",
                details: jsonObject([
                    ("given", JSONText.quote(classes[given])), ("predicted", JSONText.quote(classes[predicted])),
                    ("p_given", jsonNumber(p[n][given])), ("p_predicted", jsonNumber(p[n][predicted])),
                ]))
        }
    }

    /// The rows of `matrix` as dense features: each dimension centred and scaled to unit
    /// variance over these rows, then divided by √dimension so a row's expected squared length
    /// is 1, as a TF-IDF vector's is (the same SGD rate suits both). Centring removes the
    /// direction all sentence embeddings share, which carries no class.
    /// As large as the vectors themselves: past `threshold` bytes into a mapped scratch file, not the heap.
    static func standardised(_ matrix: VectorMatrix, rows: [Int], threshold: Int = VectorScratch.threshold) throws -> DenseFeatureRows {
        guard rows.count * matrix.dimension * MemoryLayout<Float>.stride >= threshold else { return standardisedOnHeap(matrix, rows: rows) }
        let writer = try VectorScratch.Writer(dimension: matrix.dimension)
        try standardise(matrix, rows: rows) { try writer.append($0) }
        return DenseFeatureRows(try writer.finish(normalized: false))
    }

    /// `standardised` on the heap, whatever the size (when no scratch file can be written).
    static func standardisedOnHeap(_ matrix: VectorMatrix, rows: [Int]) -> DenseFeatureRows {
        var heap: [Float] = []
        heap.reserveCapacity(rows.count * matrix.dimension)
        standardise(matrix, rows: rows) { heap.append(contentsOf: $0) }
        return DenseFeatureRows(VectorMatrix(dimension: matrix.dimension, values: heap))
    }

    /// Hands `emit` each of `rows` of `matrix` standardised, in order.
    private static func standardise(_ matrix: VectorMatrix, rows: [Int], _ emit: (UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let d = matrix.dimension
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        matrix.values.withUnsafeBufferPointer { v in
            for r in rows {
                for j in 0..<d {
                    let x = Double(v[r * d + j])
                    mean[j] += x
                    square[j] += x * x
                }
            }
        }
        let n = Double(max(rows.count, 1))
        let scale = (0..<d).map { j -> Float in
            let m = mean[j] / n
            let variance = max(square[j] / n - m * m, 0)
            return variance > 1e-12 ? Float(1 / (variance.squareRoot() * Double(d).squareRoot())) : 0
        }
        let shift = mean.map { Float($0 / n) }
        var row = [Float](repeating: 0, count: d)
        try matrix.values.withUnsafeBufferPointer { v in
            for r in rows {
                for j in 0..<d { row[j] = (v[r * d + j] - shift[j]) * scale[j] }
                try row.withUnsafeBufferPointer { try emit($0) }
            }
        }
    }
}
