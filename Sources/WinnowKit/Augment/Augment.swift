import Foundation

/// Constants and the request/result types of `winnow augment`: new samples made from parents
/// of one scene category or one label, by the built-in text operations or an external command.
public enum Augment {
    /// Default cap on augmented samples per parent, over all runs (`--max-per-parent`). The
    /// augmentation capacity of a category is its parents × this (`winnow plan` reads it).
    public static let maxPerParent = 8
    /// Default share of a text's words an operation touches (`--rate`).
    public static let defaultRate = 0.1
    /// Draws tried for one variant before it is skipped (its content already stored, or the
    /// operations left the text unchanged).
    public static let attempts = 5
    /// Most augmented samples one run asks for (`--count`, or what `--to-target` needs): a run
    /// plans and holds its variants in memory, so a larger request is refused, not attempted.
    public static let maxRequested = 1_000_000
    /// The operation name an external generator's samples carry in `augmented_samples`.
    public static let commandOperation = "command"
}

/// What a run augments: the parents of one scene category, or of one label.
public enum AugmentTarget: Sendable, Equatable {
    case scene(dimension: String, category: String)
    case label(String)

    /// As stored in `augment_runs.target`: `scene.DIM=CAT` or `label=L`.
    public var text: String {
        switch self {
        case .scene(let dimension, let category): return "scene.\(dimension)=\(category)"
        case .label(let label): return "label=\(label)"
        }
    }

    /// As the user names it (`--scene DIM=CAT`, `--label L`).
    public var option: String {
        switch self {
        case .scene(let dimension, let category): return "--scene \(dimension)=\(category)"
        case .label(let label): return "--label \(label)"
        }
    }
}

/// How many augmented samples a run asks for.
public enum AugmentAmount: Sendable, Equatable {
    /// What `coverage` reports as `needed` for the category (its target minus its count), or
    /// a label's gap to its target: the count of the largest label (labels have no targets).
    case toTarget
    /// Exactly this many (at most what the parents' caps allow).
    case count(Int)
}

/// One `winnow augment` run as asked.
public struct AugmentRequest: Sendable {
    public var target: AugmentTarget
    public var amount: AugmentAmount
    /// The built-in operations, by name (`AugmentOperation`'s raw values); ignored with a command.
    public var operations: [String]
    public var rate: Double = Augment.defaultRate
    public var seed: UInt64 = 0
    /// An external generator run through `/bin/sh -c` instead of the built-in operations.
    public var command: String?
    /// What to do with a bad candidate of the command: abort (nothing is stored) or skip it.
    public var onError: OnError = .abort
    public var maxPerParent: Int = Augment.maxPerParent
    /// Also change an instruction's expected output (off: it is kept as the parent's).
    public var includeOutput = false
    /// Count and plan only: nothing is written.
    public var dryRun = false

    public init(target: AugmentTarget, amount: AugmentAmount, operations: [String] = []) {
        self.target = target
        self.amount = amount
        self.operations = operations
    }
}

/// What a run made (or, in a dry run, would make).
public struct AugmentResult: Codable, Sendable, Equatable {
    /// The `augment_runs` id; nil in a dry run or when nothing was asked.
    public var run: Int64?
    public var target: String
    /// Samples the request asked for (before the caps).
    public var requested: Int
    /// Parents there are (active, non-augmented samples of the target).
    public var parents: Int
    /// Parents the planned variants are drawn from.
    public var parentsUsed: Int
    /// How many the parents' caps allow now: Σ max(0, K − variants each parent has already).
    public var capacity: Int
    /// Variants planned: min(requested, capacity).
    public var planned: Int
    public var made: Int
    /// Planned variants not made: content already stored (or made earlier in the run).
    public var skippedDuplicate: Int
    /// Planned variants whose operations left the text as it was.
    public var skippedUnchanged: Int
    /// External generator: candidates refused with --on-error skip (bad line, unknown parent, …).
    public var skippedInvalid: Int
    /// External generator: candidates beyond the variants asked of their parent.
    public var skippedExtra: Int
    /// External generator: variants asked that it gave no candidate for.
    public var missing: Int
    public var dryRun: Bool
    /// The uids made, in order.
    public var samples: [String]

    /// All planned variants left out.
    public var skipped: Int { skippedDuplicate + skippedUnchanged + skippedInvalid + skippedExtra }

    enum CodingKeys: String, CodingKey {
        case run, target, requested, parents, capacity, planned, made, skipped, missing, samples
        case parentsUsed = "parents_used"
        case skippedDuplicate = "skipped_duplicate"
        case skippedUnchanged = "skipped_unchanged"
        case skippedInvalid = "skipped_invalid"
        case skippedExtra = "skipped_extra"
        case dryRun = "dry_run"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(target, forKey: .target)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(requested, forKey: .requested)
        try c.encode(parents, forKey: .parents)
        try c.encode(parentsUsed, forKey: .parentsUsed)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(planned, forKey: .planned)
        try c.encode(made, forKey: .made)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(skippedDuplicate, forKey: .skippedDuplicate)
        try c.encode(skippedUnchanged, forKey: .skippedUnchanged)
        try c.encode(skippedInvalid, forKey: .skippedInvalid)
        try c.encode(skippedExtra, forKey: .skippedExtra)
        try c.encode(missing, forKey: .missing)
        try c.encode(samples, forKey: .samples)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        run = try c.decodeIfPresent(Int64.self, forKey: .run)
        target = try c.decode(String.self, forKey: .target)
        dryRun = try c.decode(Bool.self, forKey: .dryRun)
        requested = try c.decode(Int.self, forKey: .requested)
        parents = try c.decode(Int.self, forKey: .parents)
        parentsUsed = try c.decode(Int.self, forKey: .parentsUsed)
        capacity = try c.decode(Int.self, forKey: .capacity)
        planned = try c.decode(Int.self, forKey: .planned)
        made = try c.decode(Int.self, forKey: .made)
        skippedDuplicate = try c.decode(Int.self, forKey: .skippedDuplicate)
        skippedUnchanged = try c.decode(Int.self, forKey: .skippedUnchanged)
        skippedInvalid = try c.decode(Int.self, forKey: .skippedInvalid)
        skippedExtra = try c.decode(Int.self, forKey: .skippedExtra)
        missing = try c.decode(Int.self, forKey: .missing)
        samples = try c.decode([String].self, forKey: .samples)
    }

    init(target: String, requested: Int, parents: Int, capacity: Int, planned: Int, parentsUsed: Int, dryRun: Bool) {
        self.target = target
        self.requested = requested
        self.parents = parents
        self.capacity = capacity
        self.planned = planned
        self.parentsUsed = parentsUsed
        self.dryRun = dryRun
        made = 0
        skippedDuplicate = 0
        skippedUnchanged = 0
        skippedInvalid = 0
        skippedExtra = 0
        missing = 0
        samples = []
    }
}

/// The provenance of an augmented sample (`show UID`): its parent and the run that made it.
public struct AugmentProvenance: Codable, Sendable, Equatable {
    public var parent: String
    public var operations: [String]
    public var run: Int64
    public var target: String
    @NullEncodable public var rate: Double?
    public var seed: UInt64
    @NullEncodable public var command: String?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case parent, operations, run, target, rate, seed, command
        case createdAt = "created_at"
    }
}
