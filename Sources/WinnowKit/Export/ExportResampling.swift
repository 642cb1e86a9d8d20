import Foundation
import GRDB

/// `export --resample`: move some splits (train by default) toward a reference distribution Q,
/// after splitting, by repeating and dropping whole samples or by writing sample weights.
public struct ResampleOptions: Sendable {
    /// What is resampled: labels or a scene dimension's categories.
    public var subject: DistributionSubject
    /// Q: nil (the taxonomy's targets for a dimension, uniform for labels), `taxonomy`,
    /// `uniform`, a FILE or `snapshot:NAME`, read as `distribution --against` reads it.
    public var to: String?
    /// nil: `over` (copies), or nothing with `weights`.
    public var strategy: ResampleStrategy?
    /// `both`: the split's size after resampling (default: its size before).
    public var size: Int?
    public var maxCopies: Int?
    /// Q(c) ∝ n_c^(1/T) instead of a fixed Q.
    public var temperature: Double?
    /// The splits to resample (default: train).
    public var splits: [String]?
    /// Write a `weight` per line (Q(c)/P(c), mean 1 over the split) instead of copying.
    public var weights = false

    public init(subject: DistributionSubject) { self.subject = subject }

    /// Refuses option values and combinations that mean nothing, before anything is read.
    public func check() throws {
        func fail(_ message: String) -> WinnowError { .invalidArgument(message) }
        if let size, size <= 0 { throw fail("--size \(size): the split's size after resampling must be 1 or more") }
        if let maxCopies, maxCopies < 1 { throw fail("--max-copies \(maxCopies): a sample appears at least once; pass 1 or more") }
        if let temperature, !(temperature > 0 && temperature.isFinite) {
            throw fail("--temperature \(temperature): T must be a number > 0 (1 keeps the split's own mix, larger flattens it toward uniform)")
        }
        if temperature != nil && to != nil { throw fail("--temperature sets Q from the split's own counts (Q ∝ n^(1/T)); pass --temperature or --to, not both") }
        if weights && strategy != nil { throw fail("--weights writes a weight per sample instead of copying or dropping; pass --weights or --strategy, not both") }
        if weights && (size != nil || maxCopies != nil) { throw fail("--weights copies nothing, so --size and --max-copies do not apply; leave them out") }
        if size != nil && (strategy ?? .over) != .both {
            throw fail("--size is the total --strategy both reaches (over and under find their own); add --strategy both or leave --size out")
        }
        if let splits, splits.isEmpty || splits.contains(where: \.isEmpty) {
            throw fail("--splits \(splits.joined(separator: ",")): name splits separated by commas, such as --splits train,validation")
        }
        if let splits, Set(splits).count < splits.count { throw fail("--splits \(splits.joined(separator: ",")): a split is named twice") }
    }

    /// The strategy in force (`over` unless given).
    var effectiveStrategy: ResampleStrategy { strategy ?? .over }
}

/// What the manifest's `resample` says: the settings, then per resampled split its plan.
public struct ResampleManifest: Encodable, Sendable, Equatable {
    public struct Category: Encodable, Sendable, Equatable {
        public var name: String
        public var q: Double
        public var before: Int
        public var target: Int
        public var after: Int
        @NullEncodable public var factor: Double?
        /// --weights: the weight of each of its lines.
        public var weight: Double?
        @NullEncodable public var shortfall: String?
    }
    public struct Shortfall: Encodable, Sendable, Equatable {
        public var category: String
        public var target: Int
        public var reached: Int
        public var reason: String
        public var message: String
    }
    public struct Split: Encodable, Sendable, Equatable {
        /// Lines in the split before and after (uncategorised included).
        public var countBefore: Int
        public var countAfter: Int
        /// Samples with no label / no category in the dimension: kept once, untouched.
        public var uncategorised: Int
        /// The weight of an uncategorised line (--weights only).
        public var uncategorisedWeight: Double?
        public var categories: [Category]
        /// KL/JS to Q; null when the split has no categorised sample (no P to compare).
        @NullEncodable public var klBefore: Double?
        @NullEncodable public var jsBefore: Double?
        @NullEncodable public var klAfter: Double?
        @NullEncodable public var jsAfter: Double?
        public var shortfalls: [Shortfall]

