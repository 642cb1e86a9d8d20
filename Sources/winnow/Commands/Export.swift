import ArgumentParser
import Foundation
import WinnowKit

extension ExportFormat: ExpressibleByArgument {}
extension ResampleStrategy: ExpressibleByArgument {}
extension ExportData: ExpressibleByArgument {}

extension WinnowCommand {
    /// `winnow export SNAPSHOT --out DIR --format F`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot for fine-tuning: jsonl, hf, openai-chat, alpaca, pairs, csv or parquet, with stable splits and a manifest.",
            discussion: """
                Splits are stratified by label (or --stratify scene.DIM), optionally keep each \
                near-duplicate or semantic-duplicate cluster in one split (--group near-duplicate, \
                --group semantic-duplicate), and are persisted as a \
                scheme (--scheme, default "default"): a sample keeps its split in every later export \
                of that scheme. On an existing scheme, --split/--kfold, --stratify, --group and --seed \
                left out are the scheme's saved ones. Missing parent folders of --out are created. \
                The same snapshot and options give byte-identical files.

                --format parquet writes one NAME.parquet per split (zstd, row groups of \
                100,000 rows or 128 MiB); --format hf --data parquet writes the hf folder with \
                data/NAME.parquet files. --shard-size N splits each split into files of N rows, \
                NAME-00000-of-0000K.parquet.

                --resample labels|scene.DIM moves the train split (or --splits) toward a \
                reference Q after splitting: --to taxonomy (a dimension's default), uniform (the \
                labels' default), FILE or snapshot:NAME, read as `distribution --against` reads \
                it, or --temperature T for Q ∝ n^(1/T). --strategy over repeats samples (a \
                `copy` field, 0 for the first), under drops by a seeded choice, both reaches \
                --size; --weights writes a `weight` field instead. Other splits are written as \
                without --resample; samples with no label or category are kept once.

                --format documents writes documents/00000.jsonl.gz, … for datatrove and Dolma: \
                one {"id", "text", "source", "metadata"} object per line, id the uid, in uid \
                order, --shards N shards or --shard-size ROWS rows per shard (default 100000); \
                --data parquet writes documents/00000.parquet, … of the same fields. \
                manifest.json lists each shard with its rows and SHA-256.

                Examples:
                  winnow export v1 --out out/v1 --format hf --split train=0.8,validation=0.1,test=0.1
                  winnow export v1 --out out/chat --format openai-chat --system "You are a helpful assistant."
                  winnow export v1 --out out/pq --format hf --data parquet --shard-size 100000
                  winnow export v1 --out out/bal --split train=0.8,test=0.2 --resample labels --max-copies 4
                  winnow export v1 --out out/docs --format documents --shards 8
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The snapshot.", transform: nameArgument(.snapshot)) var snapshot: String
        @Option(help: "The output folder (refused if not empty, unless --force).") var out: String
        @Option(help: "jsonl, hf, openai-chat, alpaca, pairs, csv, parquet, documents.") var format: ExportFormat = .jsonl
        @Option(help: "hf and documents: the data files, jsonl or parquet (default: jsonl).") var data: ExportData?
        @Option(
            help:
                "Rows per file. Parquet: a larger split is written as NAME-00000-of-0000K.parquet shards (default: one file per split); documents: rows per shard (default: 100000)."
        ) var shardSize: Int?
        @Option(help: "Splits and ratios, e.g. train=0.8,validation=0.1,test=0.1 (default: the scheme's, or train=1 for a new scheme).") var split: String?
        @Option(help: "K folds instead of --split.") var kfold: Int?
        @Option(help: "Stratify by label or scene.DIM (default: the scheme's, or label).") var stratify: Stratification?
        @Option(help: "Keep each near-duplicate or semantic-duplicate cluster in one split (default: as the scheme does, or not).") var group: SplitGrouping?
        @Option(help: "Seed of the split order (default: the scheme's, or 0).") var seed: UInt64?
        @Option(help: "The split scheme to use or create.", transform: nameArgument(.scheme)) var scheme: String = "default"
        @Option(help: "openai-chat: a system message for every conversation.") var system: String?
        @Flag(help: "Replace a non-empty --out folder.") var force = false
        @Flag(help: "csv: write cells exactly, without the formula-injection guard.") var raw = false
        @Option(help: "Resample labels or scene.DIM toward --to after splitting (the train split, or --splits).") var resample: ResampleSubject?
        @Option(help: "The reference Q: taxonomy, uniform, FILE or snapshot:NAME (default: taxonomy for a dimension, uniform for labels).") var to: String?
        @Option(help: "over repeats samples, under drops them, both reaches --size (default: over).") var strategy: ResampleStrategy?
        @Option(help: "--strategy both: the split's size after resampling (default: its size).") var size: Int?
        @Option(help: "The most lines one sample may become (default: no cap).") var maxCopies: Int?
        @Option(help: "Q(c) ∝ n_c^(1/T) from the split's own counts, instead of --to.") var temperature: Double?
        @Option(help: "The splits to resample, e.g. train,validation (default: train).") var splits: String?
        @Flag(help: "Write a weight field (Q/P, mean 1 over the split) instead of copying.") var weights = false
        @Option(help: "documents: the number of shards.") var shards: Int?

        func validate() throws {
            if split != nil && kfold != nil { throw ValidationError("Pass --split or --kfold, not both.") }
            if let kfold, kfold < 2 { throw ValidationError("--kfold takes 2 or more folds.") }
            if let data, format != .hf && format != .documents {
                throw ValidationError(
                    "--data \(data.rawValue) applies to --format hf and --format documents only (their data files); for Parquet files without the hf card, use --format parquet.")
            }
            if let shardSize {
                if format != .parquet && !(format == .hf && data == .parquet) && format != .documents {
                    throw ValidationError("--shard-size needs Parquet files or shards: --format parquet, --format hf --data parquet, or --format documents.")
                }
                if shardSize < 1 { throw ValidationError("--shard-size takes 1 or more rows per file.") }
            }
            let resampling = [to != nil, strategy != nil, size != nil, maxCopies != nil, temperature != nil, splits != nil, weights]
            if resample == nil, let i = resampling.firstIndex(of: true) {
                let names = ["--to", "--strategy", "--size", "--max-copies", "--temperature", "--splits", "--weights"]
                throw ValidationError("\(names[i]) needs --resample labels or --resample scene.DIM.")
            }
            do { try resampleOptions?.check() } catch let error as WinnowError { throw ValidationError(error.description) }
            if shards != nil, format != .documents { throw ValidationError("--shards needs --format documents.") }
            if shards != nil && shardSize != nil { throw ValidationError("Pass --shards or --shard-size, not both.") }
            if let shards, shards < 1 { throw ValidationError("--shards takes 1 or more shards.") }
            if format == .documents, resample != nil { throw ValidationError("--format documents takes no --resample (export jsonl or hf to resample).") }
        }

        /// The resampling the options ask for (nil without --resample).
        var resampleOptions: ResampleOptions? {
            guard let resample else { return nil }
            var options = ResampleOptions(subject: resample.subject)
            options.to = to
            options.strategy = strategy
            options.size = size
            options.maxCopies = maxCopies
            options.temperature = temperature
            options.splits = splits.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }
            options.weights = weights
            return options
        }

        func run() throws {
            var options = ExportOptions(out: out)
            options.format = format
            if let split { options.split = try Splits.parse(split) }
            options.kfold = kfold
            options.stratify = stratify?.rawValue
            options.group = group
            options.seed = seed
            options.scheme = scheme
            options.system = system
            options.force = force
            options.raw = raw
            options.resample = resampleOptions
            options.shards = shards
            options.data = data ?? .jsonl
            options.shardSize = shardSize
            let result = try store.open().export(snapshot: snapshot, options: options)
            if !result.settings.reused.isEmpty {
                emit("split scheme '\(scheme)' exists: reused its saved \(result.settings.reused.joined(separator: ", "))\n")
            }
            for line in result.resampled { Terminal.note(line) }
            for warning in result.warnings { Terminal.note("warning: " + warning) }
            if !result.createdFolders.isEmpty { emit("created the missing folders of --out: \(result.createdFolders.joined(separator: ", "))\n") }
            let shards = result.manifest.splits.splits
            let summary =
                format == .documents
                ? "\(shards.map(\.count).reduce(0, +)) documents in \(shards.count) shard\(shards.count == 1 ? "" : "s") of \(shards.map(\.count).max() ?? 0) at most"
                : shards.sorted { $0.name < $1.name }.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
            emit("exported \(snapshot) as \(format.rawValue) to \(out): \(summary); manifest.json written\n")
        }
    }
}
