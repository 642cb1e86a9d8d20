import ArgumentParser
import Foundation
import WinnowKit

extension VectorDType: ExpressibleByArgument {}
extension VectorFileFormat: ExpressibleByArgument {}

extension WinnowCommand {
    /// `winnow vectors list` / `vectors import` / `vectors export`.
    struct Vectors: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the models with vectors; import your own vectors; export them.",
            subcommands: [List.self, Import.self, Export.self],
            defaultSubcommand: List.self)
    }
}
