import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
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
        @OptionGroup var output: JSONOption

        func validate() throws {
            if (from == nil) == (rules == nil) { throw ValidationError("Pass exactly one of --from FILE or --rules FILE.") }
            if replace && rules == nil { throw ValidationError("--replace goes with --rules.") }
        }

        func run() throws {
            let opened = try store.open()
            let result: AnnotateResult
            if let from {
                result = try opened.annotate(try SceneAssignment.read(file: from), origin: "file", file: from)
            } else if let rules {
                guard let data = FileManager.default.contents(atPath: rules), let text = String(data: data, encoding: .utf8) else {
                    throw WinnowError.unreadableInput(path: rules, reason: "cannot read the rules file; check the path")
                }
                result = try opened.annotate(rules: try SceneRules.parse(text, file: rules), replaceAll: replace)
            } else {
                return
            }
            try output.render(result) {
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
