import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow stats`.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Totals, labels and class weights, imbalance, lengths, diversity, flags, review progress.",
            discussion: """
                Class weights are listed in label-index order (the taxonomy's label order, else by \
                name), the order export writes: inverse = N/n_k, balanced = N/(K·n_k), normalized = \
                inverse/Σ inverse.

                When the store holds vectors (`winnow embed`, `winnow vectors import`), diversity in \
                feature space too, per model (--model: one): the Vendi score (the effective number of \
                distinct samples under the cosine kernel, on a seeded sample of up to 5000) and the \
                mean pairwise cosine distance (exact), overall, per label and per scene category.

                With --snapshot NAME: over the snapshot's members as frozen (labels, texts, scenes as \
                of then), with the flags frozen with it and the review on its members up to its creation.

                Examples:
                  winnow stats --json
                  winnow stats --snapshot v1
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption
        @Option(help: "Compute over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?
        @Option(help: "Feature-space diversity of this model's vectors only (default: every model's).") var model: String?

        func run() throws {
            let s = try store.open().stats(snapshot: snapshot, model: model)
            try output.render(s) {
                var out = snapshot.map { "snapshot \($0)\n" } ?? ""
                let augmented = s.samples.augmented ?? 0
                out += "samples: \(s.samples.total) total, \(s.samples.active) active, \(s.samples.dropped) dropped"
                out += augmented > 0 ? " · \(augmented) of the active augmented (`winnow augment`)\n\n" : "\n\n"
                if !s.labels.isEmpty {
                    let most = s.labels.map(\.count).max() ?? 1
                    // The augmented column only once `winnow augment` has made samples.
                    var headers = ["#", "label", "count", "", "inverse", "balanced", "normalized", "words p50", "p95"]
                    if augmented > 0 { headers.insert("augmented", at: 3) }
                    var t = Table(headers: headers, rightAligned: augmented > 0 ? [0, 2, 3, 5, 6, 7, 8, 9] : [0, 2, 4, 5, 6, 7, 8])
                    for l in s.labels {
                        let lengths = s.lengths[l.label]
                        var row = [
                            "\(l.index)", l.label, "\(l.count)", bar(Double(l.count) / Double(max(most, 1)), width: 12),
                            decimal(l.weightInverse, 4), decimal(l.weightBalanced, 4), decimal(l.weightNormalized, 4),
                            lengths.map { "\($0.p50)" } ?? "", lengths.map { "\($0.p95)" } ?? "",
                        ]
                        if augmented > 0 { row.insert("\(l.augmented ?? 0)", at: 3) }
                        t.rows.append(row)
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
                for v in s.diversity.vectors { out += "\n" + Self.featureSpace(v) }
                out += "\nflags: \(s.flags.total) (\(s.flags.open) open, \(s.flags.confirmed) confirmed, \(s.flags.dismissed) dismissed)"
                if !s.flags.byDetector.isEmpty {
                    out += " — " + s.flags.byDetector.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                }
                out += "\nreview: \(s.review.queues) queues, \(s.review.items) items, \(s.review.decisions) decisions\n"
                emit(out)
            }
        }

        /// The feature-space diversity table of one model.
        static func featureSpace(_ v: VectorStats) -> String {
            var out = "feature space, model \(v.model) (\(v.dimension) dimensions): Vendi score on a seeded sample of up to \(v.vendiSampleSize)"
            out += v.withoutVector > 0 ? " · without a vector: \(v.withoutVector)\n" : "\n"
            var t = Table(headers: ["group", "samples", "vendi score", "mean cosine distance"], rightAligned: [1, 2, 3])
            func add(_ name: String, _ r: VectorDiversityReport) {
                let sampled = r.vendiSample < r.samples ? " (of \(r.vendiSample))" : ""
                t.rows.append([name, "\(r.samples)", decimal(r.vendiScore, 2) + sampled, decimal(r.meanCosineDistance, 4, none: "-")])
            }
            add("all", v.all)
            for (label, r) in v.labels.sorted(by: { $0.key < $1.key }) { add("label \(label)", r) }
            for (dimension, categories) in v.scenes.sorted(by: { $0.key < $1.key }) {
                for (category, r) in categories.sorted(by: { $0.key < $1.key }) { add("scene.\(dimension)=\(category)", r) }
            }
            return out + t.text()
        }
    }
}
