import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Queue {
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
        @Option(name: .customLong("flag-status"), help: "Flag status to select on: open, confirmed, dismissed.") var flagStatus: FlagStatus = .open
        @Option(
            name: .customLong("exclude-flagged"), defaultAsFlag: "", parsing: .next,
            help: ArgumentHelp("Leave out samples with open flags: of any detector, or of these (a comma list; any score).", valueName: "detectors"))
        var excludeFlagged: String?
        @OptionGroup var filters: SelectionOptions
        @Option(help: "Only imported samples, or only augmented ones (an audit of what `winnow augment` made).") var origin: SampleOrigin?
        @Option(help: "A random audit sample of N items.") var audit: Int?
        @Option(help: "Seed for --audit and --priority random.") var seed: UInt64 = 0
        @Option(help: "Order: score (highest flag first), random, oldest.") var priority: QueuePriority = .score
        @Option(help: "Independent reviewers each item needs.") var overlap = 1

        func validate() throws {
            if let audit, audit < 1 { throw ValidationError("--audit takes a positive number of items.") }
        }

        func run() throws {
            var selection = QueueSelection()
            selection.detectors = FlagSelection.names(detector)
            selection.minScore = minScore
            selection.flagStatus = flagStatus.rawValue
            selection.label = filters.label
            selection.scene = filters.sceneFilter
            selection.source = filters.source
            selection.origin = origin
            selection.audit = audit
            selection.seed = seed
            selection.priority = priority.rawValue
            selection.overlap = overlap
            selection.excludeFlagged = excludeFlagged.map { FlagSelection(detectors: FlagSelection.names([$0])) }
            let (added, total, created, excluded) = try store.open().createQueue(name: name, selection: selection)
            emit("\(created ? "created" : "updated") queue \(name): \(added) item\(added == 1 ? "" : "s") added, \(total) in all\n")
            if let excluded { emit(describeExclusion(excluded)) }
        }
    }
}
