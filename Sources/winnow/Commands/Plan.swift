import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow plan`.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "What is missing against the targets, and what augmentation, new data and resampling would do.",
            discussion: """
                Per dimension (the taxonomy's, then any others with annotations) and for labels: per \
                category the count, the target (the taxonomy's; for labels the count Q asks for at the \
                smallest total no label is above), needed = max(0, target − count) as coverage computes \
                it, parents (active samples of it that are not augmented), augmentable = min(needed, \
                parents × --max-per-parent), new data = needed − augmentable, and the resampling to Q \
                (as distribution reads Q: the taxonomy's targets, uniform for labels, or --to). Then \
                sample coverage and KL/JS to Q now, after augmentation, after resampling and after \
                both, and the commands that carry it out.

                Examples:
                  winnow plan
                  winnow plan --of scene.domain --json
                  winnow plan --of labels --to production_mix.json --snapshot v2
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this subject: labels or scene.DIM.") var of: String?
        @Option(help: ArgumentHelp("Q for --of: taxonomy, uniform, a FILE or snapshot:NAME (default: the taxonomy's targets; uniform for labels).", valueName: "REF"))
        var to: String?
        @Option(help: "Plan over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?
        @Option(name: .customLong("max-per-parent"), help: ArgumentHelp("Augmented samples one parent may give (as augment --max-per-parent).", valueName: "K"))
        var maxPerParent = WinnowKit.Augment.maxPerParent
        @Option(help: "Resampling strategy assumed (as export --strategy).") var strategy = ResampleStrategy.over
        @Option(name: .customLong("max-copies"), help: ArgumentHelp("Cap on copies of a sample when resampling (as export --max-copies).", valueName: "K")) var maxCopies: Int?

        func validate() throws {
            if maxPerParent < 1 { throw ValidationError("--max-per-parent must be 1 or more.") }
            if let maxCopies, maxCopies < 1 { throw ValidationError("--max-copies must be 1 or more.") }
            if to != nil && of == nil { throw ValidationError("--to needs --of labels|scene.DIM: each subject has its own categories.") }
        }

        func run() throws {
            let report = try store.open().plan(
                subject: try of.map(DistributionSubject.init),
                options: .init(maxPerParent: maxPerParent, strategy: strategy, maxCopies: maxCopies, snapshot: snapshot, to: to))
            try output.render(
                report,
                table: {
                    var table = Table(headers: [
                        "of", "category", "count", "augmented", "target", "needed", "parents", "capacity", "augmentable", "new_data", "q", "resample_factor", "resampled",
                        "resampled_after_augment",
                    ])
                    for s in report.subjects {
                        for c in s.categories {
                            table.rows.append([
                                s.of, c.category, "\(c.count)", "\(c.augmented)", c.target.map(String.init) ?? "", "\(c.needed)", "\(c.parents)", "\(c.capacity)",
                                "\(c.augmentable)",
                                "\(c.newData)", decimal(c.q, 4), decimal(c.resampleFactor, 4), c.resampled.map(String.init) ?? "",
                                c.resampledAfterAugment.map(String.init) ?? "",
                            ])
                        }
                    }
                    return table
                }
            ) { _ in emit(Self.text(report)) }
        }

        /// The human screen: per subject a line of assumptions, the categories, the stages and the commands.
        static func text(_ report: PlanReport) -> String {
            var out = report.snapshot.map { "snapshot \($0)\n" } ?? ""
            for s in report.subjects {
                let targets = s.targets.map { $0 == .taxonomy ? "taxonomy" : "Q at the smallest total no label is above" } ?? "none"
                out += "\(s.of) · targets: \(targets) · Q: \(s.against ?? "none") · up to \(report.maxPerParent) per parent · resampling: \(report.strategy.rawValue)"
                out += report.maxCopies.map { ", at most \($0) copies\n" } ?? "\n"
                var t = Table(
                    headers: ["category", "count", "augmented", "target", "needed", "parents", "augmentable", "new data", "Q", "factor", "resampled", "aug+resampled"],
                    rightAligned: Set(1...11))
                for c in s.categories {
                    t.rows.append([
                        c.category, "\(c.count)", "\(c.augmented)", c.target.map(String.init) ?? "", "\(c.needed)", "\(c.parents)", "\(c.augmentable)", "\(c.newData)",
                        decimal(c.q, 3), decimal(c.resampleFactor, 2), c.resampled.map(String.init) ?? "", c.resampledAfterAugment.map(String.init) ?? "",
                    ])
                }
                t.rows.append([
                    "total", "\(s.totals.count)", "\(s.totals.augmented)", "", "\(s.totals.needed)", "", "\(s.totals.augmentable)", "\(s.totals.newData)", "", "",
                    s.afterResample.map { "\($0.samples)" } ?? "", s.afterBoth.map { "\($0.samples)" } ?? "",
                ])
                out += t.text()
                var e = Table(headers: ["stage", "samples", "sample coverage", "KL(P‖Q)", "JS"], rightAligned: [1, 2, 3, 4])
                for (name, effect) in [("now", s.now), ("after augmentation", s.afterAugment), ("after resampling", s.afterResample), ("after both", s.afterBoth)] {
                    guard let effect else { continue }
                    e.rows.append([name, "\(effect.samples)", decimal(effect.sampleCoverage, 3, none: "-"), decimal(effect.klPQ, 4, none: "-"), decimal(effect.js, 4, none: "-")])
                }
                out += "\n" + e.text()
                if !s.commands.isEmpty { out += "\nnext:\n" + s.commands.map { "  \($0)\n" }.joined() }
                for note in s.notes { out += "note: \(note)\n" }
                out += "\n"
            }
            return out
        }
    }
}
