import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
    struct Decide: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a decision on a queue item.",
            discussion: """
                keep dismisses the open flags under review; drop marks the sample dropped; relabel \
                (--label) and edit (--text or --text-file) append a revision and confirm the flags under \
                review; skip releases the item. The flags under review are the sample's open flags of \
                the detectors the queue was made from (all of them in a queue not made from detectors, \
                or with --all-flags); its other flags stay open. With overlap > 1 the effect applies \
                once the decisions agree; --adjudicate settles a disagreement.

                Example: winnow review decide 12 --reviewer alice --action relabel --label positive --note "clearly positive"
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The item id (from review next).") var item: Int64
        @Option(help: "Who decides.", transform: nameArgument(.reviewer)) var reviewer: String
        @Option(help: "keep, drop, relabel, edit or skip.") var action: DecisionAction
        @Option(help: "relabel: the new label.") var label: String?
        @Option(help: "edit: the new text (a JSON object of fields for non-text kinds).") var text: String?
        @Option(name: .customLong("text-file"), help: "edit: read the new text from this file.") var textFile: String?
        @Option(help: "A note kept with the decision.") var note: String?
        @Flag(help: "Settle a disagreement as adjudicator.") var adjudicate = false
        @Flag(name: .customLong("all-flags"), help: "Confirm or dismiss all the sample's open flags, not only the queue's detectors'.")
        var allFlags = false
        @OptionGroup var output: JSONOption

        func validate() throws {
            if text != nil && textFile != nil { throw ValidationError("Pass --text or --text-file, not both.") }
        }

        func run() throws {
            var request = DecisionRequest(item: item, reviewer: reviewer, action: action)
            request.label = label
            request.note = note
            request.adjudicate = adjudicate
            request.allFlags = allFlags
            if let textFile {
                guard let data = FileManager.default.contents(atPath: textFile), let t = String(data: data, encoding: .utf8) else {
                    throw WinnowError.unreadableInput(path: textFile, reason: "cannot read the text file; check the path (it must be UTF-8)")
                }
                request.text = t
            } else {
                request.text = text
            }
            let outcome = try store.open().decide(request)
            try output.render(outcome) {
                emit(ReviewScreen.outcomeLine(outcome) + "\n")
            }
        }
    }
}
