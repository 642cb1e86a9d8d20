import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow taxonomy load|show`.
    struct TaxonomyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "taxonomy",
            abstract: "Define or show the scene taxonomy: dimensions, categories, targets, weights, label order.",
            subcommands: [Load.self, ShowTaxonomy.self])

        struct Load: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "load",
                abstract: "Replace the taxonomy with the one in FILE (YAML or JSON).",
                discussion: """
                    The file is the whole taxonomy: dimensions it does not name are removed from the \
                    taxonomy. Scene annotations are always kept; categories the taxonomy lacks are \
                    reported as unknown by `winnow coverage`.

                    Example: winnow taxonomy load demo/taxonomy.yaml
                    """)
            @OptionGroup var store: StoreOptions
            @Argument(help: "The taxonomy file.") var file: String

            func run() throws {
                try WinnowCommand.guarded {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw WinnowError.unreadableInput(path: file, reason: "cannot read the file; check the path")
                    }
                    guard let text = String(data: data, encoding: .utf8) else {
                        throw WinnowError.unreadableInput(path: file, reason: "the file is not UTF-8 text")
                    }
                    let taxonomy = try Taxonomy.parse(text, file: file)
                    try store.open(.createIfMissing).loadTaxonomy(taxonomy)
                    let categories = taxonomy.dimensions.reduce(0) { $0 + $1.categories.count }
                    emit("loaded \(file): \(taxonomy.dimensions.count) dimension\(taxonomy.dimensions.count == 1 ? "" : "s"), \(categories) categories\(taxonomy.labels.isEmpty ? "" : ", label order \(taxonomy.labels.joined(separator: ", "))")\n")
                }
            }
        }

        struct ShowTaxonomy: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: "Show the taxonomy.", discussion: "Example: winnow taxonomy show --json")
            @OptionGroup var store: StoreOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try WinnowCommand.guarded {
                    let taxonomy = try store.open().taxonomy()
                    if output.json { try JSONOutput.print(taxonomy); return }
                    var table = Table(headers: ["dimension", "category", "target", "weight"], rightAligned: [2, 3])
                    for dimension in taxonomy.dimensions {
                        for category in dimension.categories {
                            table.rows.append([dimension.name, category.name, category.target.map(String.init) ?? "",
                                               String(format: "%g", category.weight)])
                        }
                    }
                    if output.csv { emit(table.csv()); return }
                    if taxonomy.dimensions.isEmpty && taxonomy.labels.isEmpty {
                        emit("no taxonomy yet; load one with `winnow taxonomy load FILE`\n")
                        return
                    }
                    if !taxonomy.labels.isEmpty { emit("labels (index order): \(taxonomy.labels.joined(separator: ", "))\n\n") }
                    emit(table.text())
                }
            }
        }
    }

    /// `winnow annotate --from FILE | --rules FILE`.
    struct Annotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add scene annotations from a file (uid, dimension, category) or from keyword/regex rules.",
            discussion: """
                A sample has at most one category per dimension: annotating it again replaces the \
                category and keeps the old one as history. --from is all or nothing (an unknown uid \
                stops it). --rules tries each dimension's categories in file order and the first \
                that matches wins; rules never overwrite annotations from import, a file or a \
                reviewer unless --replace.

                Examples:
                  winnow annotate --from scenes.csv
                  winnow annotate --rules rules.yaml
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "JSONL or CSV of uid, dimension, category.") var from: String?
        @Option(help: "YAML or JSON rules: DIM: {CAT: {keywords: [...], regex: [...]}}.") var rules: String?
        @Flag(help: "With --rules: also replace annotations made by import, a file or a reviewer.") var replace = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if (from == nil) == (rules == nil) { throw ValidationError("Pass exactly one of --from FILE or --rules FILE.") }
            if replace && rules == nil { throw ValidationError("--replace goes with --rules.") }
        }

        func run() throws {
            try WinnowCommand.guarded {
                let opened = try store.open()
                let result: AnnotateResult
                if let from {
                    result = try opened.annotate(try SceneAssignment.read(file: from), origin: "file", file: from)
                } else if let rules {
                    guard let data = FileManager.default.contents(atPath: rules), let text = String(data: data, encoding: .utf8) else {
                        throw WinnowError.unreadableInput(path: rules, reason: "cannot read the rules file; check the path")
                    }
                    result = try opened.annotate(rules: try SceneRules.parse(text, file: rules), replaceAll: replace)
                } else { return }
                if json { try JSONOutput.print(result); return }
                emit("annotated \(result.annotated) (replacing \(result.replaced)), unchanged \(result.unchanged)\n")
                if let hits = result.categories {
                    var table = Table(headers: ["dimension", "category", "samples matched"], rightAligned: [2])
                    for h in hits { table.rows.append([h.dimension, h.category, "\(h.samples)"]) }
                    emit("\n" + table.text())
                }
                if let unmatched = result.unmatchedRules, !unmatched.isEmpty, let rules {
                    emit("\n\(unmatched.count) rule\(unmatched.count == 1 ? "" : "s") matched no active sample:\n")
                    for u in unmatched { emit("  \(rules):\(u.line): \(u.dimension).\(u.category) \(u.kind) '\(u.pattern)'\n") }
                }
                for (dimension, categories) in result.unknown.sorted(by: { $0.key < $1.key }) {
                    Terminal.note("note: \(dimension): \(categories.sorted().joined(separator: ", ")) not in the taxonomy (kept, reported as unknown by coverage)")
                }
            }
        }
    }
}
