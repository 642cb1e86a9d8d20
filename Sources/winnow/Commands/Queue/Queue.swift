import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow queue create|list|status`.
    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build and inspect review queues.",
            subcommands: [Create.self, List.self, Status.self, Items.self])
    }
}
