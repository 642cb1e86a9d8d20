import ArgumentParser
import Foundation
import WinnowKit

extension DecisionAction: ExpressibleByArgument {}

extension WinnowCommand {
    /// `winnow queue create|list|status`.
    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build and inspect review queues.",
            subcommands: [Create.self, List.self, Status.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a review queue from flags, labels, scenes, sources, or a random audit.",
                discussion: """
                    With --detector or --min-score, the queue holds samples with such flags (status \
                    --flag-status, default open); otherwise every active sample matching the other \
                    filters. --audit N takes a seeded random N of the matches. Re-creating a queue adds \
                    new matches only.

                    Examples:
                      winnow queue create noisy --detector label-noise --detector near-duplicate --min-score 0.5
                      winnow queue create audit-1 --audit 50 --seed 7 --overlap 2
                    """)
            @OptionGroup var store: StoreOptions
            @Argument(help: "The queue's name.", transform: nameArgument(.queue)) var name: String
            @Option(help: "Samples flagged by this detector (repeatable).") var detector: [String] = []
            @Option(name: .customLong("min-score"), help: "Only flags scoring at least this.") var minScore: Double?
            @Option(name: .customLong("flag-status"), help: "Flag status to select on: open, confirmed, dismissed.") var flagStatus = "open"
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
                    selection.detectors = detector
                    selection.minScore = minScore
                    selection.flagStatus = flagStatus
                    selection.label = filters.label
                    selection.scene = filters.sceneFilter
                    selection.source = filters.source
                    selection.audit = audit
                    selection.seed = seed
                    selection.priority = priority
                    selection.overlap = overlap
                    let (added, total, created) = try store.open().createQueue(name: name, selection: selection)
                    emit("\(created ? "created" : "updated") queue \(name): \(added) item\(added == 1 ? "" : "s") added, \(total) in all\n")
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

struct QueueList: Encodable { var queues: [QueueStatus] }
struct ItemReport: Encodable { @NullEncodable var item: ReviewItem? }
