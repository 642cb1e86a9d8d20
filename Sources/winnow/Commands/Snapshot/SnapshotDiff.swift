import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Snapshot {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What changed between two snapshots: added, removed, content changed, relabeled, re-annotated.",
            discussion: "Example: winnow snapshot diff v1 v2 --limit 10")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The older snapshot.", transform: nameArgument(.snapshot)) var from: String
        @Argument(help: "The newer snapshot.", transform: nameArgument(.snapshot)) var to: String
        @Option(help: "List up to N uids of each change.") var limit: Int?
        @OptionGroup var output: JSONOption

        func run() throws {
            let d = try store.open().diffSnapshots(from, to, limit: limit)
            try output.render(d) {
                var out =
                    "\(d.from) → \(d.to): \(d.added) added, \(d.removed) removed, \(d.contentChanged) content changed, \(d.relabeled) relabeled, \(d.reannotated) re-annotated\n"
                for (kind, uids) in (d.uids ?? [:]).sorted(by: { $0.key < $1.key }) where !uids.isEmpty {
                    out += "  \(kind): \(uids.joined(separator: ", "))\n"
                }
                emit(out)
            }
        }
    }
}
