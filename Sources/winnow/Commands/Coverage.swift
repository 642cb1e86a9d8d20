import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow coverage`.
    struct Coverage: ParsableCommand {
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
            let reports = try store.open().coverage(
                dimension: dimension, minCount: minCount, overFill: overFill,
                snapshot: snapshot)
            // The augmented column (of count, the samples `winnow augment` made) only once there are some.
            let anyAugmented = reports.contains { $0.categories.contains { ($0.augmented ?? 0) > 0 } }
            try output.render(
                CoverageJSON(dimensions: reports),
                table: {
                    var table = Table(headers: ["dimension", "category", "count", "target", "fill", "weight", "status", "needed"] + (anyAugmented ? ["augmented"] : []))
                    for r in reports {
                        for c in r.categories {
                            table.rows.append(
                                [
                                    r.dimension, c.category, "\(c.count)", c.target.map(String.init) ?? "", decimal(c.fill),
                                    decimal(c.weight), c.status, "\(c.needed)",
                                ] + (anyAugmented ? ["\(c.augmented ?? 0)"] : []))
                        }
                    }
                    return table
                }
            ) { _ in
                if reports.isEmpty {
                    emit("no dimensions yet: load a taxonomy (`winnow taxonomy load FILE`) or annotate scenes\n")
                    return
                }
                if let snapshot { emit("snapshot \(snapshot)\n") }
                for r in reports {
                    if r.categories.isEmpty {
                        emit(
                            "\(r.dimension): not in the taxonomy, so no coverage to measure; categories seen: \(r.unknown.joined(separator: ", ")); unannotated \(r.unannotated)\n\n"
                        )
                        continue
                    }
                    emit(
                        "\(r.dimension): scene coverage \(decimal(r.sceneCoverage)) · sample coverage \(decimal(r.sampleCoverage)) · covered fill \(decimal(r.coveredFill, none: "-")) · unannotated \(r.unannotated)\n"
                    )
                    var t = Table(
                        headers: ["category", "count", "target", "fill", "", "weight", "status", "needed"] + (anyAugmented ? ["augmented"] : []),
                        rightAligned: [1, 2, 3, 5, 7, 8])
                    for c in r.categories {
                        t.rows.append(
                            [
                                c.category, "\(c.count)", c.target.map(String.init) ?? "", decimal(c.fill, 2),
                                bar((c.fill ?? 0) / 1.5, width: 15), decimal(c.weight, 2), c.status, "\(c.needed)",
                            ] + (anyAugmented ? ["\(c.augmented ?? 0)"] : []))
                    }
                    emit(t.text())
                    if !r.unknown.isEmpty { emit("unknown categories (not in the taxonomy): \(r.unknown.joined(separator: ", "))\n") }
                    emit("\n")
                }
            }
        }
    }
}

struct CoverageJSON: Encodable {
    var dimensions: [CoverageReport]
}
