import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a JSONL of decisions made elsewhere, all or nothing.",
            discussion:
                "Each line: {\"uid\" or \"item\", \"action\", \"label\", \"text\", \"note\", \"all_flags\"}. Example: winnow review apply verdicts.jsonl --queue noisy --reviewer alice"
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The decisions file.") var file: String
        @Option(help: "The queue the items are in.", transform: nameArgument(.queue)) var queue: String
        @Option(help: "Who decided.", transform: nameArgument(.reviewer)) var reviewer: String

        func run() throws {
            let outcomes = try store.open().applyDecisions(file: file, queue: queue, reviewer: reviewer)
            var states: [String: Int] = [:]
            for o in outcomes { states[o.state, default: 0] += 1 }
            emit("\(file): \(outcomes.count) decisions recorded (" + states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")\n")
        }
    }
}
