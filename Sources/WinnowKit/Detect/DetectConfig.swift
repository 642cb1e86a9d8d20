import Foundation
import Yams

/// Detector parameters with their documented defaults; set by `--set DETECTOR.KEY=VALUE`
/// or a YAML/JSON config file `{DETECTOR: {KEY: VALUE}}`.
public struct DetectConfig: Sendable {
    public var minWords = 3
    public var maxWords = 4000
    public var outlierZ = 3.5
    public var nearThreshold = 0.8
    public var nearBands = 32
    public var nearRows = 4
    public var boilerplatePatterns = BoilerplateDetector.defaultPatterns
    public var maxURLs = 3
    public var maxDuplicateLines = 0.3
    public var maxTop3gram = 0.2
    public var folds = 5
    public var buckets = 1 << 18
    public var epochs = 8
    /// label-noise's features; nil: tfidf, or vectors for classifier=knn (which votes in feature
    /// space). TF-IDF stays the default on a store with vectors: it won the Debian benchmark
    /// (README, "label-noise on vectors").
    public var labelNoiseFeatures: LabelNoiseFeatures?
    /// label-noise's classifier (default logistic).
    public var labelNoiseClassifier = LabelNoiseClassifier.logistic
    public var labelNoiseK = 10
    public var semanticThreshold = 0.95
    public var outlierK = 10
    public var vectorOutlierZ = 3.5
    /// The stored model the vector detectors read (`detect --model NAME`); nil: the only one.
    public var model: String?

    public init() {}

    /// Every settable key with its default, for help and the README.
    public static let keys: [(String, String)] = [
        ("too-short.min_words", "3"), ("too-long.max_words", "4000"), ("length-outlier.z", "3.5"),
        ("near-duplicate.threshold", "0.8"), ("near-duplicate.bands", "32"), ("near-duplicate.rows", "4"),
        ("semantic-duplicate.threshold", "0.95"), ("outlier.k", "10"), ("outlier.z", "3.5"),
        ("boilerplate.patterns", "(list of regexes)"), ("boilerplate.max_urls", "3"),
        ("repetition.max_duplicate_line_share", "0.3"), ("repetition.max_top_3gram_share", "0.2"),
        ("label-noise.folds", "5"), ("label-noise.buckets", "262144"), ("label-noise.epochs", "8"),
        ("label-noise.features", "tfidf"), ("label-noise.classifier", "logistic"),
        ("label-noise.k", "10"),
    ]

