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
            subcommands: [Interactive.self, Next.self, Decide.self, Apply.self, Bulk.self, Undo.self, AgreementCommand.self],
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
                    if json { try JSONOutput.print(outcome); return }
                    emit(ReviewScreen.outcomeLine(outcome) + "\n")
                }
            }
        }

        struct Apply: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Apply a JSONL of decisions made elsewhere, all or nothing.",
                discussion: "Each line: {\"uid\" or \"item\", \"action\", \"label\", \"text\", \"note\", \"all_flags\"}. Example: winnow review apply verdicts.jsonl --queue noisy --reviewer alice")
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
                abstract: "Revert the reviewer's last decision and its effect, or a bulk decision as one.",
                discussion: "Examples: winnow review undo --reviewer alice · winnow review undo --bulk 3")
            @OptionGroup var store: StoreOptions
            @Option(help: "Whose last decision.", transform: nameArgument(.reviewer)) var reviewer: String?
            @Option(help: "Undo this bulk decision (its id from `review bulk`) as one.") var bulk: Int64?

            func validate() throws {
                if reviewer == nil && bulk == nil { throw ValidationError("Say whose last decision (--reviewer NAME) or which bulk decision (--bulk ID).") }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    if let bulk {
                        let u = try store.open().undoBulk(bulk, reviewer: reviewer)
                        emit("undid bulk decision \(u.bulk): \(u.reviewer)'s \(u.action) of \(u.undone) item\(u.undone == 1 ? "" : "s") in \(u.queue)\n")
                        return
                    }
                    guard let reviewer else { return }
                    let o = try store.open().undo(reviewer: reviewer)
                    emit("undid \(reviewer)'s \(o.action) on item \(o.item) (\(o.uid))\n")
                }
            }
        }

        struct Bulk: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "One verdict over many items: keep, drop or relabel what a detector flagged, or a queue's items.",
                discussion: """
                    Selects the samples with open flags of --flag DETECTORS (a comma list) scoring at least \
                    --min-score, and decides each as --reviewer: a queue bulk-ID is made for them, or with \
                    --queue NAME the queue's items still open for the reviewer are used (narrowed by --flag). \
                    Each decision follows review decide's rules (overlap, leases, only the selected \
                    detectors' flags are confirmed or dismissed, revisions appended); all are one bulk \
                    decision, undone as one with `winnow review undo --bulk ID`. --action relabel --to \
                    predicted takes each sample's label-noise flag's predicted label. --dry-run shows what \
                    would change and records nothing.

                    Examples:
                      winnow review bulk --flag label-noise --min-score 0.9 --action relabel --to predicted --reviewer alice --dry-run
                      winnow review bulk --flag near-duplicate --action drop --reviewer alice
                      winnow review bulk --queue noisy --action keep --reviewer bob
                    """)
            @OptionGroup var store: StoreOptions
            @Option(help: "Samples with open flags of these detectors (a comma list; repeatable).") var flag: [String] = []
            @Option(name: .customLong("min-score"), help: "Only flags scoring at least this.") var minScore: Double?
            @Option(help: "Act on this queue's open items instead of making a queue.", transform: nameArgument(.queue)) var queue: String?
            @OptionGroup var filters: SelectionOptions
            @Option(help: ArgumentHelp("keep, drop or relabel.", valueName: "keep|drop|relabel")) var action: String
            @Option(help: "relabel: the new label, or `predicted` (the label-noise flag's predicted label).") var to: String?
            @Option(help: "Who decides.", transform: nameArgument(.reviewer)) var reviewer: String
            @Option(help: "A note kept with every decision.") var note: String?
            @Flag(name: .customLong("all-flags"), help: "Confirm or dismiss all of each sample's open flags.") var allFlags = false
            @Flag(name: .customLong("dry-run"), help: "Show what would change; record nothing.") var dryRun = false
            @Option(help: "List at most N items (default 20; --json lists all).") var limit = 20
            @Flag(help: "Print one JSON document.") var json = false

            func validate() throws {
                if let minScore, !minScore.isFinite { throw ValidationError("--min-score takes a number, for example --min-score 0.9.") }
                // A score is a detector's: without --flag the bulk would act on every open flag.
                if minScore != nil && flag.isEmpty {
                    throw ValidationError("--min-score needs --flag DETECTORS (whose flags' scores it reads, and which the decisions confirm or dismiss), for example --flag label-noise --min-score 0.9.")
                }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    guard let decided = DecisionAction(rawValue: action), [.keep, .drop, .relabel].contains(decided) else {
                        throw WinnowError.invalidArgument("--action \(action): a bulk decision is keep, drop or relabel")
                    }
                    var request = BulkRequest(reviewer: reviewer, action: decided)
                    request.to = to
                    request.queue = queue
                    let detectors = FlagSelection.names(flag)
                    if !detectors.isEmpty || minScore != nil { request.flags = FlagSelection(detectors: detectors, minScore: minScore) }
                    request.label = filters.label
                    request.scene = filters.sceneFilter
                    request.source = filters.source
                    request.note = note
                    request.allFlags = allFlags
                    request.dryRun = dryRun
                    let o = try store.open().bulkDecide(request)
                    if json { try JSONOutput.print(o); return }
                    emit(Self.describe(o, limit: limit))
                }
            }

            static func describe(_ o: BulkOutcome, limit: Int) -> String {
                let target = o.to == BulkRequest.predicted ? " to label-noise's predicted label" : o.to.map { " to '\($0)'" } ?? ""
                let what = "\(o.decisions) \(o.action) decision\(o.decisions == 1 ? "" : "s")\(target) by \(o.reviewer)"
                var out: String
                if o.dryRun {
                    out = "dry run: would record \(what) in \(o.queueCreated ? "a new queue" : "queue \(o.queue)"); nothing was recorded\n"
                } else if let bulk = o.bulk {
                    out = "bulk decision \(bulk): \(what) in queue \(o.queue)\(o.queueCreated ? " (made for it)" : "")\n"
                } else {
                    out = "nothing to decide: no open item matches; nothing was recorded\n"
                }
                if !o.states.isEmpty { out += "  " + o.states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n" }
                if !o.changes.isEmpty { out += "  labels: " + o.changes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n" }
                if !o.items.isEmpty {
                    var t = Table(headers: ["item", "uid", "label", "to", "state"], rightAligned: [0])
                    for i in o.items.prefix(max(0, limit)) { t.rows.append(["\(i.item)", i.uid, i.label ?? "", i.to ?? "", i.state]) }
                    out += t.text()
                    if o.items.count > limit { out += "(\(limit) of \(o.items.count); --limit N or --json for all)\n" }
                }
                if !o.skipped.isEmpty {
                    out += "skipped \(o.skipped.count):\n"
                    for s in o.skipped.prefix(max(0, limit)) { out += "  item \(s.item) (\(s.uid)): \(s.reason)\n" }
                }
                if let bulk = o.bulk, !o.dryRun { out += "undo it as one with: winnow review undo --bulk \(bulk)\n" }
                return out
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
