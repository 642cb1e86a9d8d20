import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Snapshot {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Freeze the active samples with their current revision, label and scenes.",
            discussion: """
                --exclude-flagged alone leaves out samples with an open flag of any detector; \
                followed by a comma list of detectors, only their open flags count, and --min-score S \
                counts only flags scoring at least S. The output says what was left out per label and \
                per detector. Informational detectors (\(DetectorName.allCases.filter(\.isInformational).map(\.rawValue).joined(separator: ", "))) \
                flag samples worth a look, not necessarily noise: see the README.

                Examples:
                  winnow snapshot create v1 -m "first clean cut" --exclude-flagged
                  winnow snapshot create v2 --exclude-flagged label-noise,near-duplicate --min-score 0.5
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The snapshot's name.", transform: nameArgument(.snapshot)) var name: String
        @Option(name: [.customShort("m"), .long], help: "A message kept with the snapshot.") var message: String?
        @Option(
            name: .customLong("exclude-flagged"), defaultAsFlag: "", parsing: .next,
            help: ArgumentHelp("Leave out samples with open flags: of any detector, or of these (a comma list).", valueName: "detectors"))
        var excludeFlagged: String?
        @Option(name: .customLong("min-score"), help: "With --exclude-flagged: only flags scoring at least this count.") var minScore: Double?
        @OptionGroup var filters: SelectionOptions
        @Flag(name: .customLong("exclude-augmented"), help: "Leave out the samples `winnow augment` made.") var excludeAugmented = false
        @OptionGroup var output: JSONOption

        func validate() throws {
            if minScore != nil && excludeFlagged == nil {
                throw ValidationError("--min-score goes with --exclude-flagged (a flag then counts only at that score or above).")
            }
            if let minScore, !minScore.isFinite { throw ValidationError("--min-score takes a number, for example --min-score 0.5.") }
        }

        func run() throws {
            var selection = SnapshotSelection()
            selection.excludeFlagged = excludeFlagged.map { FlagSelection(detectors: FlagSelection.names([$0]), minScore: minScore) }
            selection.label = filters.label
            selection.source = filters.source
            selection.scene = filters.sceneFilter
            selection.excludeAugmented = excludeAugmented
            let info: SnapshotInfo
            do {
                info = try store.open().createSnapshot(name: name, message: message, selection: selection)
            } catch WinnowError.emptySnapshot(_, let leftOut) {
                throw WinnowError.invalidArgument(emptyReason(leftOut: leftOut))
            }
            try output.render(info) {
                emit("snapshot \(info.name): \(info.members) members, fingerprint \(info.fingerprint)\n")
                if let excluded = info.excluded { emit(describeExclusion(excluded)) }
            }
        }

        /// Why the snapshot would be empty, naming the filters that matched nothing, or
        /// saying that the exclusion left out all `leftOut` matches.
        private func emptyReason(leftOut: Int) -> String {
            if leftOut > 0, let excludeFlagged {
                let option = "--exclude-flagged" + (excludeFlagged.isEmpty ? "" : " " + excludeFlagged) + (minScore.map { " --min-score \($0)" } ?? "")
                return
                    "snapshot \(name) would be empty: \(option) left out all \(leftOut) samples the other filters matched; nothing was made (snapshots are immutable, so an empty one is refused); narrow the exclusion to fewer detectors or a higher --min-score"
            }
            var given: [String] = []
            if let label = filters.label { given.append("--label \(label)") }
            if let scene = filters.scene { given.append("--scene \(scene)") }
            if let source = filters.source { given.append("--source \(source)") }
            if let excludeFlagged { given.append("--exclude-flagged" + (excludeFlagged.isEmpty ? "" : " " + excludeFlagged)) }
            if excludeAugmented { given.append("--exclude-augmented") }
            if given.isEmpty { return "snapshot \(name) would be empty: the store holds no active sample; nothing was made (import samples first)" }
            return
                "snapshot \(name) would be empty: no active sample matches \(given.joined(separator: " ")); nothing was made (snapshots are immutable, so an empty one is refused); check the filters with `winnow samples \(given.filter { !$0.hasPrefix("--exclude-flagged") }.joined(separator: " ")) --count`"
        }
    }
}
