import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow augment`: new samples made from the parents of one scene category or label.
    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make augmented samples from the samples of a scene category or a label.",
            discussion: """
                Parents are the active samples of the category (their current annotation) or label \
                that are not augmented themselves, taken round-robin in an order fixed by --seed. Each \
                augmented sample is a new sample: uid PARENT~aug-HASH8, the parent's label, scenes and \
                source, and its provenance (parent, operations, run; `winnow show UID`). A variant whose \
                content is already stored, or that the operations left unchanged, is drawn again (up to \
                5 times), then skipped and counted. The run is one transaction: a failed or killed run \
                stores nothing.

                --to-target makes what `coverage` reports as needed for the category (target − count), \
                or for a label its gap to the largest label. --command CMD runs an external generator \
                instead of the built-in operations: it reads the parents as JSONL on standard input \
                and writes candidates {"parent": UID, …content fields} on standard output.

                Examples:
                  winnow augment --scene domain=finance --to-target --dry-run
                  winnow augment --label spam --count 200 --ops synonym,swap --rate 0.1 --seed 7
                  winnow augment --scene domain=legal --count 50 --command 'python3 paraphrase.py'
                """)

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("Augment the samples of this scene category.", valueName: "DIM=CAT")) var scene: String?
        @Option(help: "Augment the samples with this label.") var label: String?
        @Flag(name: .customLong("to-target"), help: "Make what the category needs to reach its target (coverage's needed), or the label's gap to the largest label.")
        var toTarget = false
        @Option(help: ArgumentHelp("Make N augmented samples.", valueName: "N")) var count: Int?
        @Option(
            help: ArgumentHelp(
                "Built-in operations, a comma list of synonym, insert, swap, delete, typo (default: synonym,insert,swap,delete).", valueName: "ops"))
        var ops: String?
        @Option(help: "Share of a text's words an operation touches, in (0, 1].") var rate: Double = WinnowKit.Augment.defaultRate
        @Option(help: "Seed of the parents' order and of every draw.") var seed: UInt64 = 0
        @Flag(name: .customLong("dry-run"), help: "Print how many would be made and from how many parents; write nothing.") var dryRun = false
        @Option(help: ArgumentHelp("An external generator run with /bin/sh -c instead of the built-in operations.", valueName: "CMD"))
        var command: String?
        @Option(
            name: .customLong("on-error"),
            help: "With --command: abort stores nothing when a candidate is bad; skip stores the good ones and counts the rest.")
        var onError: OnError = .abort
        @Option(name: .customLong("max-per-parent"), help: ArgumentHelp("At most K augmented samples per parent, over all runs.", valueName: "K"))
        var maxPerParent: Int = WinnowKit.Augment.maxPerParent
        @Flag(name: .customLong("include-output"), help: "Also change an instruction's expected output (kept as the parent's by default).")
        var includeOutput = false
        @OptionGroup var output: JSONOption

        /// The default operations: EDA's four (typo is noise injection, asked for by name).
        static let defaultOperations = ["synonym", "insert", "swap", "delete"]
        static let knownOperations = AugmentOperation.allCases.map(\.rawValue)

        func validate() throws {
            if (scene == nil) == (label == nil) {
                throw ValidationError("Pass one of --scene DIM=CAT or --label L: the category or label whose samples are augmented.")
            }
            if toTarget == (count != nil) {
                throw ValidationError("Pass one of --to-target (what the target still needs) or --count N.")
            }
            if let count, count < 1 { throw ValidationError("--count must be 1 or more.") }
            if let scene, sceneParts(scene) == nil { throw ValidationError("--scene takes DIM=CAT, for example --scene domain=news.") }
            if !(rate > 0 && rate <= 1) { throw ValidationError("--rate must be in (0, 1] (the share of a text's words an operation touches), got \(rate).") }
            if maxPerParent < 1 { throw ValidationError("--max-per-parent must be 1 or more.") }
            if command != nil && ops != nil { throw ValidationError("--ops goes with the built-in operations; --command CMD makes the candidates itself.") }
            if command != nil && includeOutput { throw ValidationError("--include-output goes with the built-in operations; a --command decides its own fields.") }
            if command == nil && onError != .abort { throw ValidationError("--on-error goes with --command (the built-in operations have no bad candidates).") }
            if let command, command.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--command takes a command line to run.") }
            _ = try operations()
        }

        /// The operations asked for, checked against the known ones.
        func operations() throws -> [String] {
            guard let ops else { return Self.defaultOperations }
            var list: [String] = []
            for name in ops.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard Self.knownOperations.contains(name) else {
                    throw ValidationError("unknown operation '\(name)' in --ops; the operations are \(Self.knownOperations.joined(separator: ", ")).")
                }
                if !list.contains(name) { list.append(name) }
            }
            if list.isEmpty { throw ValidationError("--ops takes a comma list of operations: \(Self.knownOperations.joined(separator: ", ")).") }
            return list
        }

        private func sceneParts(_ text: String) -> (String, String)? {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else { return nil }
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }

        func run() throws {
            let target: AugmentTarget
            if let scene, let (dimension, category) = sceneParts(scene) {
                target = .scene(dimension: dimension, category: category)
            } else {
                target = .label(label ?? "")
            }
            var request = AugmentRequest(target: target, amount: count.map { .count($0) } ?? .toTarget, operations: try operations())
            request.rate = rate
            request.seed = seed
            request.command = command
            request.onError = onError
            request.maxPerParent = maxPerParent
            request.includeOutput = includeOutput
            request.dryRun = dryRun
            let r = try store.open().augment(request)
            try output.render(r) { emit(Self.summary(r, request: request)) }
        }

        /// The human summary of a run (or a dry run).
        static func summary(_ r: AugmentResult, request: AugmentRequest) -> String {
            let amount = request.amount == .toTarget ? "--to-target asks \(r.requested)" : "asked \(r.requested)"
            if r.requested == 0 {
                return "\(r.target): nothing to make — it has reached its target (\(amount)); nothing was written\n"
            }
            var out = ""
            if r.dryRun {
                out += "\(r.target): would make \(r.planned) from \(r.parentsUsed) of \(r.parents) parents (\(amount); dry run, nothing was written)\n"
            } else if r.made == 0 {
                out += "\(r.target): nothing made from the \(r.parents) parents (\(amount)); no run was recorded\n"
            } else {
                out += "\(r.target): made \(r.made) augmented sample\(r.made == 1 ? "" : "s") from \(r.parentsUsed) of \(r.parents) parents (\(amount))"
                out += r.run.map { ", run \($0)\n" } ?? "\n"
            }
            if r.planned < r.requested {
                out +=
                    "  only \(r.capacity) can be made: each of the \(r.parents) parents takes at most \(request.maxPerParent) augmented samples over all runs (--max-per-parent), counting those it has; raise --max-per-parent or add parents\n"
            }
            if r.dryRun { return out }
            var reasons: [String] = []
            if r.skippedDuplicate > 0 { reasons.append("\(r.skippedDuplicate) duplicate\(r.skippedDuplicate == 1 ? "" : "s") of content already stored") }
            if r.skippedUnchanged > 0 { reasons.append("\(r.skippedUnchanged) left unchanged by the operations") }
            if r.skippedInvalid > 0 { reasons.append("\(r.skippedInvalid) bad candidate line\(r.skippedInvalid == 1 ? "" : "s") (--on-error skip)") }
            if r.skippedExtra > 0 { reasons.append("\(r.skippedExtra) beyond the variants asked of their parent") }
            if !reasons.isEmpty {
                out += "  skipped \(r.skipped): " + reasons.joined(separator: ", ")
                out += request.command == nil ? " (each after \(WinnowKit.Augment.attempts) draws)\n" : "\n"
            }
            if r.missing > 0 { out += "  the generator gave no usable candidate for \(r.missing) of the \(r.planned) variants asked\n" }
            if let first = r.samples.first { out += "  see them with `winnow samples --origin augmented`, one with `winnow show \(first)`\n" }
            return out
        }
    }
}
