import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Flags {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List flags, most suspicious first.",
            discussion: "Example: winnow flags --detector near-duplicate --status open --limit 20")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this detector's flags.") var detector: String?
        @Option(help: "Only flags with this status (open, confirmed, dismissed).") var status: FlagStatus?
        @Option(help: "At most N flags (tables default to 50; JSON and CSV list all).") var limit: Int?

        func run() throws {
            let cap = limit ?? ((output.json || output.csv) ? nil : 50)
            let opened = try store.open()
            if output.json {
                // Streamed: the document is written flag by flag, never held whole.
                var written = 0
                try opened.eachFlag(
                    detector: detector, status: status?.rawValue, limit: cap,
                    count: { emit("{\n  \"count\" : \($0),\n  \"flags\" : [") }
                ) { flag in
                    emit((written == 0 ? "\n    " : ",\n    ") + (try JSONOutput.line(flag)))
                    written += 1
                    if written % 1024 == 0 { try StandardOutput.check() }
                }
                emit("\n  ]\n}\n")
                return
            }
            var table = StreamingTable(
                headers: ["uid", "detector", "score", "status", "reason"], csv: output.csv,
                maxCellWidth: max(40, Terminal.width - 50))
            table.rightAligned = [2]
            let count = try opened.eachFlag(detector: detector, status: status?.rawValue, limit: cap, count: { _ in }) { f in
                try table.add([f.uid, f.detector, String(format: "%.3g", f.score), f.status, f.reason])
            }
            table.finish()
            if output.csv { return }
            emit("\(table.count) of \(count) flags\(table.count < count ? " (--limit N to see more)" : "")\n")
        }
    }
}
