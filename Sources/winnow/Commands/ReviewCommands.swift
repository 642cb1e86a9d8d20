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
                winnow review decide ITEM --reviewer NAME --action keep.
                """,
            subcommands: [Interactive.self, Next.self, Decide.self, Apply.self, Undo.self, AgreementCommand.self],
            defaultSubcommand: Interactive.self)

        struct Next: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Claim the next item of a queue with a lease.",
                discussion: "Prints the item ({\"item\": …}, or {\"item\": null} when nothing is left). Example: winnow review next noisy --reviewer alice --json")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The queue.", transform: nameArgument(.queue)) var queue: String
            @Option(help: "Who reviews.", transform: nameArgument(.reviewer)) var reviewer: String
            @Option(help: "Lease length in seconds.") var lease: Double = 600
            @Flag(help: "Print one JSON document.") var json = false

            func validate() throws {
                try validateLease(lease)
            }

            func run() throws {
                try WinnowCommand.guarded {
                    let item = try store.open().nextItem(queue: queue, reviewer: reviewer, leaseSeconds: lease)
                    if json { try JSONOutput.print(ItemReport(item: item)); return }
                    guard let item else { emit("nothing left in \(queue) for \(reviewer)\n"); return }
                    emit(ReviewScreen.describe(item, width: Terminal.width))
                    emit("decide with: winnow review decide \(item.id) --reviewer \(reviewer) --action keep|drop|relabel|edit|skip\n")
                }
            }
        }

        struct Decide: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record a decision on a queue item.",
                discussion: """
                    keep dismisses the sample's open flags; drop marks it dropped; relabel (--label) and \
                    edit (--text or --text-file) append a revision; skip releases the item. With overlap \
                    > 1 the effect applies once the decisions agree; --adjudicate settles a disagreement.

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
            @Flag(help: "Print the outcome as JSON.") var json = false

            func validate() throws {
                if text != nil && textFile != nil { throw ValidationError("Pass --text or --text-file, not both.") }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    var request = DecisionRequest(item: item, reviewer: reviewer, action: action)
                    request.label = label
                    request.note = note
                    request.adjudicate = adjudicate
                    if let textFile {
                        guard let data = FileManager.default.contents(atPath: textFile), let t = String(data: data, encoding: .utf8) else {
                            throw WinnowError.unreadableInput(path: textFile, reason: "cannot read the text file; check the path (it must be UTF-8)")
                        }
                        request.text = t
                    } else {
                        request.text = text
                    }
                    let outcome = try store.open().decide(request)
                    if json { try JSONOutput.print(outcome); return }
                    emit(ReviewScreen.outcomeLine(outcome) + "\n")
                }
            }
        }

        struct Apply: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Apply a JSONL of decisions made elsewhere, all or nothing.",
                discussion: "Each line: {\"uid\" or \"item\", \"action\", \"label\", \"text\", \"note\"}. Example: winnow review apply verdicts.jsonl --queue noisy --reviewer alice")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The decisions file.") var file: String
            @Option(help: "The queue the items are in.", transform: nameArgument(.queue)) var queue: String
            @Option(help: "Who decided.", transform: nameArgument(.reviewer)) var reviewer: String

            func run() throws {
                try WinnowCommand.guarded {
                    let outcomes = try store.open().applyDecisions(file: file, queue: queue, reviewer: reviewer)
                    var states: [String: Int] = [:]
                    for o in outcomes { states[o.state, default: 0] += 1 }
                    emit("\(file): \(outcomes.count) decisions recorded (" + states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")\n")
                }
            }
        }

        struct Undo: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revert the reviewer's last decision and its effect.",
                discussion: "Example: winnow review undo --reviewer alice")
            @OptionGroup var store: StoreOptions
            @Option(help: "Whose last decision.", transform: nameArgument(.reviewer)) var reviewer: String

            func run() throws {
                try WinnowCommand.guarded {
                    let o = try store.open().undo(reviewer: reviewer)
                    emit("undid \(reviewer)'s \(o.action) on item \(o.item) (\(o.uid))\n")
                }
            }
        }

        struct AgreementCommand: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "agreement",
                abstract: "Agreement between reviewers: raw agreement, Cohen's kappa (two), Fleiss' kappa (more), disagreements.")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The queue.", transform: nameArgument(.queue)) var queue: String
            @Flag(help: "Print one JSON document.") var json = false

            func run() throws {
                try WinnowCommand.guarded {
                    let a = try store.open().agreement(queue: queue)
                    if json { try JSONOutput.print(a); return }
                    var out = "\(a.queue): \(a.items) items rated by 2+ of \(a.reviewers.joined(separator: ", "))\n"
                    out += "raw agreement \(decimal(a.rawAgreement, 3, none: "-")) · Cohen's kappa \(decimal(a.cohenKappa, 3, none: "-")) · Fleiss' kappa \(decimal(a.fleissKappa, 3, none: "-"))\n"
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
}
