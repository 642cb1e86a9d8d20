import ArgumentParser
import Foundation
import WinnowKit

/// A horizontal bar of `fraction` (0…1) in `width` cells, with eighth-block precision.
func bar(_ fraction: Double, width: Int = 20) -> String {
    let clamped = max(0, min(1, fraction.isFinite ? fraction : 0))
    let eighths = Int((clamped * Double(width) * 8).rounded())
    let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    return String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
}

func decimal(_ value: Double?, _ digits: Int = 3, none: String = "") -> String {
    guard let value else { return none }
    return String(format: "%.\(digits)f", value)
}

extension WinnowCommand {
    /// `winnow coverage`.
    struct CoverageCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coverage",
            abstract: "Scene coverage per dimension: which categories are covered, filled, missing.",
            discussion: """
                scene coverage = covered categories / categories (covered: count ≥ --min-count); \
                sample coverage = Σ w_c · min(1, n_c / n_c*); covered fill = mean of n_c / n_c* over \
                covered categories. Counts are of active samples' current annotations, or with \
                --snapshot NAME of the snapshot's members and the annotations in force when it was \
                made; categories, targets and weights come from the current taxonomy either way.

                Examples:
                  winnow coverage --dimension domain --json
                  winnow coverage --snapshot v1
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this dimension.") var dimension: String?
        @Option(name: .customLong("min-count"), help: "m: a category with at least m samples is covered.") var minCount = 1
        @Option(name: .customLong("over"), help: "Fill above which a category is 'over'.") var overFill = 1.5
        @Option(help: "Compute over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?

        func validate() throws {
            if minCount < 1 { throw ValidationError("--min-count must be 1 or more.") }
        }

        func run() throws {
            try WinnowCommand.guarded {
                let reports = try store.open().coverage(dimension: dimension, minCount: minCount, overFill: overFill,
                                                        snapshot: snapshot)
                if output.json { try JSONOutput.print(CoverageJSON(dimensions: reports)); return }
                var table = Table(headers: ["dimension", "category", "count", "target", "fill", "weight", "status", "needed"])
                for r in reports {
                    for c in r.categories {
                        table.rows.append([r.dimension, c.category, "\(c.count)", c.target.map(String.init) ?? "", decimal(c.fill),
                                           decimal(c.weight), c.status, "\(c.needed)"])
                    }
                }
                if output.csv { emit(table.csv()); return }
                if reports.isEmpty {
                    emit("no dimensions yet: load a taxonomy (`winnow taxonomy load FILE`) or annotate scenes\n")
                    return
                }
                if let snapshot { emit("snapshot \(snapshot)\n") }
                for r in reports {
                    if r.categories.isEmpty {
                        emit("\(r.dimension): not in the taxonomy, so no coverage to measure; categories seen: \(r.unknown.joined(separator: ", ")); unannotated \(r.unannotated)\n\n")
                        continue
                    }
                    emit("\(r.dimension): scene coverage \(decimal(r.sceneCoverage)) · sample coverage \(decimal(r.sampleCoverage)) · covered fill \(decimal(r.coveredFill, none: "-")) · unannotated \(r.unannotated)\n")
                    var t = Table(headers: ["category", "count", "target", "fill", "", "weight", "status", "needed"], rightAligned: [1, 2, 3, 5, 7])
                    for c in r.categories {
                        t.rows.append([c.category, "\(c.count)", c.target.map(String.init) ?? "", decimal(c.fill, 2),
                                       bar((c.fill ?? 0) / 1.5, width: 15), decimal(c.weight, 2), c.status, "\(c.needed)"])
                    }
                    emit(t.text())
                    if !r.unknown.isEmpty { emit("unknown categories (not in the taxonomy): \(r.unknown.joined(separator: ", "))\n") }
                    emit("\n")
                }
            }
        }
    }

    /// `winnow distribution`.
    struct DistributionCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "distribution",
            abstract: "The dataset's distribution over labels or a dimension against a target: KL, JS, resampling factors.",
            discussion: """
                P is the dataset (the live store, or with --snapshot NAME that snapshot's members as \
                frozen), Q the reference: the taxonomy's targets (default; for labels, uniform), \
                --against FILE (a JSON object {category: proportion or count}, a CSV \
                category,proportion or category,count, or a JSONL of samples carrying the field), or \
                --against snapshot:NAME (that snapshot's distribution of the same labels or dimension). \
                Logs are base 2; where Q is 0 but P is not, ε = 1e-9 stands in and the output says so. \
                factor = Q/P (over 1: oversample).

                Examples:
                  winnow distribution --of labels
                  winnow distribution --of scene.domain --against production_mix.json
                  winnow distribution --of labels --snapshot v2 --against snapshot:v1
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "labels or scene.DIM") var of: String
        @Option(help: "Reference: a file, or snapshot:NAME (default: the taxonomy's targets; uniform for labels).") var against: String?
        @Option(help: "Compute P over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?

        func run() throws {
            try WinnowCommand.guarded {
                let report = try store.open().distribution(of: try DistributionSubject(of), against: against, snapshot: snapshot)
                if output.json { try JSONOutput.print(report); return }
                let d = report.divergence
                var table = Table(headers: ["category", "count", "p", "q", "factor", "target_count"])
                for c in d.categories {
                    table.rows.append([c.category, "\(c.count)", decimal(c.p, 4), decimal(c.q, 4), decimal(c.factor), "\(c.targetCount)"])
                }
                if output.csv { emit(table.csv()); return }
                emit("\(report.of)\(snapshot.map { " of snapshot \($0)" } ?? "") against \(report.against): KL(P‖Q) \(decimal(d.klPQ, 4)) bits · KL(Q‖P) \(decimal(d.klQP, 4)) bits · JS \(decimal(d.js, 4)) bits\n")
                var t = Table(headers: ["category", "count", "P", "", "Q", "", "factor", "resampled"], rightAligned: [1, 2, 4, 6, 7])
                for c in d.categories {
                    t.rows.append([c.category, "\(c.count)", decimal(c.p, 3), bar(c.p, width: 12), decimal(c.q, 3), bar(c.q, width: 12),
                                   decimal(c.factor, 2), "\(c.targetCount)"])
                }
                emit(t.text())
                if !d.smoothed.isEmpty {
                    emit("note: zero probabilities replaced by ε = 1e-9 for KL in: \(d.smoothed.joined(separator: ", "))\n")
                }
            }
        }
    }

    /// `winnow stats`.
    struct StatsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Totals, labels and class weights, imbalance, lengths, diversity, flags, review progress.",
            discussion: """
                Class weights are listed in label-index order (the taxonomy's label order, else by \
                name), the order export writes: inverse = N/n_k, balanced = N/(K·n_k), normalized = \
                inverse/Σ inverse.

                With --snapshot NAME: over the snapshot's members as frozen (labels, texts, scenes as \
                of then), with the flags frozen with it and the review on its members up to its creation.

                Examples:
                  winnow stats --json
                  winnow stats --snapshot v1
                """)
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document.") var json = false
        @Option(help: "Compute over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?

        func run() throws {
            try WinnowCommand.guarded {
                let s = try store.open().stats(snapshot: snapshot)
                if json { try JSONOutput.print(s); return }
                var out = snapshot.map { "snapshot \($0)\n" } ?? ""
                out += "samples: \(s.samples.total) total, \(s.samples.active) active, \(s.samples.dropped) dropped\n\n"
                if !s.labels.isEmpty {
                    let most = s.labels.map(\.count).max() ?? 1
                    var t = Table(headers: ["#", "label", "count", "", "inverse", "balanced", "normalized", "words p50", "p95"],
                                  rightAligned: [0, 2, 4, 5, 6, 7, 8])
                    for l in s.labels {
                        let lengths = s.lengths[l.label]
                        t.rows.append(["\(l.index)", l.label, "\(l.count)", bar(Double(l.count) / Double(max(most, 1)), width: 12),
                                       decimal(l.weightInverse, 4), decimal(l.weightBalanced, 4), decimal(l.weightNormalized, 4),
                                       lengths.map { "\($0.p50)" } ?? "", lengths.map { "\($0.p95)" } ?? ""])
                    }
                    out += t.text()
                    out += "imbalance ratio \(decimal(s.imbalanceRatio, 2))\n\n"
                }
                if let all = s.lengths["all"] {
                    out += "length in words: mean \(decimal(all.mean, 1)), p50 \(all.p50), p95 \(all.p95), max \(all.max)\n"
                }
                out += "distinct-1 \(decimal(s.diversity.distinct1, 4)) · distinct-2 \(decimal(s.diversity.distinct2, 4))\n"
                var d = Table(headers: ["diversity of", "entropy (bits)", "evenness", "effective number", "gini-simpson"], rightAligned: [1, 2, 3, 4])
                if let l = s.diversity.labels {
                    d.rows.append(["labels", decimal(l.entropy), decimal(l.evenness), decimal(l.effectiveNumber, 2), decimal(l.giniSimpson)])
                }
                for (name, r) in s.diversity.scenes.sorted(by: { $0.key < $1.key }) {
                    d.rows.append(["scene.\(name)", decimal(r.entropy), decimal(r.evenness), decimal(r.effectiveNumber, 2), decimal(r.giniSimpson)])
                }
                if !d.rows.isEmpty { out += "\n" + d.text() }
                out += "\nflags: \(s.flags.total) (\(s.flags.open) open, \(s.flags.confirmed) confirmed, \(s.flags.dismissed) dismissed)"
                if !s.flags.byDetector.isEmpty {
                    out += " — " + s.flags.byDetector.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                }
                out += "\nreview: \(s.review.queues) queues, \(s.review.items) items, \(s.review.decisions) decisions\n"
                emit(out)
            }
        }
    }
}

struct CoverageJSON: Encodable {
    var dimensions: [CoverageReport]
}
