import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
    struct Agreement: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agreement",
            abstract: "Agreement between reviewers: raw agreement, Cohen's kappa (two), Fleiss' kappa (more), disagreements.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The queue.", transform: nameArgument(.queue)) var queue: String
        @OptionGroup var output: JSONOption

        func run() throws {
            let a = try store.open().agreement(queue: queue)
            try output.render(a) {
                var out = "\(a.queue): \(a.items) items rated by 2+ of \(a.reviewers.joined(separator: ", "))\n"
                out +=
                    "raw agreement \(decimal(a.rawAgreement, 3, none: "-")) · Cohen's kappa \(decimal(a.cohenKappa, 3, none: "-")) · Fleiss' kappa \(decimal(a.fleissKappa, 3, none: "-"))\n"
                if !a.disagreements.isEmpty {
                    var t = Table(headers: ["item", "uid", "decisions"], rightAligned: [0])
                    for d in a.disagreements { t.rows.append(["\(d.item)", d.uid, d.decisions.joined(separator: "; ")]) }
                    out += "\ndisagreements (settle with review decide ITEM --adjudicate):\n" + t.text()
                }
                emit(out)
            }
        }
    }
}
