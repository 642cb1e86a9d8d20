import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Flags {
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per detector: open, confirmed and dismissed flags, and precision.",
            discussion: """
                precision = confirmed / (confirmed + dismissed), once reviewers have decided some. Only \
                flags a reviewer judged count: a decision in a queue made from other detectors leaves this \
                detector's flags open. "unjudged" (shown when there are some) counts flags that a store's \
                older decisions closed along with the flags under review.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let rows = try store.open().flagSummary()
            try output.render(
                FlagSummaryReport(detectors: rows),
                table: {
                    // "unjudged" only matters for stores whose decisions once closed every flag of a sample.
                    let unjudged = rows.contains { $0.unjudged > 0 }
                    var table = Table(
                        headers: ["detector", "open", "confirmed", "dismissed"] + (unjudged ? ["unjudged"] : []) + ["precision"],
                        rightAligned: Set(1...(unjudged ? 5 : 4)))
                    for r in rows {
                        table.rows.append(
                            [r.detector, "\(r.open)", "\(r.confirmed)", "\(r.dismissed)"] + (unjudged ? ["\(r.unjudged)"] : [])
                                + [r.precision.map { String(format: "%.2f", $0) } ?? "-"])
                    }
                    return table
                }
            ) { table in
                emit(rows.isEmpty ? "no flags yet; run `winnow detect`\n" : table.text())
            }
        }
    }
}

struct FlagSummaryReport: Encodable { var detectors: [DetectorPrecision] }
