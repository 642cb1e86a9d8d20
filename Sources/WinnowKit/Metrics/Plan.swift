import Foundation
import GRDB

/// `winnow plan` for one subject (labels or one dimension): per category what is missing
/// against the targets and how much of it augmentation could make, and the coverage and
/// divergence to Q now, after augmentation, after resampling and after both.
public struct SubjectPlan: Codable, Sendable, Equatable {
    /// Where a subject's targets come from.
    public enum Targets: String, Codable, Sendable {
        /// The taxonomy's n_c* (a dimension).
        case taxonomy
        /// The counts Q asks for at the smallest total no category is above, i.e. what
        /// `--strategy over` would reach by copies (labels, which have no targets of their own).
        case reference
    }

    /// One category's row.
    public struct Category: Codable, Sendable, Equatable {
        public var category: String
        public var count: Int
        /// Of `count`, the samples `winnow augment` made (as `coverage` shows them).
        public var augmented: Int
        /// n_c*: nil for a category outside the targets (unknown to the taxonomy, or absent from Q for labels).
        @NullEncodable public var target: Int?
        /// max(0, n_c* − n_c), as `coverage` computes it.
        public var needed: Int
        /// Active samples of the category that are not themselves augmented.
        public var parents: Int
        /// Augmented samples the parents may still give: Σ max(0, K − the variants each has), which is
        /// parents × K until some have variants (augment's cap per parent counts every run).
        public var capacity: Int
        /// min(needed, capacity).
        public var augmentable: Int
        /// needed − augmentable: what only new data can fill.
        public var newData: Int
        /// Q(c), nil without a reference.
        @NullEncodable public var q: Double?
        /// Resampled count / count under the plan's strategy (nil for an empty category or without Q).
        @NullEncodable public var resampleFactor: Double?
        /// The count after resampling the current data.
        @NullEncodable public var resampled: Int?
        /// The count after augmenting, then resampling.
        @NullEncodable public var resampledAfterAugment: Int?

        enum CodingKeys: String, CodingKey {
            case category, count, augmented, target, needed, parents, capacity, augmentable, q, resampled
            case newData = "new_data"
            case resampleFactor = "resample_factor"
            case resampledAfterAugment = "resampled_after_augment"
        }
    }

    /// The subject's figures at one stage of the plan.
    public struct Effect: Codable, Sendable, Equatable {
        /// Samples with a category (copies included after resampling).
        public var samples: Int
        /// Σ w_c · min(1, n_c / n_c*) over the targets (nil when there are none).
        @NullEncodable public var sampleCoverage: Double?
        /// KL and JS to Q in bits; nil without Q or without a sample at this stage.
        @NullEncodable public var klPQ: Double?
        @NullEncodable public var klQP: Double?
        @NullEncodable public var js: Double?

        enum CodingKeys: String, CodingKey {
            case samples, js
            case sampleCoverage = "sample_coverage"
            case klPQ = "kl_pq"
            case klQP = "kl_qp"
        }
    }

    /// Column sums of the rows.
    public struct Totals: Codable, Sendable, Equatable {
        public var count: Int
        public var augmented: Int
        public var needed: Int
        public var augmentable: Int
        public var newData: Int
        enum CodingKeys: String, CodingKey {
            case count, augmented, needed, augmentable
            case newData = "new_data"
        }
    }

    /// `labels` or `scene.DIM`.
    public var of: String
    /// The reference Q's name (`taxonomy`, `uniform`, a file, `snapshot:NAME`), nil without one.
    @NullEncodable public var against: String?
    @NullEncodable public var targets: Targets?
    /// Samples without a category in the dimension (or without a label).
    public var unannotated: Int
    public var categories: [Category]
    public var totals: Totals
    public var now: Effect
    public var afterAugment: Effect
    /// nil without a reference to resample to.
    @NullEncodable public var afterResample: Effect?
    @NullEncodable public var afterBoth: Effect?
    /// What resampling after augmentation still cannot reach, and why.
    public var shortfalls: [ResampleShortfall]
    /// Commands that carry the plan out, to copy.
    public var commands: [String]
    /// What the figures cannot show: new data to collect, missing targets.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case of, against, targets, unannotated, categories, totals, now, shortfalls, commands, notes
        case afterAugment = "after_augment"
        case afterResample = "after_resample"
        case afterBoth = "after_both"
    }
}