        enum CodingKeys: String, CodingKey {
            case uncategorised, categories, shortfalls
            case countBefore = "count_before"
            case countAfter = "count_after"
            case uncategorisedWeight = "uncategorised_weight"
            case klBefore = "kl_before"
            case jsBefore = "js_before"
            case klAfter = "kl_after"
            case jsAfter = "js_after"
        }
    }
    public var subject: String
    public var reference: String
    /// `copies` (over/under/both: lines repeated or dropped) or `weights` (a weight per line).
    public var mode: String
    @NullEncodable public var strategy: String?
    @NullEncodable public var size: Int?
    @NullEncodable public var maxCopies: Int?
    @NullEncodable public var temperature: Double?
    public var seed: UInt64
    /// Where `copy` / `weight` are written in this format (`field`, `column`, or `none`).
    public var field: String
    public var uncategorised = "kept once, untouched"
    public var splits: [String: Split]

    enum CodingKeys: String, CodingKey {
        case subject, reference, mode, strategy, size, temperature, seed, field, uncategorised, splits
        case maxCopies = "max_copies"
    }
}

/// A resampled split: how many lines each of its members becomes, or the weight of each.
struct ResampledSplit {
    var name: String
    /// Member index → lines written (absent: 1). 0 drops the member.
    var multiplicity: [Int: Int] = [:]
    /// --weights: member index → weight.
    var weight: [Int: Double] = [:]
    var manifest: ResampleManifest.Split
    var plan: ResamplePlan
}

/// The resampling of one export: the split files' resampled splits and what the manifest says.
struct ExportResampling {
    /// A resampled split may hold at most this many times its lines before (a documented
    /// limit: past it, extreme --to shares, a huge --size or --max-copies would fill the disk).
    static let growthLimit = 100

    var options: ResampleOptions
    var referenceName: String
    var splits: [String: ResampledSplit]
    var manifest: ResampleManifest

    /// The field name a resampled line carries: `copy` or `weight`.
    var fieldName: String { options.weights ? "weight" : "copy" }

    /// Whether `format` carries the field: jsonl, hf, alpaca as a JSON key, csv and parquet as a column;
    /// openai-chat and pairs not (their readers refuse or misread extra keys).
    static func carries(_ format: ExportFormat) -> Bool {
        switch format {
        case .jsonl, .hf, .alpaca, .csv, .parquet: return true
        case .openaiChat, .pairs, .documents: return false
        }
    }

