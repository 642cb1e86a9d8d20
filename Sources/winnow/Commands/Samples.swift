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
                  winnow samples --search "refund policy" --count
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        @OptionGroup var selection: SelectionOptions
        @Option(help: ArgumentHelp("Only samples with an open flag from this detector.", valueName: "DETECTOR")) var flag: String?
        @Option(help: "Only samples with this status (active, dropped).") var status: SampleStatus?
        @Option(help: "Only samples of this kind (text, pair, instruction, chat).") var kind: SampleKind?
        @Option(help: "Only imported samples, or only those `winnow augment` made (import, augmented).") var origin: SampleOrigin?
        @Option(help: ArgumentHelp("Only samples whose text has these words (\"a phrase\", prefix*).", valueName: "WORDS")) var search: String?
        @Option(help: ArgumentHelp("Only samples with an open flag (of --flag) scoring at least S.", valueName: "S")) var minScore: Double?
        @Option(help: ArgumentHelp("Only samples with an open flag (of --flag) scoring at most S.", valueName: "S")) var maxScore: Double?
        @Option(help: "List at most N samples (default 20 in tables; all in --json and --csv).") var limit: Int?
        @Flag(help: "Print only the count.") var count = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more.") }
        }

        func run() throws {
            var filter = SampleFilter()
            filter.label = selection.label
            filter.flagDetector = flag
            filter.status = status?.rawValue
            filter.source = selection.source
            filter.kind = kind
            filter.origin = origin
            filter.scene = selection.sceneFilter
            filter.search = search
            filter.minScore = minScore
            filter.maxScore = maxScore
            filter.limit = count ? 0 : (limit ?? ((output.json || output.csv) ? nil : 20))
            let opened = try store.open()
            if output.json {
                // Streamed: the document is written sample by sample, never held whole.
                var written = 0
                try opened.eachSample(filter, count: { emit("{\n  \"count\" : \($0),\n  \"samples\" : [") }) { sample in
                    emit((written == 0 ? "\n    " : ",\n    ") + (try JSONOutput.line(sample)))
                    written += 1
                    if written % 1024 == 0 { try StandardOutput.check() }
                }
                emit("\n  ]\n}\n")
                return
            }
            if count {
                emit("\(try opened.eachSample(filter, count: { _ in }) { _ in })\n")
                return
            }
            var table = StreamingTable(
                headers: ["uid", "kind", "label", "status", "scenes", "text"], csv: output.csv,
                maxCellWidth: max(20, Terminal.width - 60))
            let total = try opened.eachSample(filter, count: { _ in }) { s in
                try table.add([
                    s.uid, s.kind, s.label ?? "", s.status,
                    s.scenes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                    s.text,
                ])
            }
            table.finish()
            if output.csv { return }
            emit("\(table.count) of \(total) samples\(table.count < total ? " (--limit N to see more)" : "")\n")
        }
    }
}
