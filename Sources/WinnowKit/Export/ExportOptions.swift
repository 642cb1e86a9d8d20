import Foundation

/// The formats `winnow export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    case jsonl, hf
    case openaiChat = "openai-chat"
    case alpaca, pairs, csv, parquet
    /// Sharded documents/*.jsonl.gz for datatrove and Dolma (`DocumentsExport`).
    case documents

    /// The sample kinds each format can express.
    var kinds: [SampleKind] {
        switch self {
        case .jsonl, .hf, .csv, .parquet, .documents: return SampleKind.allCases
        case .openaiChat: return [.chat, .instruction, .text]
        case .alpaca: return [.instruction]
        case .pairs: return [.pair]
        }
    }
}

/// What an `hf` or `documents` export's data files are (`--data`): jsonl lines or Parquet.
public enum ExportData: String, CaseIterable, Sendable {
    case jsonl, parquet
}

/// What `export --group` keeps in one split: the clusters of a duplicate detector's flags.
public enum SplitGrouping: String, CaseIterable, Sendable {
    /// near-duplicate's clusters, frozen with the snapshot when it was made.
    case nearDuplicate = "near-duplicate"
    /// semantic-duplicate's clusters, frozen with the snapshot likewise.
    case semanticDuplicate = "semantic-duplicate"
}

/// How `winnow export` writes a snapshot.
public struct ExportOptions: Sendable {
    public var format: ExportFormat = .jsonl
    public var out: String
    /// Split names and ratios. This and the next four: nil (left out) takes the saved split
    /// scheme's setting, or for a new scheme the default (everything in `train`, stratified by
    /// label, no grouping, seed 0); a setting given must be the saved scheme's.
    public var split: [(String, Double)]?
    public var kfold: Int?
    /// `label` or `scene.DIM`.
    public var stratify: String?
    /// Keep each cluster of this duplicate detector in one split.
    public var group: SplitGrouping?
    public var seed: UInt64?
    public var scheme = "default"
    public var system: String?
    public var force = false
    /// csv: write cells exactly, without the formula-injection guard.
    public var raw = false
    /// `--resample`: move the chosen splits toward a reference distribution (nil: write them as split).
    public var resample: ResampleOptions?
    /// hf and documents: the data files' format (`--data`).
    public var data: ExportData = .jsonl
    /// documents: the number of shards (nil: by `shardSize`).
    public var shards: Int?
    /// Rows per shard. Parquet: rows per file; a split with more is written as
    /// NAME-00000-of-0000K.parquet files (nil: one file per split). documents: rows per
    /// documents/NNNNN.jsonl.gz shard (nil: `DocumentsExport.defaultShardSize`).
    public var shardSize: Int?
    public init(out: String) { self.out = out }

    /// Whether the split files are Parquet (`--format parquet`, `--format hf --data parquet`).
    public var writesParquet: Bool { format == .parquet || (format == .hf && data == .parquet) }
}

/// The split settings an export ran with: its options, completed from the saved scheme.
public struct SplitSettings: Sendable {
    public var ratios: [(String, Double)]
    public var stratify: String
    /// nil: no grouping.
    public var group: SplitGrouping?
    public var seed: UInt64
    /// The settings left out of the options and taken from the saved scheme, as command-line
    /// options (`--seed 7`); empty for a new scheme or when every setting was given.
    public var reused: [String] = []
}

extension SplitSettings {
    /// The settings of a new scheme: the options, defaults for what they leave out.
    init(_ options: ExportOptions) {
        ratios = options.kfold.map { k in (0..<k).map { ("fold-\($0)", 1 / Double(k)) } } ?? options.split ?? [("train", 1)]
        stratify = options.stratify ?? "label"
        group = options.group
        seed = options.seed ?? 0
    }

    /// These settings as command-line options.
    var commandLine: [String] {
        [Splits.option(ratios), "--stratify \(stratify)", group.map { "--group \($0.rawValue)" } ?? "no --group", "--seed \(seed)"]
    }
}

/// What `export` wrote: the manifest, the split settings, the folders it had to create.
public struct ExportResult: Sendable {
    /// manifest.json, as written.
    public var manifest: ExportManifest
    public var settings: SplitSettings
    /// Missing parent folders of `--out` that the export created, outermost first.
    public var createdFolders: [String]
    /// What the user should know about the files (an hf card without features, resampling's shortfalls).
    public var warnings: [String] = []
    /// One line per resampled split: its counts and KL/JS to Q before and after.
    public var resampled: [String] = []
}

/// One member as splitting and the formats see it; its content is streamed separately.
struct ExportMember {
    var sampleID: Int64
    var contentID: Int64
    var uid: String
    var kind: SampleKind
    var label: String?
    var score: Double?
    var scenes: [(String, String)]
}
