import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim the next item of a queue with a lease.",
            discussion: "Prints the item ({\"item\": …}, or {\"item\": null} when nothing is left). Example: winnow review next noisy --reviewer alice --json")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The queue.", transform: nameArgument(.queue)) var queue: String
        @Option(help: "Who reviews.", transform: nameArgument(.reviewer)) var reviewer: String
        @Option(help: "Lease length in seconds.") var lease: Double = 600
        @OptionGroup var output: JSONOption

        func validate() throws {
            try validateLease(lease)
        }

        func run() throws {
            let item = try store.open().nextItem(queue: queue, reviewer: reviewer, leaseSeconds: lease)
            try output.render(ItemReport(item: item)) {
                guard let item else { emit("nothing left in \(queue) for \(reviewer)\n"); return }
                emit(ReviewScreen.describe(item, width: Terminal.width))
                emit("decide with: winnow review decide \(item.id) --reviewer \(reviewer) --action keep|drop|relabel|edit|skip\n")
            }
        }
    }
}

struct ItemReport: Encodable { @NullEncodable var item: ReviewItem? }
