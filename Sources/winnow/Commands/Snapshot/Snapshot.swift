import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow snapshot create|list|show|diff|verify`.
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Versioned, immutable snapshots of the dataset.",
            subcommands: [Create.self, List.self, Show.self, Diff.self, Verify.self])
    }
}