/// The planning arithmetic, free of SQLite: counts, targets, parents and Q in, a `SubjectPlan` out.
/// It computes nothing of its own beyond the capacity rule: needed and sample coverage are
/// `Coverage`'s, divergences `Divergence`'s, resampled counts `Resampling.plan`'s.
public enum Plan {
    /// What a subject is planned from.
    public struct Input: Sendable {
        public var subject: DistributionSubject
        /// The taxonomy's categories (targets, weights) for a dimension; ignored for labels,
        /// whose targets come from Q.
        public var categories: [Coverage.Spec]
        /// Samples per category (may include categories outside the targets).
        public var counts: [String: Int]
        /// Parents per category: active samples that are not augmented.
        public var parents: [String: Int]
        /// Per category, the parents that already have augmented samples, by how many they have
        /// (`[3: 2]`: two parents with 3 each); a parent absent here has none.
        public var variants: [String: [Int: Int]]
        /// Of the counts, the augmented samples.
        public var augmented: [String: Int]
        /// The order to list categories in (the taxonomy's, or label-index order).
        public var order: [String]
        /// Q (counts or proportions), nil when there is no reference.
        public var reference: [String: Double]?
        /// Q's name, as `distribution` reports it.
        public var against: String?
        public var unannotated: Int

        public init(
            subject: DistributionSubject, categories: [Coverage.Spec], counts: [String: Int], parents: [String: Int],
            order: [String], reference: [String: Double]?, against: String?, unannotated: Int,
            variants: [String: [Int: Int]] = [:], augmented: [String: Int] = [:]
        ) {
            self.subject = subject
            self.categories = categories
            self.counts = counts
            self.parents = parents
            self.variants = variants
            self.augmented = augmented
            self.order = order
            self.reference = reference
            self.against = against
            self.unannotated = unannotated
        }
    }

    /// The assumptions of a plan: augmentation's capacity and how resampling is done.
    public struct Options: Sendable {
        public var maxPerParent: Int
        public var strategy: ResampleStrategy
        public var maxCopies: Int?
        /// `--snapshot NAME`, for the export command suggested.
        public var snapshot: String?
        /// `--to REF` as the user gave it (passed on to the suggested export), nil for the default.
        public var to: String?
        /// `snapshot`'s stored selection (JSON, as `snapshot create` wrote it), which the suggested
        /// `snapshot create NEXT` repeats; `Store.plan` reads it.
        public var snapshotSelection: String?

        public init(
            maxPerParent: Int = Augment.maxPerParent, strategy: ResampleStrategy = .over, maxCopies: Int? = nil, snapshot: String? = nil, to: String? = nil,
            snapshotSelection: String? = nil
        ) {
            self.snapshotSelection = snapshotSelection
            self.maxPerParent = maxPerParent
            self.strategy = strategy
            self.maxCopies = maxCopies
            self.snapshot = snapshot
            self.to = to
        }
    }

    /// Augmentation's capacity in a category: each parent may give `maxPerParent` less the
    /// variants it already has (augment's cap counts every run), so parents × K when none has any.
    /// `variants`: the parents that have some, by how many they have.
    public static func capacity(parents: Int, variants: [Int: Int] = [:], maxPerParent: Int) -> Int {
        let k = max(0, maxPerParent)
        let full = parents.multipliedReportingOverflow(by: k)
        guard !full.overflow else { return Int.max }
        var used = 0
        for (have, parentsWith) in variants where have > 0 && parentsWith > 0 { used += min(have, k) * parentsWith }
        return max(0, full.partialValue - used)
    }

