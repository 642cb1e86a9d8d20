import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Taxonomy {
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
            guard let data = FileManager.default.contents(atPath: file) else {
                throw WinnowError.unreadableInput(path: file, reason: "cannot read the file; check the path")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw WinnowError.unreadableInput(path: file, reason: "the file is not UTF-8 text")
            }
            let taxonomy = try WinnowKit.Taxonomy.parse(text, file: file)
            try store.open(.createIfMissing).loadTaxonomy(taxonomy)
            let categories = taxonomy.dimensions.reduce(0) { $0 + $1.categories.count }
            emit(
                "loaded \(file): \(taxonomy.dimensions.count) dimension\(taxonomy.dimensions.count == 1 ? "" : "s"), \(categories) categories\(taxonomy.labels.isEmpty ? "" : ", label order \(taxonomy.labels.joined(separator: ", "))")\n"
            )
        }
    }
}
