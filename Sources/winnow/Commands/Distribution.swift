import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow distribution`.
    struct Distribution: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "distribution",
            abstract: "The dataset's distribution over labels or a dimension against a target: KL, JS, resampling factors.",
            discussion: """
                P is the dataset (the live store, or with --snapshot NAME that snapshot's members as \
                frozen), Q the reference: the taxonomy's targets (default; for labels, uniform), \
                --against taxonomy or --against uniform (keywords: a file named so must be given \
                as ./uniform), --against FILE (a JSON object {category: proportion or count}, a CSV \
                category,proportion or category,count, or a JSONL of samples carrying the field), or \
                --against snapshot:NAME (that snapshot's distribution of the same labels or dimension), \
                or --against corpus:FILE (a topic dimension only: FILE's texts, one per line or a JSONL \
                of {"text": …}, embedded with the model of the dimension's latest `winnow cluster` run \
                and counted by nearest topic centroid; --of topic is short for --of scene.topic once \
                topic has been clustered). Logs are base 2; where Q is 0 but P is not, ε = 1e-9 stands in and the output says so. \
                factor = Q/P (over 1: oversample).

                Examples:
                  winnow distribution --of labels
                  winnow distribution --of scene.domain --against production_mix.json
                  winnow distribution --of labels --snapshot v2 --against snapshot:v1
                  winnow distribution --of topic --against corpus:production_queries.jsonl
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "labels, scene.DIM, or a clustered dimension (topic)") var of: String
        @Option(help: "Reference: taxonomy, uniform, a file, snapshot:NAME or corpus:FILE (default: the taxonomy's targets; uniform for labels).") var against: String?
        @Option(help: "Compute P over this snapshot's members as frozen, instead of the live store.", transform: nameArgument(.snapshot)) var snapshot: String?

        func run() throws {
            let opened = try store.open()
            let report = try opened.distribution(of: try opened.distributionSubject(of), against: against, snapshot: snapshot)
            let d = report.divergence
            try output.render(
                report,
                table: {
                    var table = Table(headers: ["category", "count", "p", "q", "factor", "target_count"])
                    for c in d.categories {
                        table.rows.append([c.category, "\(c.count)", decimal(c.p, 4), decimal(c.q, 4), decimal(c.factor), "\(c.targetCount)"])
                    }
                    return table
                }
            ) { _ in
                emit(
                    "\(report.of)\(snapshot.map { " of snapshot \($0)" } ?? "") against \(report.against): KL(P‖Q) \(decimal(d.klPQ, 4)) bits · KL(Q‖P) \(decimal(d.klQP, 4)) bits · JS \(decimal(d.js, 4)) bits\n"
                )
                var t = Table(headers: ["category", "count", "P", "", "Q", "", "factor", "resampled"], rightAligned: [1, 2, 4, 6, 7])
                for c in d.categories {
                    t.rows.append([
                        c.category, "\(c.count)", decimal(c.p, 3), bar(c.p, width: 12), decimal(c.q, 3), bar(c.q, width: 12),
                        decimal(c.factor, 2), "\(c.targetCount)",
                    ])
                }
                if let corpus = report.corpus {
                    emit(
                        "corpus: \(corpus.texts) texts embedded with \(corpus.model), assigned to the topics of cluster run \(corpus.run) · mean cosine to their topic \(decimal(corpus.meanCosine, 3))\n"
                    )
                }
                emit(t.text())
                if !d.smoothed.isEmpty {
                    emit("note: zero probabilities replaced by ε = 1e-9 for KL in: \(d.smoothed.joined(separator: ", "))\n")
                }
            }
        }
    }
}
