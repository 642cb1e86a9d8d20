import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow review QUEUE` (interactive) and its scriptable verbs.
    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Review queue items: interactively in a terminal, or scripted with next / decide / apply / undo.",
            discussion: """
                Interactive: winnow review QUEUE --reviewer NAME — keys k keep, d drop, r relabel \
                (numbered label menu), e edit in $EDITOR, s skip, u undo, q quit.
                Scripted: winnow review next QUEUE --reviewer NAME --json, then \
                winnow review decide ITEM --reviewer NAME --action keep. Many at once: winnow review bulk \
                --flag DETECTORS --action keep|drop|relabel --reviewer NAME (undone as one with review undo --bulk ID).
                """,
            subcommands: [Interactive.self, Next.self, Decide.self, Apply.self, Bulk.self, Undo.self, Agreement.self],
            defaultSubcommand: Interactive.self)
    }
}