    /// Plans the resampling of the export's members after splitting.
    init(
        _ db: Database, options: ResampleOptions, snapshot: SnapshotRecord, members: [ExportMember], splitOf: [String],
        splitNames: [String], labels: [String], seed: UInt64, format: ExportFormat
    ) throws {
        try options.check()
        self.options = options
        let chosen = options.splits ?? ["train"]
        for name in chosen where !splitNames.contains(name) {
            throw WinnowError.invalidArgument(
                "--splits \(chosen.joined(separator: ",")): this export has no split '\(name)' (its splits: \(splitNames.joined(separator: ", "))); name one of those, or pass --split with it"
            )
        }
        let taxonomy = try Store.taxonomy(db)
        let frozen = try MetricSnapshot.named(snapshot.name, in: db)
        var order: [String]
        switch options.subject {
        case .labels:
            order = labels
        case .scene:
            order = try Store.subjectCounts(db, subject: options.subject, snapshot: frozen, taxonomy: taxonomy).order
        }
        let dimension: String?
        if case .scene(let d) = options.subject { dimension = d } else { dimension = nil }
        func category(_ m: ExportMember) -> String? { dimension.map { d in m.scenes.first { $0.0 == d }?.1 } ?? m.label }
        var known = Set(order)
        for m in members { if let c = category(m), known.insert(c).inserted { order.append(c) } }
        let reference: [String: Double]?
        if options.temperature != nil {
            reference = nil
            referenceName = "temperature \(jsonNumber(options.temperature ?? 1))"
        } else {
            (reference, referenceName) = try Store.reference(db, against: options.to, subject: options.subject, order: order, taxonomy: taxonomy, option: "--to")
        }
        var splits: [String: ResampledSplit] = [:]
        var manifests: [String: ResampleManifest.Split] = [:]
        for name in chosen {
            let indices = members.indices.filter { splitOf[$0] == name }
            var byCategory: [String: [Int]] = [:]
            var uncategorised = 0
            for i in indices {
                if let c = category(members[i]) { byCategory[c, default: []].append(i) } else { uncategorised += 1 }
            }
            let counts = byCategory.mapValues(\.count)
            let what: String
            switch options.subject {
            case .labels: what = "label"
            case .scene(let dimension): what = "category in '\(dimension)'"
            }
            let limit = indices.count.multipliedReportingOverflow(by: Self.growthLimit)
            let maxLines = limit.overflow ? Int.max : limit.partialValue
            if let size = options.size, !options.weights {
                if size > maxLines {
                    throw WinnowError.invalidArgument(
                        "--size \(size): \(name) has \(indices.count) lines, and a resampled split may hold at most \(Self.growthLimit)× its lines (\(maxLines)); pass a smaller --size"
                    )
                }
                if size <= uncategorised && !counts.isEmpty {
                    throw WinnowError.invalidArgument(
                        "--size \(size): \(name) has \(uncategorised) samples with no \(what), kept once and counted in --size, so nothing would be left for the \(counts.values.reduce(0, +)) that have one; pass --size \(uncategorised + 1) or more"
                    )
                }
            }
            if let reference, !counts.isEmpty, !counts.contains(where: { $0.value > 0 && (reference[$0.key] ?? 0) > 0 }) {
                let shared = (order + reference.keys.sorted().filter { !known.contains($0) }).filter { (reference[$0] ?? 0) > 0 }
                throw WinnowError.invalidArgument(
                    "--to \(referenceName): the reference gives no share to any category of \(name) (\(name) has: \(order.filter { counts[$0] != nil }.joined(separator: ", ")); the reference has: \(shared.isEmpty ? "none" : shared.joined(separator: ", "))); pass a reference that shares categories with the split"
                )
            }
            let size = options.size.map { max(0, $0 - uncategorised) }
            let plan = Resampling.plan(
                counts: counts, order: order, reference: reference, temperature: options.temperature,
                strategy: options.weights ? .over : options.effectiveStrategy, size: size, maxCopies: options.maxCopies)
            var split = ResampledSplit(
                name: name,
                manifest: ResampleManifest.Split(
                    countBefore: indices.count, countAfter: indices.count, uncategorised: uncategorised, uncategorisedWeight: nil,
                    categories: [], klBefore: plan.before.klPQ, jsBefore: plan.before.js, klAfter: plan.before.klPQ, jsAfter: plan.before.js,
                    shortfalls: []), plan: plan)
            if plan.totalBefore == 0 { (split.manifest.klBefore, split.manifest.jsBefore) = (nil, nil) }
            if options.weights {
                let w = Resampling.weights(counts: counts, q: plan.q, uncategorised: uncategorised)
                for (c, members) in byCategory { for i in members { split.weight[i] = w.perCategory[c] ?? 0 } }
                split.manifest.uncategorisedWeight = uncategorised > 0 ? w.uncategorised : nil
                // The weighted distribution: each category's count times its weight.
                let names = plan.categories.map(\.name)
                let p = Divergence.normalize(names.map { Double(counts[$0] ?? 0) * (w.perCategory[$0] ?? 0) })
                let q = names.map { plan.q[$0] ?? 0 }
                let empty = !p.contains { $0 > 0 }
                split.manifest.klAfter = empty ? nil : Divergence.kl(p, q).value
                split.manifest.jsAfter = empty ? nil : Divergence.js(p, q)
                split.manifest.categories = plan.categories.map {
                    ResampleManifest.Category(
                        name: $0.name, q: plan.q[$0.name] ?? 0, before: $0.before, target: $0.before, after: $0.before, factor: nil,
                        weight: $0.before > 0 ? w.perCategory[$0.name] ?? 0 : nil,
                        shortfall: $0.before > 0 && (plan.q[$0.name] ?? 0) == 0 ? ResampleShortfallReason.droppedNotInReference.rawValue : nil)
                }
                split.manifest.shortfalls = plan.categories.filter { $0.before > 0 && (plan.q[$0.name] ?? 0) == 0 }.map {
                    ResampleManifest.Shortfall(
                        category: $0.name, target: 0, reached: $0.before, reason: ResampleShortfallReason.droppedNotInReference.rawValue,
                        message:
                            "'\($0.name)' is not in the reference (Q gives it no share), so --weights gives its \($0.before) samples weight 0 (give it a share in --to to keep it)"
                    )
                }
            } else {
                if plan.totalAfter + uncategorised > maxLines {
                    let cause: String
                    if let maxCopies = options.maxCopies {
                        cause = "--max-copies \(maxCopies) still lets Q ask for \(plan.totalAfter + uncategorised) lines; pass a smaller --max-copies"
                    } else {
                        let setter = plan.categories.filter { $0.before > 0 && (plan.q[$0.name] ?? 0) > 0 }
                            .min { Double($0.before) / (plan.q[$0.name] ?? 1) > Double($1.before) / (plan.q[$1.name] ?? 1) }
                        let share = setter.map { " ('\($0.name)' has \($0.before) samples but a share of \(jsonNumber(plan.q[$0.name] ?? 0)))" } ?? ""
                        cause =
                            "Q's shares (\(referenceName))\(share) ask for \(plan.total >= Resampling.maxTotal ? "more than \(Resampling.maxTotal)" : "\(plan.totalAfter + uncategorised)") lines; add --max-copies K (such as --max-copies 10), or use --strategy under or both"
                    }
                    throw WinnowError.invalidArgument(
                        "resampling \(name) (\(indices.count) lines) would write more than \(Self.growthLimit)× its lines (\(maxLines)), the limit: \(cause)")
                }
                var generator = SeededGenerator(seed: seed)
                for target in plan.categories {
                    let members = byCategory[target.name] ?? []
                    let counts = Resampling.multiplicities(count: members.count, target: target.after, using: &generator)
                    for (i, k) in zip(members, counts) where k != 1 { split.multiplicity[i] = k }
                }
                split.manifest.countAfter = plan.totalAfter + uncategorised
                split.manifest.klAfter = plan.totalAfter > 0 ? plan.after.klPQ : nil
                split.manifest.jsAfter = plan.totalAfter > 0 ? plan.after.js : nil
                split.manifest.categories = plan.categories.map {
                    ResampleManifest.Category(
                        name: $0.name, q: plan.q[$0.name] ?? 0, before: $0.before, target: $0.target, after: $0.after, factor: $0.factor,
                        weight: nil, shortfall: $0.shortfall?.rawValue)
                }
                split.manifest.shortfalls = plan.shortfalls.map {
                    ResampleManifest.Shortfall(category: $0.category, target: $0.target, reached: $0.reached, reason: $0.reason.rawValue, message: $0.message)
                }
            }
            splits[name] = split
            manifests[name] = split.manifest
        }
        self.splits = splits
        manifest = ResampleManifest(
            subject: options.subject.name, reference: referenceName, mode: options.weights ? "weights" : "copies",
            strategy: options.weights ? nil : options.effectiveStrategy.rawValue, size: options.size, maxCopies: options.maxCopies,
            temperature: options.temperature, seed: seed,
            field: Self.carries(format) ? (format == .csv || format == .parquet ? "column" : "field") : "none", splits: manifests)
    }

    /// The one-line summaries and the warnings an export prints on standard error.
    func report(format: ExportFormat) -> (summaries: [String], warnings: [String]) {
        var summaries: [String] = []
        var warnings: [String] = []
        func bits(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        for name in (options.splits ?? ["train"]) {
            guard let split = splits[name] else { continue }
            let m = split.manifest
            let how = options.weights ? "weights" : options.effectiveStrategy.rawValue
            summaries.append(
                "resampled \(name) (\(options.subject.name) to \(referenceName), \(how)): \(m.countBefore) → \(m.countAfter) lines, KL \(bits(m.klBefore)) → \(bits(m.klAfter)) bits, JS \(bits(m.jsBefore)) → \(bits(m.jsAfter))"
            )
            for s in m.shortfalls { warnings.append("\(name): " + s.message) }
        }
        if !Self.carries(format) {
            warnings.append(
                options.weights
                    ? "\(format.rawValue) lines have no field for a weight (its readers refuse or misread extra keys): the lines are written unweighted and manifest.json's resample section gives the weight of each category"
                    : "\(format.rawValue) lines have no field for the copy index (its readers refuse or misread extra keys): copies are repeated lines")
        }
        return (summaries, warnings)
    }
}