    /// Sets one parameter from text; `where` prefixes error messages.
    public mutating func set(_ key: String, _ value: String, where place: String = "--set") throws {
        func int(_ range: ClosedRange<Int>) throws -> Int {
            guard let n = Int(value), range.contains(n) else {
                throw WinnowError.invalidArgument("\(place) \(key)=\(value): expected a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return n
        }
        func double(_ range: ClosedRange<Double>) throws -> Double {
            guard let x = Double(value), range.contains(x) else {
                throw WinnowError.invalidArgument("\(place) \(key)=\(value): expected a number in \(range.lowerBound)…\(range.upperBound)")
            }
            return x
        }
        switch key {
        case "too-short.min_words": minWords = try int(1...1_000_000)
        case "too-long.max_words": maxWords = try int(1...100_000_000)
        case "length-outlier.z": outlierZ = try double(0.5...100)
        case "near-duplicate.threshold": nearThreshold = try double(0.05...1)
        case "near-duplicate.bands": nearBands = try int(1...512)
        case "near-duplicate.rows": nearRows = try int(1...64)
        case "semantic-duplicate.threshold": semanticThreshold = try double(0.5...1)
        case "outlier.k": outlierK = try int(1...1000)
        case "outlier.z": vectorOutlierZ = try double(0.5...100)
        case "boilerplate.max_urls": maxURLs = try int(0...100_000)
        case "boilerplate.patterns": boilerplatePatterns = [value]
        case "repetition.max_duplicate_line_share": maxDuplicateLines = try double(0...1)
        case "repetition.max_top_3gram_share": maxTop3gram = try double(0...1)
        case "label-noise.folds": folds = try int(2...50)
        case "label-noise.buckets": buckets = try int(1024...(1 << 24))
        case "label-noise.epochs": epochs = try int(1...100)
        case "label-noise.features":
            guard let f = LabelNoiseFeatures(rawValue: value) else {
                throw WinnowError.invalidArgument("\(place) \(key)=\(value): expected tfidf or vectors")
            }
            labelNoiseFeatures = f
        case "label-noise.classifier":
            guard let c = LabelNoiseClassifier(rawValue: value) else {
                throw WinnowError.invalidArgument("\(place) \(key)=\(value): expected logistic or knn")
            }
            labelNoiseClassifier = c
        case "label-noise.k": labelNoiseK = try int(1...1000)
        default:
            throw WinnowError.invalidArgument("\(place): unknown parameter '\(key)'; parameters are \(DetectConfig.keys.map(\.0).joined(separator: ", "))")
        }
    }

    /// Applies a config file: `{DETECTOR: {KEY: VALUE}}`, YAML or JSON.
    public mutating func load(_ text: String, file: String) throws {
        guard let root = try YAMLDocument.root(text, file: file) else { return }
        guard let detectors = root.mapping else {
            throw WinnowError.invalidArgument("\(file): expected DETECTOR: {KEY: VALUE}")
        }
        for (detector, body) in detectors {
            guard let params = body.mapping else {
                throw WinnowError.invalidArgument("\(file):\(body.mark?.line ?? 0): \(detector.string ?? "") must map parameters to values")
            }
            for (key, value) in params {
                let name = "\(detector.string ?? "").\(key.string ?? "")"
                let place = "\(file):\(value.mark?.line ?? 0):"
                if name == "boilerplate.patterns" {
                    guard let list = value.sequence?.compactMap(\.string) else {
                        throw WinnowError.invalidArgument("\(place) boilerplate.patterns must be a list of regexes")
                    }
                    boilerplatePatterns = list
                } else {
                    try set(name, value.string ?? "", where: place)
                }
            }
        }
    }

    /// The features and classifier label-noise runs with: those set, else logistic regression
    /// on TF-IDF (kNN alone reads the vectors). kNN on TF-IDF is refused: it votes in feature space.
    public func labelNoiseChoice() throws -> (features: LabelNoiseFeatures, classifier: LabelNoiseClassifier) {
        let features = labelNoiseFeatures ?? (labelNoiseClassifier == .knn ? .vectors : .tfidf)
        guard labelNoiseClassifier == .logistic || features == .vectors else {
            throw WinnowError.invalidArgument(
                "label-noise.classifier=knn votes by the neighbours in feature space; it cannot read label-noise.features=tfidf (drop that setting, and run `winnow embed` first)")
        }
        return (features, labelNoiseClassifier)
    }

    /// The detector object for a name (label-conflict has none: it is derived).
    func make(_ name: DetectorName) throws -> Detector? {
        switch name {
        case .empty: return EmptyDetector()
        case .tooShort: return LengthBoundDetector(minWords: minWords)
        case .tooLong: return LengthBoundDetector(maxWords: maxWords)
        case .lengthOutlier: return LengthOutlierDetector(threshold: outlierZ)
        case .exactDuplicate: return ExactDuplicateDetector()
        case .nearDuplicate: return NearDuplicateDetector(threshold: nearThreshold, bands: nearBands, rows: nearRows)
        case .boilerplate: return try BoilerplateDetector(patterns: boilerplatePatterns, maxURLs: maxURLs)
        case .repetition: return RepetitionDetector(maxDuplicateLines: maxDuplicateLines, maxTop3gram: maxTop3gram)
        case .encoding: return EncodingDetector()
        case .pii: return PIIDetector()
        case .labelNoise:
            let (features, classifier) = try labelNoiseChoice()
            return LabelNoiseDetector(folds: folds, buckets: buckets, epochs: epochs, features: features, classifier: classifier, k: labelNoiseK)
        case .semanticDuplicate: return SemanticDuplicateDetector(threshold: semanticThreshold)
        case .outlier: return OutlierDetector(k: outlierK, z: vectorOutlierZ)
        case .labelConflict: return nil
        }
    }
}
