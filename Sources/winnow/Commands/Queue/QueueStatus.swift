import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Queue {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One queue's progress.", discussion: "Example: winnow queue status noisy --json")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The queue.", transform: nameArgument(.queue)) var name: String
        @OptionGroup var output: JSONOption

        func run() throws {
            let q = try store.open().queueStatus(name)
            try output.render(q) {
                emit("\(q.queue): \(q.items) items, overlap \(q.overlap) · \(q.decided) decided, \(q.claimed) claimed, \(q.pending) pending, \(q.disagreements) disagreements\n")
                emit(bar(q.items > 0 ? Double(q.decided) / Double(q.items) : 0, width: 40) + "\n")
            }
        }
    }
}
