import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow flags` / `flags summary` / `flags import`.
    struct Flags: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List flags; per-detector summary; import an outside model's scores.",
            subcommands: [List.self, Summary.self, Import.self],
            defaultSubcommand: List.self)
    }
}
