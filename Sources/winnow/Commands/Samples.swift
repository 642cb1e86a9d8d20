import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow samples`: list, count and filter samples.
    struct Samples: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, count and filter samples.",
            discussion: """
                Filters combine with AND. The count is of all matches; --limit caps the listing.

                Examples:
                  winnow samples --label positive --scene domain=books --limit 5
                  winnow samples --flag label-conflict --json
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        @OptionGroup var selection: SelectionOptions
        @Option(help: ArgumentHelp("Only samples with an open flag from this detector.", valueName: "DETECTOR")) var flag: String?
        @Option(help: "Only samples with this status (active, dropped).") var status: String?
        @Option(help: "Only samples of this kind (text, pair, instruction, chat).") var kind: SampleKind?
        @Option(help: "List at most N samples (default 20 in tables; all in --json and --csv).") var limit: Int?
        @Flag(help: "Print only the count.") var count = false

        func validate() throws {
            if let status, !["active", "dropped"].contains(status) { throw ValidationError("--status is active or dropped.") }
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more.") }
        }

        func run() throws {
            try WinnowCommand.guarded {
                var filter = SampleFilter()
                filter.label = selection.label
                filter.flagDetector = flag
                filter.status = status
                filter.source = selection.source
                filter.kind = kind
                filter.scene = selection.sceneFilter
                filter.limit = count ? 0 : (limit ?? ((output.json || output.csv) ? nil : 20))
                let (total, samples) = try store.open().samples(filter)
                if output.json {
                    try JSONOutput.print(SamplesReport(count: total, samples: samples))
                    return
                }
                if count { emit("\(total)\n"); return }
                var table = Table(headers: ["uid", "kind", "label", "status", "scenes", "text"])
                for s in samples {
                    table.rows.append([s.uid, s.kind, s.label ?? "", s.status,
                                       s.scenes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                                       s.text])
                }
                if output.csv { emit(table.csv()); return }
                emit(table.text(maxCellWidth: max(20, Terminal.width - 60)))
                emit("\(samples.count) of \(total) samples\(samples.count < total ? " (--limit N to see more)" : "")\n")
            }
        }
    }
}

struct SamplesReport: Encodable {
    var count: Int
    var samples: [SampleSummary]
}
