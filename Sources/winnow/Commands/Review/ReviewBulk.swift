import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
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
        @Option(help: ArgumentHelp("keep, drop or relabel.", valueName: "keep|drop|relabel")) var action: BulkAction
        @Option(help: "relabel: the new label, or `predicted` (the label-noise flag's predicted label).") var to: String?
        @Option(help: "Who decides.", transform: nameArgument(.reviewer)) var reviewer: String
        @Option(help: "A note kept with every decision.") var note: String?
        @Flag(name: .customLong("all-flags"), help: "Confirm or dismiss all of each sample's open flags.") var allFlags = false
        @Flag(name: .customLong("dry-run"), help: "Show what would change; record nothing.") var dryRun = false
        @Option(help: "List at most N items (default 20; --json lists all).") var limit = 20
        @OptionGroup var output: JSONOption

        func validate() throws {
            if let minScore, !minScore.isFinite { throw ValidationError("--min-score takes a number, for example --min-score 0.9.") }
            // A score is a detector's: without --flag the bulk would act on every open flag.
            if minScore != nil && flag.isEmpty {
                throw ValidationError(
                    "--min-score needs --flag DETECTORS (whose flags' scores it reads, and which the decisions confirm or dismiss), for example --flag label-noise --min-score 0.9."
                )
            }
        }

        func run() throws {
            var request = BulkRequest(reviewer: reviewer, action: action.decision)
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
            try output.render(o) {
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
            if !o.changes.isEmpty {
                out +=
                    "  labels: " + o.changes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            }
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
}
