import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Queue {
    /// `winnow queue items NAME`.
    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a queue's items: sample, label, status, flags with scores, decisions.",
            discussion: """
                State: pending, claimed (leased), waiting (more reviewers needed), disagreement, decided. \
                Flags are all the sample's flags (detector score status); decisions are the live ones.

                Example: winnow queue items noisy --state pending --json
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The queue.", transform: nameArgument(.queue)) var name: String
        @Option(help: "Only items in this state.") var state: QueueItemState?
        @Option(help: "At most N items (tables default to 50; JSON and CSV list all).") var limit: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let tabular = output.format == .text
            let result = try store.open().queueItems(name, state: state, limit: limit ?? (tabular ? 50 : nil))
            try output.render(
                result,
                table: {
                    var t = Table(headers: ["item", "uid", "label", "status", "state", "flags", "decisions"], rightAligned: [0])
                    for i in result.items {
                        let flags = i.flags.map { "\($0.detector) \(String(format: "%.2f", $0.score))\($0.status == "open" ? "" : " " + $0.status)" }
                        let decisions = i.decisions.map { "\($0.reviewer): \($0.action)\($0.label.map { " " + $0 } ?? "")\($0.bulk.map { " (bulk \($0))" } ?? "")" }
                        t.rows.append(["\(i.item)", i.uid, i.label ?? "", i.status, i.state, flags.joined(separator: ", "), decisions.joined(separator: "; ")])
                    }
                    return t
                }
            ) { t in
                var out = result.items.isEmpty ? "no items\(state.map { " in state \($0.rawValue)" } ?? "") in \(name)\n" : t.text(maxCellWidth: 50)
                if result.count > result.items.count { out += "(\(result.items.count) of \(result.count); --limit N or --json for more)\n" }
                emit(out)
            }
        }
    }
}