    /// The capacity rule: augmentation fills `needed` up to the capacity.
    public static func augmentable(needed: Int, capacity: Int) -> Int {
        min(max(0, needed), max(0, capacity))
    }

    /// Labels' targets: the counts Q asks for at the smallest total at which no label is above
    /// its count — what `--strategy over` reaches (Resampling's largest-remainder rounding), so
    /// that filling every gap brings the labels to Q without dropping any.
    public static func referenceTargets(counts: [String: Int], order: [String], reference: [String: Double]) -> [String: Int] {
        let over = Resampling.plan(counts: counts, order: order, reference: reference, temperature: nil, strategy: .over, size: nil, maxCopies: nil)
        var targets: [String: Int] = [:]
        for c in over.categories where (over.q[c.name] ?? 0) > 0 { targets[c.name] = c.target }
        return targets
    }

    /// The plan of one subject.
    public static func plan(_ input: Input, options: Options = Options()) -> SubjectPlan {
        let reference = input.reference
        // The rows: the given order, then the other categories of the data and of Q by name
        // (Resampling's and Divergence's rule).
        var names = input.order
        for name in Set(input.counts.keys).union(reference?.keys.map { $0 } ?? []).sorted() where !names.contains(name) {
            if (input.counts[name] ?? 0) > 0 || (reference?[name] ?? 0) > 0 { names.append(name) }
        }
        let specs: [Coverage.Spec]
        let targetsFrom: SubjectPlan.Targets?
        switch input.subject {
        case .scene:
            specs = input.categories
            targetsFrom = specs.contains { $0.target != nil } ? .taxonomy : nil
        case .labels:
            if let reference {
                let targets = referenceTargets(counts: input.counts, order: names, reference: reference)
                specs = names.compactMap { name in targets[name].map { Coverage.Spec(name: name, target: $0) } }
                targetsFrom = .reference
            } else {
                specs = []
                targetsFrom = nil
            }
        }
        let coverage = Coverage.report(dimension: input.subject.name, categories: specs, counts: input.counts, unannotated: input.unannotated)
        let needed = Dictionary(uniqueKeysWithValues: coverage.categories.map { ($0.category, $0.needed) })
        let target = Dictionary(uniqueKeysWithValues: specs.compactMap { spec in spec.target.map { (spec.name, $0) } })

        var capacity: [String: Int] = [:]
        var augmentable: [String: Int] = [:]
        for name in names {
            capacity[name] = Plan.capacity(parents: input.parents[name] ?? 0, variants: input.variants[name] ?? [:], maxPerParent: options.maxPerParent)
            augmentable[name] = Plan.augmentable(needed: needed[name] ?? 0, capacity: capacity[name] ?? 0)
        }
        let counts = Dictionary(uniqueKeysWithValues: names.map { ($0, input.counts[$0] ?? 0) })
        let augmented = counts.merging(augmentable) { $0 + $1 }

        func effect(_ stage: [String: Int]) -> SubjectPlan.Effect {
            let samples = stage.values.reduce(0, +)
            // No sample, no P: no divergence (Divergence would give KL(P‖Q) 0, a perfect match).
            let divergence = samples == 0 ? nil : reference.map { Divergence.report(counts: stage, reference: $0, order: names) }
            return SubjectPlan.Effect(
                samples: samples,
                sampleCoverage: specs.isEmpty
                    ? nil : Coverage.report(dimension: input.subject.name, categories: specs, counts: stage, unannotated: input.unannotated).sampleCoverage,
                klPQ: divergence?.klPQ, klQP: divergence?.klQP, js: divergence?.js)
        }
        func resample(_ stage: [String: Int]) -> ResamplePlan? {
            reference.map {
                Resampling.plan(counts: stage, order: names, reference: $0, temperature: nil, strategy: options.strategy, size: nil, maxCopies: options.maxCopies)
            }
        }
        let resampledNow = resample(counts)
        let resampledBoth = resample(augmented)
        func afterCounts(_ plan: ResamplePlan) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: plan.categories.map { ($0.name, $0.after) })
        }

        let rows = names.map { name in
            let n = counts[name] ?? 0
            let a = augmentable[name] ?? 0
            let q: Double? = resampledNow.map { $0.q[name] ?? 0 }
            return SubjectPlan.Category(
                category: name, count: n, augmented: input.augmented[name] ?? 0, target: target[name], needed: needed[name] ?? 0,
                parents: input.parents[name] ?? 0, capacity: capacity[name] ?? 0, augmentable: a, newData: (needed[name] ?? 0) - a,
                q: q, resampleFactor: resampledNow?.category(name)?.factor,
                resampled: resampledNow?.category(name)?.after, resampledAfterAugment: resampledBoth?.category(name)?.after)
        }
        var plan = SubjectPlan(
            of: input.subject.name, against: reference == nil ? nil : input.against, targets: targetsFrom,
            unannotated: input.unannotated, categories: rows,
            totals: .init(
                count: rows.map(\.count).reduce(0, +), augmented: rows.map(\.augmented).reduce(0, +), needed: rows.map(\.needed).reduce(0, +),
                augmentable: rows.map(\.augmentable).reduce(0, +), newData: rows.map(\.newData).reduce(0, +)),
            now: effect(counts), afterAugment: effect(augmented),
            afterResample: resampledNow.map { effect(afterCounts($0)) }, afterBoth: resampledBoth.map { effect(afterCounts($0)) },
            shortfalls: resampledBoth?.shortfalls ?? [], commands: [], notes: [])
        plan.commands = commands(plan, subject: input.subject, options: options)
        plan.notes = notes(plan, input: input, options: options)
        return plan
    }

    /// The commands that carry the plan out: one `augment` per category augmentation can fill,
    /// then a snapshot and an export resampled to Q when resampling still moves the
    /// distribution. `--to-target` only where augment would make exactly `augmentable` by it,
    /// whatever ran before: the whole gap, over the live store (augment counts there), and for a
    /// label only when every label's target is the same, the largest count (augment's rule is
    /// the gap to the largest label at the time it runs, which an earlier `--count` for a label Q
    /// asks more of would move); else `--count N`.
    static func commands(_ plan: SubjectPlan, subject: DistributionSubject, options: Options) -> [String] {
        var commands: [String] = []
        let perParent = options.maxPerParent == Augment.maxPerParent ? "" : " --max-per-parent \(options.maxPerParent)"
        let largest = plan.categories.map(\.count).max() ?? 0
        let targets = Set(plan.categories.map(\.target))
        let uniform = targets.count == 1 && targets.first! == largest
        for row in plan.categories where row.augmentable > 0 {
            let what: String
            let toTarget: Bool
            switch subject {
            case .scene(let dimension):
                what = "--scene " + ShellWord.quote("\(dimension)=\(row.category)")
                toTarget = row.augmentable == row.needed
            case .labels:
                what = "--label " + ShellWord.quote(row.category)
                toTarget = row.augmentable == row.needed && uniform
            }
            let amount = toTarget && options.snapshot == nil ? "--to-target" : "--count \(row.augmentable)"
            commands.append("winnow augment \(what) \(amount)\(perParent)")
        }
        if let before = plan.afterAugment.js, let after = plan.afterBoth?.js, after < before - 1e-12 {
            var snapshot = options.snapshot.map(ShellWord.quote) ?? "NEXT"
            if !commands.isEmpty || options.snapshot == nil {
                let flags = options.snapshot == nil ? [] : snapshotFlags(options.snapshotSelection, augmenting: !commands.isEmpty).flags
                snapshot = "NEXT"
                commands.append((["winnow snapshot create NEXT"] + flags).joined(separator: " "))
            }
            var export = "winnow export \(snapshot) --out DIR --resample \(ShellWord.quote(plan.of))"
            if let to = options.to { export += " --to " + ShellWord.quote(to) }
            if options.strategy != .over { export += " --strategy \(options.strategy.rawValue)" }
            if let maxCopies = options.maxCopies { export += " --max-copies \(maxCopies)" }
            commands.append(export)
        }
        return commands
    }

    /// The `snapshot create` flags that repeat a snapshot's stored selection, in the order of
    /// its usage line, and notes on what they cannot repeat. `augmenting`: augment commands come
    /// first, so `--exclude-augmented` is left out (NEXT must hold what they make) and a label or
    /// scene filter keeps only the augmented samples inside it.
    static func snapshotFlags(_ json: String?, augmenting: Bool) -> (flags: [String], notes: [String]) {
        guard let json else { return ([], []) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return ([], ["its selection is not readable, so the snapshot create command above may select other samples; repeat its filters by hand"])
        }
        var flags: [String] = []
        var notes: [String] = []
        var unknown: [String] = []
        func string(_ key: String) -> String? {
            guard let value = object[key] else { return nil }
            if let text = value as? String { return text }
            unknown.append(key)
            return nil
        }
        func flag(_ key: String) -> Bool {
            guard let value = object[key] else { return false }
            if let bool = value as? Bool { return bool }
            unknown.append(key)
            return false
        }
        if flag("exclude_flagged") {
            var option = "--exclude-flagged"
            if let detectors = object["exclude_detectors"] {
                if let names = detectors as? [String] {
                    if !names.isEmpty { option += " " + ShellWord.quote(names.joined(separator: ",")) }
                } else {
                    unknown.append("exclude_detectors")
                }
            }
            flags.append(option)
            if let score = object["exclude_min_score"] {
                if let score = score as? Double { flags.append("--min-score \(score)") } else { unknown.append("exclude_min_score") }
            }
        }
        let label = string("label"), scene = string("scene"), source = string("source")
        if let label { flags.append("--label " + ShellWord.quote(label)) }
        if let scene { flags.append("--scene " + ShellWord.quote(scene)) }
        if let source { flags.append("--source " + ShellWord.quote(source)) }
        if flag("exclude_augmented") {
            if augmenting {
                notes.append(
                    "it was made with --exclude-augmented; NEXT is not, so that it holds what the augment commands make (and so also the augmented samples made before)")
            } else {
                flags.append("--exclude-augmented")
            }
        }
        if augmenting && (label != nil || scene != nil) {
            notes.append("NEXT repeats its \(label != nil ? "--label" : "--scene") filter, so it holds only the augmented samples inside it")
        }
        let known: Set = ["exclude_flagged", "exclude_detectors", "exclude_min_score", "label", "scene", "source", "exclude_augmented"]
        unknown += object.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            notes.append(
                "its selection has \(unknown.joined(separator: ", ")), which snapshot create has no flag for, so NEXT may select other samples; repeat that selection by hand")
        }
        return (flags, notes)
    }

    /// Notes on what the commands cannot do.
    static func notes(_ plan: SubjectPlan, input: Input, options: Options) -> [String] {
        var notes: [String] = []
        if let name = options.snapshot, plan.commands.contains(where: { $0.hasPrefix("winnow snapshot create ") }) {
            let augmenting = plan.commands.contains { $0.hasPrefix("winnow augment ") }
            for note in snapshotFlags(options.snapshotSelection, augmenting: augmenting).notes { notes.append("snapshot \(name): " + note) }
        }
        let collect = plan.categories.filter { $0.newData > 0 }.map { row in
            "\(row.category) \(row.newData) (\(row.parents == 0 ? "no parents" : "beyond \(options.maxPerParent) per parent"))"
        }
        if !collect.isEmpty { notes.append("new data to collect: " + collect.joined(separator: ", ")) }
        let k = options.maxPerParent
        let used = plan.categories.compactMap { row -> String? in
            let full = capacity(parents: row.parents, maxPerParent: k)
            guard row.needed > 0, row.capacity < full else { return nil }
            return "\(row.category) has room for \(row.capacity) (\(row.parents) × \(k) − \(full - row.capacity))"
        }
        if !used.isEmpty {
            notes.append("augmented samples made before count against the cap of \(k) per parent: " + used.joined(separator: ", "))
        }
        switch input.subject {
        case .scene(let dimension):
            if input.categories.isEmpty {
                notes.append("'\(dimension)' is not in the taxonomy: no targets, so nothing is needed; add it with `winnow taxonomy load FILE`")
            } else if plan.targets == nil {
                notes.append("'\(dimension)' has no targets in the taxonomy, so nothing is needed; set them with `winnow taxonomy load FILE`")
            }
        case .labels:
            break
        }
        if input.reference == nil {
            notes.append("no reference Q, so no divergence or resampling; name one with `winnow plan --of \(input.subject.name) --to REF`")
        }
        for shortfall in plan.shortfalls { notes.append("after augmentation, resampling: " + shortfall.message) }
        return notes
    }
}

