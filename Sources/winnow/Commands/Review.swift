import ArgumentParser
import Foundation
import WinnowKit

extension DecisionAction: ExpressibleByArgument {}

extension WinnowCommand {
    /// `winnow queue create|list|status`.
    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build and inspect review queues.",
            subcommands: [Create.self, List.self, Status.self, Items.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a review queue from flags, labels, scenes, sources, or a random audit.",
                discussion: """
                    With --detector or --min-score, the queue holds samples with such flags (status \
                    --flag-status, default open); otherwise every active sample matching the other \
                    filters. --exclude-flagged [DETECTORS] leaves out samples with open flags (of any \
                    detector, or of these), and says what it left out per label. A decision on an item \
                    of a detector-based queue confirms or dismisses the flags of those detectors only; \
                    re-creating such a queue with more detectors adds them. --audit N takes a seeded random N of the matches. Re-creating a queue adds \
                    new matches only.

                    Examples:
                      winnow queue create noisy --detector label-noise,near-duplicate --min-score 0.5
                      winnow queue create audit-1 --audit 50 --seed 7 --overlap 2
                    """)
            @OptionGroup var store: StoreOptions
            @Argument(help: "The queue's name.", transform: nameArgument(.queue)) var name: String
            @Option(help: "Samples flagged by these detectors (a comma list; repeatable).") var detector: [String] = []
            @Option(name: .customLong("min-score"), help: "Only flags scoring at least this.") var minScore: Double?
            @Option(name: .customLong("flag-status"), help: "Flag status to select on: open, confirmed, dismissed.") var flagStatus = "open"
            @Option(name: .customLong("exclude-flagged"), defaultAsFlag: "", parsing: .next,
                    help: ArgumentHelp("Leave out samples with open flags: of any detector, or of these (a comma list; any score).", valueName: "detectors"))
            var excludeFlagged: String?
            @OptionGroup var filters: SelectionOptions
            @Option(help: "A random audit sample of N items.") var audit: Int?
            @Option(help: "Seed for --audit and --priority random.") var seed: UInt64 = 0
            @Option(help: "Order: score (highest flag first), random, oldest.") var priority = "score"
            @Option(help: "Independent reviewers each item needs.") var overlap = 1

            func validate() throws {
                if !["open", "confirmed", "dismissed"].contains(flagStatus) { throw ValidationError("--flag-status is open, confirmed or dismissed.") }
                if let audit, audit < 1 { throw ValidationError("--audit takes a positive number of items.") }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    var selection = QueueSelection()
                    selection.detectors = FlagSelection.names(detector)
                    selection.minScore = minScore
                    selection.flagStatus = flagStatus
                    selection.label = filters.label
                    selection.scene = filters.sceneFilter
                    selection.source = filters.source
                    selection.audit = audit
                    selection.seed = seed
                    selection.priority = priority
                    selection.overlap = overlap
                    selection.excludeFlagged = excludeFlagged.map { FlagSelection(detectors: FlagSelection.names([$0])) }
                    let (added, total, created, excluded) = try store.open().createQueue(name: name, selection: selection)
                    emit("\(created ? "created" : "updated") queue \(name): \(added) item\(added == 1 ? "" : "s") added, \(total) in all\n")
                    if let excluded { emit(describeExclusion(excluded)) }
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List queues with their progress.")
            @OptionGroup var store: StoreOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try WinnowCommand.guarded {
                    let queues = try store.open().queueStatuses()
                    if output.json { try JSONOutput.print(QueueList(queues: queues)); return }
                    var t = Table(headers: ["queue", "overlap", "items", "pending", "claimed", "decided", "disagreements"], rightAligned: [1, 2, 3, 4, 5, 6])
                    for q in queues { t.rows.append([q.queue, "\(q.overlap)", "\(q.items)", "\(q.pending)", "\(q.claimed)", "\(q.decided)", "\(q.disagreements)"]) }
                    if output.csv { emit(t.csv()); return }
                    emit(queues.isEmpty ? "no queues yet; create one with `winnow queue create NAME`\n" : t.text())
                }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One queue's progress.", discussion: "Example: winnow queue status noisy --json")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The queue.", transform: nameArgument(.queue)) var name: String
            @Flag(help: "Print one JSON document.") var json = false

            func run() throws {
                try WinnowCommand.guarded {
                    let q = try store.open().queueStatus(name)
                    if json { try JSONOutput.print(q); return }
                    emit("\(q.queue): \(q.items) items, overlap \(q.overlap) · \(q.decided) decided, \(q.claimed) claimed, \(q.pending) pending, \(q.disagreements) disagreements\n")
                    emit(bar(q.items > 0 ? Double(q.decided) / Double(q.items) : 0, width: 40) + "\n")
                }
            }
        }
    }
}

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
        @Option(help: "Only items in this state: pending, claimed, waiting, disagreement, decided.") var state: String?
        @Option(help: "At most N items (tables default to 50; JSON and CSV list all).") var limit: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try WinnowCommand.guarded {
                let tabular = !output.json && !output.csv
                let result = try store.open().queueItems(name, state: state, limit: limit ?? (tabular ? 50 : nil))
                if output.json { try JSONOutput.print(result); return }
                var t = Table(headers: ["item", "uid", "label", "status", "state", "flags", "decisions"], rightAligned: [0])
                for i in result.items {
                    let flags = i.flags.map { "\($0.detector) \(String(format: "%.2f", $0.score))\($0.status == "open" ? "" : " " + $0.status)" }
                    let decisions = i.decisions.map { "\($0.reviewer): \($0.action)\($0.label.map { " " + $0 } ?? "")\($0.bulk.map { " (bulk \($0))" } ?? "")" }
                    t.rows.append(["\(i.item)", i.uid, i.label ?? "", i.status, i.state, flags.joined(separator: ", "), decisions.joined(separator: "; ")])
                }
                if output.csv { emit(t.csv()); return }
                var out = result.items.isEmpty ? "no items\(state.map { " in state \($0)" } ?? "") in \(name)\n" : t.text(maxCellWidth: 50)
                if result.count > result.items.count { out += "(\(result.items.count) of \(result.count); --limit N or --json for more)\n" }
                emit(out)
            }
        }
    }
}

struct QueueList: Encodable { var queues: [QueueStatus] }
struct ItemReport: Encodable { @NullEncodable var item: ReviewItem? }
