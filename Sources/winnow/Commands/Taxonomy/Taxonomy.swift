import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow taxonomy load|show`.
    struct Taxonomy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "taxonomy",
            abstract: "Define or show the scene taxonomy: dimensions, categories, targets, weights, label order.",
            subcommands: [Load.self, Show.self])
    }
}
