import Foundation

/// manifest.json of an export (README, "Export"): the snapshot and its fingerprint, how it was
/// split, the label order with class weights, every split file's count and SHA-256, and the
/// figures frozen with the snapshot. `export` returns it; `text` is the file, byte for byte.
public struct ExportManifest: Encodable, Sendable, Equatable {
    /// One split file.
    public struct Split: Encodable, Sendable, Equatable {
        /// The split's name (the key it stands under in `splits`).
        public var name: String
        /// Its path inside the export folder (`train.jsonl`, `data/train.jsonl`).
        public var file: String
        public var count: Int
        public var bytes: Int
        public var sha256: String
        /// Samples per label in this split.
        public var labels: [String: Int]
        /// A split written as Parquet shards (`--shard-size`): its files in order; then the
        /// split has no single `file` and `sha256` (they are the shards'), and `count` and
        /// `bytes` are the shards' sums.
        public var shards: [Shard]? = nil

        enum CodingKeys: String, CodingKey, CaseIterable { case file, files, count, bytes, sha256, labels }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            if let shards { try c.encode(shards, forKey: .files) } else { try c.encode(file, forKey: .file) }
            try c.encode(count, forKey: .count)
            try c.encode(bytes, forKey: .bytes)
            if shards == nil { try c.encode(sha256, forKey: .sha256) }
            try c.encode(labels, forKey: .labels)
        }
    }

    /// One file of a sharded split.
    public struct Shard: Encodable, Sendable, Equatable {
        public var file: String
        public var count: Int
        public var bytes: Int
        public var sha256: String
    }

    /// The splits in the scheme's order, as a JSON object keyed by name.
    public struct Splits: Encodable, Sendable, Equatable {
        public var splits: [Split]

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for split in splits { try c.encode(split, forKey: Key(split.name)) }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    public var snapshot: String
    public var fingerprint: String
    public var toolVersion: String
    public var format: String
    public var seed: UInt64
    public var scheme: String
    public var stratify: String
    /// `near-duplicate` when clusters were kept in one split.
    @NullEncodable public var group: String?
    /// Label names in index order (the index a `pairs` label and the class weights use).
    public var labels: [String]
    public var classWeights: Balance.Weights
    /// What `class_weights` are over: always `snapshot`.
    public var classWeightsOver = "snapshot"
    /// Over the `train` split, which is what a classifier trained on it sees (nil without one).
    @NullEncodable public var trainClassWeights: Balance.Weights?
    public var splits: Splits
    public var coverage: [CoverageReport]
    public var flags: [String: [String: Int]]
    public var review: [String: Int]
    /// `--resample`: the subject, reference, settings and, per resampled split, the counts per
    /// category before and after, KL/JS to Q before and after, the factors and the shortfalls.
    /// Absent (not null) without --resample, so such manifests stay as they were.
    public var resample: ResampleManifest? = nil
    /// hf: the data files' format when it is not jsonl (`parquet`); absent for jsonl, so such
    /// manifests stay as they were.
    public var data: String? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case snapshot, fingerprint, format, data, seed, scheme, stratify, group, labels, splits, coverage, flags, review, resample
        case toolVersion = "tool_version"
        case classWeights = "class_weights"
        case classWeightsOver = "class_weights_over"
        case trainClassWeights = "train_class_weights"
    }

    /// The keys of manifest.json in the order it writes them.
    static let keyOrder: [CodingKeys] = [
        .snapshot, .fingerprint, .toolVersion, .format, .seed, .scheme, .stratify, .group, .labels,
        .classWeights, .classWeightsOver, .trainClassWeights, .splits, .coverage, .flags, .review,
    ]

    /// manifest.json's text (without the final newline): compact, keys in `keyOrder`, class
    /// weights in Swift's shortest form; coverage, flags and review as the sorted-keys JSON
    /// encoder writes them. The same bytes as every Winnow before it wrote.
    public func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func canonical<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let values: [CodingKeys: String] = [
            .snapshot: JSONText.quote(snapshot), .fingerprint: JSONText.quote(fingerprint),
            .toolVersion: JSONText.quote(toolVersion), .format: JSONText.quote(format), .seed: "\(seed)",
            .scheme: JSONText.quote(scheme), .stratify: JSONText.quote(stratify), .group: group.map(JSONText.quote) ?? "null",
            .labels: jsonArray(labels), .classWeights: Self.text(classWeights), .classWeightsOver: JSONText.quote(classWeightsOver),
            .trainClassWeights: trainClassWeights.map(Self.text) ?? "null",
            .splits: jsonObject(splits.splits.map { ($0.name, Self.text($0)) }),
            .coverage: try canonical(coverage), .flags: try canonical(flags), .review: try canonical(review),
        ]
        var pairs = Self.keyOrder.map { ($0.rawValue, values[$0] ?? "null") }
        if let data { pairs.insert((CodingKeys.data.rawValue, JSONText.quote(data)), at: 4) } // after format
        if let resample { pairs.append((CodingKeys.resample.rawValue, try canonical(resample))) }
        return jsonObject(pairs)
    }

    static func text(_ w: Balance.Weights) -> String {
        func numbers(_ xs: [Double]) -> String { "[" + xs.map(jsonNumber).joined(separator: ",") + "]" }
        return jsonObject([("inverse", numbers(w.inverse)), ("balanced", numbers(w.balanced)), ("normalized", numbers(w.normalized))])
    }

    static func text(_ s: Split) -> String {
        let labels = jsonObject(s.labels.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })
        if let shards = s.shards {
            let files = shards.map {
                jsonObject([("file", JSONText.quote($0.file)), ("count", "\($0.count)"), ("bytes", "\($0.bytes)"), ("sha256", JSONText.quote($0.sha256))])
            }
            return jsonObject([
                (Split.CodingKeys.files.rawValue, "[" + files.joined(separator: ",") + "]"), (Split.CodingKeys.count.rawValue, "\(s.count)"),
                (Split.CodingKeys.bytes.rawValue, "\(s.bytes)"), (Split.CodingKeys.labels.rawValue, labels),
            ])
        }
        return jsonObject([
            (Split.CodingKeys.file.rawValue, JSONText.quote(s.file)), (Split.CodingKeys.count.rawValue, "\(s.count)"),
            (Split.CodingKeys.bytes.rawValue, "\(s.bytes)"), (Split.CodingKeys.sha256.rawValue, JSONText.quote(s.sha256)),
            (Split.CodingKeys.labels.rawValue, labels),
        ])
    }
}

extension ExportManifest {
    /// The manifest of an export of `plan` whose split files are `splits`.
    init(_ plan: ExportPlan, options: ExportOptions, splits: [Split]) {
        let settings = plan.splits.settings, metrics = plan.metrics
        let train = splits.first { $0.name == "train" }
        self.init(
            snapshot: plan.snapshot.name, fingerprint: plan.snapshot.fingerprint, toolVersion: Winnow.version,
            format: options.format.rawValue, seed: settings.seed, scheme: options.scheme, stratify: settings.stratify,
            group: settings.group?.rawValue, labels: metrics.labels,
            classWeights: metrics.classWeights,
            trainClassWeights: train.map { t in Balance.weights(metrics.labels.map { t.labels[$0] ?? 0 }) },
            splits: Splits(splits: splits), coverage: metrics.coverage, flags: metrics.flags, review: metrics.review,
            resample: plan.resampling?.manifest, data: options.format == .hf && options.data != .jsonl ? options.data.rawValue : nil)
    }
}
