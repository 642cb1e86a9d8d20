import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow cluster`.
    struct Cluster: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster",
            abstract: "Discover topics: spherical k-means over the vectors, written as scene annotations.",
            discussion: """
                Clusters the active samples' vectors of one model (--model NAME, or the store's only \
                one) by spherical k-means with k-means++ seeding, deterministic for a --seed. Each \
                topic is named by its top TF-IDF terms (for example refund-order-days) and written as \
                the sample's category in --dimension (origin cluster), replacing its current one there; \
                the dimension and its categories join the taxonomy without targets. Re-clustering \
                replaces the earlier run's annotations (history is kept). Then coverage, distribution \
                (--of topic, or --against corpus:FILE), export --stratify scene.topic, queue create \
                --scene topic=CAT and plan work on the topics.

                Examples:
                  winnow cluster --k 20
                  winnow cluster --k 8 --dimension intent --seed 7 --json
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Number of topics to find.") var k: Int
        @Option(help: "The scene dimension the topics are written to.") var dimension = "topic"
        @Option(help: "Seed of the k-means++ seeding.") var seed: UInt64 = 0
        @Option(help: "The vector model (default: the store's only one).") var model: String?
        @Option(name: .customLong("max-iterations"), help: "Cap on k-means iterations.") var maxIterations = KMeans.defaultMaxIterations

        func validate() throws {
            if k < 1 { throw ValidationError("--k must be 1 or more (the number of topics to find).") }
            if maxIterations < 1 { throw ValidationError("--max-iterations must be 1 or more.") }
        }

        func run() throws {
            let report = try store.open().cluster(
                ClusterOptions(k: k, dimension: dimension, seed: seed, model: model, maxIterations: maxIterations))
            try output.render(
                report,
                table: {
                    var table = Table(headers: ["position", "category", "size", "cohesion", "terms"])
                    for t in report.topics {
                        table.rows.append(["\(t.position)", t.category, "\(t.size)", decimal(t.cohesion, 4), t.terms.joined(separator: " ")])
                    }
                    return table
                }
            ) { _ in
                emit(
                    "cluster run \(report.run): \(report.k) topics of \(report.samples) samples (model \(report.model), seed \(report.seed)) into dimension \(report.dimension) · \(report.iterations) iterations\(report.converged ? "" : " (cap reached)") · mean cosine \(decimal(report.objective, 4))\n"
                )
                let largest = report.topics.map(\.size).max() ?? 1
                var t = Table(headers: ["category", "size", "", "cohesion", "terms"], rightAligned: [1, 3])
                for topic in report.topics {
                    t.rows.append([
                        topic.category, "\(topic.size)", bar(Double(topic.size) / Double(max(largest, 1)), width: 12),
                        decimal(topic.cohesion, 3), topic.terms.joined(separator: " "),
                    ])
                }
                emit(t.text())
                emit("annotated \(report.annotated) (replaced \(report.replaced)) · unchanged \(report.unchanged)\n")
                if report.withoutVector > 0 {
                    emit("note: \(report.withoutVector) active samples have no vector of model \(report.model) and were left out; run `winnow embed` first\n")
                }
                if !report.removedCategories.isEmpty {
                    emit("removed from the taxonomy (no sample carries them any more): \(report.removedCategories.joined(separator: ", "))\n")
                }
            }
        }
    }
}
