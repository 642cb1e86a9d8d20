import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow snapshot create|list|show|diff|verify`.
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Versioned, immutable snapshots of the dataset.",
            subcommands: [Create.self, List.self, ShowSnapshot.self, Diff.self, Verify.self])

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
            @Option(name: .customLong("exclude-flagged"), defaultAsFlag: "", parsing: .next,
                    help: ArgumentHelp("Leave out samples with open flags: of any detector, or of these (a comma list).", valueName: "detectors"))
            var excludeFlagged: String?
            @Option(name: .customLong("min-score"), help: "With --exclude-flagged: only flags scoring at least this count.") var minScore: Double?
            @OptionGroup var filters: SelectionOptions
            @Flag(help: "Print one JSON document.") var json = false

            func validate() throws {
                if minScore != nil && excludeFlagged == nil {
                    throw ValidationError("--min-score goes with --exclude-flagged (a flag then counts only at that score or above).")
                }
                if let minScore, !minScore.isFinite { throw ValidationError("--min-score takes a number, for example --min-score 0.5.") }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    var selection = SnapshotSelection()
                    selection.excludeFlagged = excludeFlagged.map { FlagSelection(detectors: FlagSelection.names([$0]), minScore: minScore) }
                    selection.label = filters.label
                    selection.source = filters.source
                    selection.scene = filters.sceneFilter
                    let info: SnapshotInfo
                    do {
                        info = try store.open().createSnapshot(name: name, message: message, selection: selection)
                    } catch WinnowError.emptySnapshot(_, let leftOut) {
                        throw WinnowError.invalidArgument(emptyReason(leftOut: leftOut))
                    }
                    if json { try JSONOutput.print(info); return }
                    emit("snapshot \(info.name): \(info.members) members, fingerprint \(info.fingerprint)\n")
                    if let excluded = info.excluded { emit(describeExclusion(excluded)) }
                }
            }

            /// Why the snapshot would be empty, naming the filters that matched nothing, or
            /// saying that the exclusion left out all `leftOut` matches.
            private func emptyReason(leftOut: Int) -> String {
                if leftOut > 0, let excludeFlagged {
                    let option = "--exclude-flagged" + (excludeFlagged.isEmpty ? "" : " " + excludeFlagged) + (minScore.map { " --min-score \($0)" } ?? "")
                    return "snapshot \(name) would be empty: \(option) left out all \(leftOut) samples the other filters matched; nothing was made (snapshots are immutable, so an empty one is refused); narrow the exclusion to fewer detectors or a higher --min-score"
                }
                var given: [String] = []
                if let label = filters.label { given.append("--label \(label)") }
                if let scene = filters.scene { given.append("--scene \(scene)") }
                if let source = filters.source { given.append("--source \(source)") }
                if let excludeFlagged { given.append("--exclude-flagged" + (excludeFlagged.isEmpty ? "" : " " + excludeFlagged)) }
                if given.isEmpty { return "snapshot \(name) would be empty: the store holds no active sample; nothing was made (import samples first)" }
                return "snapshot \(name) would be empty: no active sample matches \(given.joined(separator: " ")); nothing was made (snapshots are immutable, so an empty one is refused); check the filters with `winnow samples \(given.filter { !$0.hasPrefix("--exclude-flagged") }.joined(separator: " ")) --count`"
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List snapshots.")
            @OptionGroup var store: StoreOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try WinnowCommand.guarded {
                    let all = try store.open().snapshots()
                    if output.json { try JSONOutput.print(SnapshotList(snapshots: all)); return }
                    var t = Table(headers: ["snapshot", "members", "created", "fingerprint", "message"], rightAligned: [1])
                    for s in all { t.rows.append([s.name, "\(s.members)", s.createdAt, String(s.fingerprint.prefix(16)), s.message ?? ""]) }
                    if output.csv { emit(t.csv()); return }
                    emit(all.isEmpty ? "no snapshots yet; make one with `winnow snapshot create NAME`\n" : t.text())
                }
            }
        }

        struct ShowSnapshot: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "One snapshot: members, labels, fingerprint.")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The snapshot.", transform: nameArgument(.snapshot)) var name: String
            @Flag(help: "Print one JSON document.") var json = false

            func run() throws {
                try WinnowCommand.guarded {
                    let s = try store.open().snapshot(name)
                    if json { try JSONOutput.print(s); return }
                    var out = "\(s.name): \(s.members) members, created \(s.createdAt)\(s.message.map { " — \($0)" } ?? "")\nfingerprint \(s.fingerprint)\n"
                    for (label, n) in s.labels.sorted(by: { $0.key < $1.key }) { out += "  \(label): \(n)\n" }
                    emit(out)
                }
            }
        }

        struct Diff: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "What changed between two snapshots: added, removed, content changed, relabeled, re-annotated.",
                discussion: "Example: winnow snapshot diff v1 v2 --limit 10")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The older snapshot.", transform: nameArgument(.snapshot)) var from: String
            @Argument(help: "The newer snapshot.", transform: nameArgument(.snapshot)) var to: String
            @Option(help: "List up to N uids of each change.") var limit: Int?
            @Flag(help: "Print one JSON document.") var json = false

            func run() throws {
                try WinnowCommand.guarded {
                    let d = try store.open().diffSnapshots(from, to, limit: limit)
                    if json { try JSONOutput.print(d); return }
                    var out = "\(d.from) → \(d.to): \(d.added) added, \(d.removed) removed, \(d.contentChanged) content changed, \(d.relabeled) relabeled, \(d.reannotated) re-annotated\n"
                    for (kind, uids) in (d.uids ?? [:]).sorted(by: { $0.key < $1.key }) where !uids.isEmpty {
                        out += "  \(kind): \(uids.joined(separator: ", "))\n"
                    }
                    emit(out)
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Recompute a snapshot's fingerprint from its members and compare.",
                discussion: "Exit 0 when it matches, 1 when it does not. Example: winnow snapshot verify v1")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The snapshot.", transform: nameArgument(.snapshot)) var name: String

            func run() throws {
                try WinnowCommand.guarded {
                    let (stored, recomputed, members) = try store.open().verifySnapshot(name)
                    guard stored == recomputed else {
                        throw WinnowError.invalidArgument("snapshot \(name) does NOT verify: stored fingerprint \(stored), recomputed from its \(members) members \(recomputed); its data was changed outside winnow — restore the store from a backup")
                    }
                    emit("snapshot \(name): ok (\(members) members, fingerprint \(stored))\n")
                }
            }
        }
    }
}

struct SnapshotList: Encodable { var snapshots: [SnapshotInfo] }

/// "left out 259 samples with open flags of any detector:" and a table per label: what
/// `--exclude-flagged` left out of a snapshot or a queue.
func describeExclusion(_ report: ExclusionReport) -> String {
    let what = FlagSelection(detectors: report.detectors, minScore: report.minScore).description
    var out = "left out \(report.excluded) sample\(report.excluded == 1 ? "" : "s") with open flags of \(what)"
    guard report.excluded > 0 else { return out + "\n" }
    out += ":\n"
    var t = Table(headers: ["label", "left out", "of", "share", "by detector"], rightAligned: [1, 2, 3])
    for l in report.labels {
        let detectors = l.byDetector.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        t.rows.append([l.label ?? "(none)", "\(l.excluded)", "\(l.selected)", String(format: "%.1f %%", l.share * 100), detectors])
    }
    return out + t.text(maxCellWidth: 200)
}