/// A word for a POSIX shell: as is when it is safe, else single-quoted.
enum ShellWord {
    static func quote(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=@%+")
        if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// `winnow plan --json`: the assumptions, then one plan per subject.
public struct PlanReport: Codable, Sendable, Equatable {
    @NullEncodable public var snapshot: String?
    public var maxPerParent: Int
    public var strategy: ResampleStrategy
    @NullEncodable public var maxCopies: Int?
    public var subjects: [SubjectPlan]

    enum CodingKeys: String, CodingKey {
        case snapshot, strategy, subjects
        case maxPerParent = "max_per_parent"
        case maxCopies = "max_copies"
    }
}

extension Store {
    /// The plan for `subject` (default: every dimension, the taxonomy's then the annotated
    /// ones, and labels when there are labelled samples), over the live store or
    /// `options.snapshot`'s members. Q is read as `distribution --against` reads it (the
    /// taxonomy's targets for a dimension, uniform for labels, or `options.to`: a file,
    /// `snapshot:NAME`, `uniform` or `taxonomy`). Parents are counted in the live store, where
    /// `augment` finds them.
    public func plan(subject: DistributionSubject? = nil, options: Plan.Options = Plan.Options()) throws -> PlanReport {
        if options.to != nil && subject == nil {
            throw WinnowError.invalidArgument("--to needs --of labels|scene.DIM: each subject has its own categories")
        }
        var options = options
        let inputs = try read { db in
            if let name = options.snapshot { options.snapshotSelection = try Store.snapshotRecord(db, name: name).selection }
            return try Store.planInputs(db, subject: subject, snapshot: options.snapshot, to: options.to)
        }
        if inputs.isEmpty {
            throw WinnowError.invalidArgument(
                "nothing to plan: no taxonomy, no scene annotations and no labelled samples; load a taxonomy with targets (`winnow taxonomy load FILE`) or import labelled samples (`winnow import FILE`)"
            )
        }
        return PlanReport(
            snapshot: options.snapshot, maxPerParent: options.maxPerParent, strategy: options.strategy, maxCopies: options.maxCopies,
            subjects: inputs.map { Plan.plan($0, options: options) })
    }

    /// The counts, order, targets, parents and Q of each subject to plan, in one read. Q is
    /// `Store.reference`'s, the reading `distribution --against` and `export --to` share; a
    /// dimension without targets has none unless `to` names one.
    static func planInputs(_ db: Database, subject: DistributionSubject?, snapshot name: String?, to: String?) throws -> [Plan.Input] {
        let snapshot = try MetricSnapshot.named(name, in: db)
        let taxonomy = try Store.taxonomy(db)
        let samples = try Store.sampleCount(db, snapshot: snapshot)
        var subjects: [DistributionSubject]
        if let subject {
            subjects = [subject]
        } else {
            subjects = taxonomy.dimensionNames(with: try Store.sceneCounts(db, snapshot: snapshot)).map { .scene($0) }
            if try Store.labelCounts(db, snapshot: snapshot).contains(where: { $0.count > 0 }) { subjects.append(.labels) }
        }
        let augmentedScenes = try Store.augmentedSceneCounts(db, snapshot: snapshot)
        var inputs: [Plan.Input] = []
        for subject in subjects {
            let (counts, order) = try Store.subjectCounts(db, subject: subject, snapshot: snapshot, taxonomy: taxonomy)
            let categories: [Coverage.Spec]
            let augmented: [String: Int]
            switch subject {
            case .labels:
                guard counts.values.contains(where: { $0 > 0 }) else {
                    throw WinnowError.invalidArgument(
                        "no labelled samples to plan\(snapshot.map { " in snapshot '\($0.name)'" } ?? ""); import samples with a label field (`winnow import FILE`)")
                }
                categories = []
                augmented = try Store.augmentedLabelCounts(db, snapshot: snapshot)
            case .scene(let dimension):
                categories = taxonomy.coverageSpecs(of: dimension)
                augmented = augmentedScenes[dimension] ?? [:]
            }
            var reference: (reference: [String: Double], name: String)? = nil
            if to != nil || subject == .labels || categories.contains(where: { ($0.target ?? 0) > 0 }) {
                let present = order + counts.keys.sorted().filter { !order.contains($0) }
                reference = try Store.reference(db, against: to, subject: subject, order: present, taxonomy: taxonomy, option: "--to")
            }
            let (parents, variants) = try Store.parents(db, of: subject)
            inputs.append(
                Plan.Input(
                    subject: subject, categories: categories, counts: counts, parents: parents,
                    order: order, reference: reference?.reference, against: reference?.name,
                    unannotated: max(0, samples - counts.values.reduce(0, +)), variants: variants, augmented: augmented))
        }
        return inputs
    }

    /// Parents per category of `subject` in the live store — active samples with the category
    /// (the current annotation, or the current label) that are not themselves augmented, as
    /// `augment` picks them — and, per category, the parents that already have augmented
    /// samples by how many they have (every one counts against augment's cap per parent).
    static func parents(_ db: Database, of subject: DistributionSubject) throws -> (parents: [String: Int], variants: [String: [Int: Int]]) {
        let notAugmented = "NOT EXISTS (SELECT 1 FROM augmented_samples g WHERE g.sample_id = s.id)"
        let variants = "(SELECT count(*) FROM augmented_samples x WHERE x.parent_id = s.id)"
        let rows: [Row]
        switch subject {
        case .labels:
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT name, v, count(*) AS n FROM (
                        SELECT r.label AS name, \(variants) AS v FROM samples s \(CurrentRevision.join)
                        WHERE s.status = '\(SampleStatus.active.rawValue)' AND r.label IS NOT NULL AND \(notAugmented))
                    GROUP BY name, v
                    """)
        case .scene(let dimension):
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT name, v, count(*) AS n FROM (
                        SELECT a.category AS name, \(variants) AS v FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
                        WHERE a.dimension = ? AND a.replaced_by IS NULL AND s.status = '\(SampleStatus.active.rawValue)' AND \(notAugmented))
                    GROUP BY name, v
                    """, arguments: [dimension])
        }
        var parents: [String: Int] = [:]
        var histogram: [String: [Int: Int]] = [:]
        for row in rows {
            let name: String = try row.value("name")
            let v: Int = try row.value("v"), n: Int = try row.value("n")
            parents[name, default: 0] += n
            if v > 0 { histogram[name, default: [:]][v] = n }
        }
        return (parents, histogram)
    }
}
