import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Taxonomy {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the taxonomy.", discussion: "Example: winnow taxonomy show --json")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let taxonomy = try store.open().taxonomy()
            try output.render(
                taxonomy,
                table: {
                    var table = Table(headers: ["dimension", "category", "target", "weight"], rightAligned: [2, 3])
                    for dimension in taxonomy.dimensions {
                        for category in dimension.categories {
                            table.rows.append([
                                dimension.name, category.name, category.target.map(String.init) ?? "",
                                String(format: "%g", category.weight),
                            ])
                        }
                    }
                    return table
                }
            ) { table in
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
