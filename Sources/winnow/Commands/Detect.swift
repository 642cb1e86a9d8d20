import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow detect [DETECTOR...]`.
    struct Detect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run noise detectors over the active samples (default: all built-in).",
            discussion: """
                Detectors: \(DetectorName.allCases.map(\.rawValue).joined(separator: ", ")). Each run is \
                recorded; it replaces the detector's open flags, and never reopens a flag a reviewer \
                confirmed or dismissed for unchanged content. Parameters (defaults in the README): \
                --set DETECTOR.KEY=VALUE or --config FILE ({DETECTOR: {KEY: VALUE}}).

                Examples:
                  winnow detect
                  winnow detect near-duplicate label-noise --set near-duplicate.threshold=0.9
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Detectors to run (default: all).") var detectors: [String] = []
        @Option(name: .customLong("set"), help: ArgumentHelp("A parameter, DETECTOR.KEY=VALUE (repeatable).", valueName: "DETECTOR.KEY=VALUE"))
        var settings: [String] = []
        @Option(help: "A YAML or JSON file of parameters: {DETECTOR: {KEY: VALUE}}.") var config: String?
        @Flag(help: "Print the runs as JSON.") var json = false

        func run() throws {
            try WinnowCommand.guarded {
                var names: [DetectorName] = []
                for d in detectors {
                    guard let name = DetectorName(rawValue: d) else {
                        throw WinnowError.invalidArgument("unknown detector '\(d)'; detectors are \(DetectorName.allCases.map(\.rawValue).joined(separator: ", ")) (outside models' scores come in with `winnow flags import`)")
                    }
                    if !names.contains(name) { names.append(name) }
                }
                if names.isEmpty { names = DetectorName.allCases }
                var cfg = DetectConfig()
                if let config {
                    guard let data = FileManager.default.contents(atPath: config), let text = String(data: data, encoding: .utf8) else {
                        throw WinnowError.unreadableInput(path: config, reason: "cannot read the config file; check the path")
                    }
                    try cfg.load(text, file: config)
                }
                for setting in settings {
                    guard let eq = setting.firstIndex(of: "=") else {
                        throw WinnowError.invalidArgument("--set \(setting): expected DETECTOR.KEY=VALUE, for example --set too-short.min_words=5")
                    }
                    try cfg.set(String(setting[..<eq]), String(setting[setting.index(after: eq)...]))
                }
                let bar = ProgressBar(label: "detect")
                let pass = try store.open().detect(names, config: cfg) { p in
                    bar.step(p.step == "reading" ? "detect" : "detect: \(p.step)")
                    bar.update(done: p.done, total: p.total, items: p.done, unit: p.unit)
                }
                bar.finish()
                if json { try JSONOutput.print(DetectReport(runs: pass.runs, seconds: pass.seconds)); return }
                var table = Table(headers: ["detector", "flagged", "kept reviewed", "scanned", "seconds"], rightAligned: [1, 2, 3, 4])
                for r in pass.runs {
                    table.rows.append([r.detector, "\(r.flagged)", "\(r.keptReviewed)", "\(r.scanned)", Format.seconds(r.seconds)])
                }
                emit(table.text())
                emit("\(Format.seconds(pass.seconds)) s in all; see them with `winnow flags` and `winnow flags summary`\n")
            }
        }
    }

    /// `winnow flags` / `flags summary` / `flags import`.
    struct Flags: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List flags; per-detector summary; import an outside model's scores.",
            subcommands: [ListFlags.self, Summary.self, ImportFlags.self],
            defaultSubcommand: ListFlags.self)

        struct ListFlags: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List flags, most suspicious first.",
                discussion: "Example: winnow flags --detector near-duplicate --status open --limit 20")
            @OptionGroup var store: StoreOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Only this detector's flags.") var detector: String?
            @Option(help: "Only flags with this status (open, confirmed, dismissed).") var status: String?
            @Option(help: "At most N flags (tables default to 50; JSON and CSV list all).") var limit: Int?

            func validate() throws {
                if let status, !["open", "confirmed", "dismissed"].contains(status) {
                    throw ValidationError("--status is open, confirmed or dismissed.")
                }
            }

            func run() throws {
                try WinnowCommand.guarded {
                    let cap = limit ?? ((output.json || output.csv) ? nil : 50)
                    let opened = try store.open()
                    if output.json {
                        // Streamed: the document is written flag by flag, never held whole.
                        var written = 0
                        try opened.eachFlag(detector: detector, status: status, limit: cap,
                                            count: { emit("{\n  \"count\" : \($0),\n  \"flags\" : [") }) { flag in
                            emit((written == 0 ? "\n    " : ",\n    ") + (try JSONOutput.line(flag)))
                            written += 1
                            if written % 1024 == 0 { try StandardOutput.check() }
                        }
                        emit("\n  ]\n}\n")
                        return
                    }
                    var table = StreamingTable(headers: ["uid", "detector", "score", "status", "reason"], csv: output.csv,
                                               maxCellWidth: max(40, Terminal.width - 50))
                    table.rightAligned = [2]
                    let count = try opened.eachFlag(detector: detector, status: status, limit: cap, count: { _ in }) { f in
                        try table.add([f.uid, f.detector, String(format: "%.3g", f.score), f.status, f.reason])
                    }
                    table.finish()
                    if output.csv { return }
                    emit("\(table.count) of \(count) flags\(table.count < count ? " (--limit N to see more)" : "")\n")
                }
            }
        }

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
                try WinnowCommand.guarded {
                    let rows = try store.open().flagSummary()
                    if output.json { try JSONOutput.print(FlagSummaryReport(detectors: rows)); return }
                    // "unjudged" only matters for stores whose decisions once closed every flag of a sample.
                    let unjudged = rows.contains { $0.unjudged > 0 }
                    var table = Table(headers: ["detector", "open", "confirmed", "dismissed"] + (unjudged ? ["unjudged"] : []) + ["precision"],
                                      rightAligned: Set(1...(unjudged ? 5 : 4)))
                    for r in rows {
                        table.rows.append([r.detector, "\(r.open)", "\(r.confirmed)", "\(r.dismissed)"] + (unjudged ? ["\(r.unjudged)"] : [])
                                          + [r.precision.map { String(format: "%.2f", $0) } ?? "-"])
                    }
                    if output.csv { emit(table.csv()); return }
                    emit(rows.isEmpty ? "no flags yet; run `winnow detect`\n" : table.text())
                }
            }
        }

        struct ImportFlags: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "import",
                abstract: "Import an outside model's per-sample scores as flags.",
                discussion: """
                    FILE is JSONL or CSV with a uid and a score per sample. Records at or above \
                    --threshold become flags of detector NAME (all of them without a threshold). \
                    All or nothing: unknown uids and malformed scores are reported as FILE:LINE.

                    Example: winnow flags import toxicity.jsonl --detector toxicity --score-field p_toxic --threshold 0.8
                    """)
            @OptionGroup var store: StoreOptions
            @Argument(help: "The scores file.") var file: String
            @Option(help: "The name the flags carry.") var detector: String
            @Option(name: .customLong("score-field"), help: "The field holding the score.") var scoreField: String
            @Option(name: .customLong("uid-field"), help: "The field holding the sample uid.") var uidField = "uid"
            @Option(name: .customLong("reason-field"), help: "A field holding a reason to show (optional).") var reasonField: String?
            @Option(help: "Flag only scores at or above this.") var threshold: Double?
            @Flag(help: "Print the run as JSON.") var json = false

            func run() throws {
                try WinnowCommand.guarded {
                    let r = try store.open().importFlags(file: file, detector: detector, scoreField: scoreField,
                                                         uidField: uidField, threshold: threshold, reasonField: reasonField)
                    if json { try JSONOutput.print(r); return }
                    emit("\(file): \(r.scanned) scores read, \(r.flagged) flagged as \(detector)\(r.keptReviewed > 0 ? ", \(r.keptReviewed) already reviewed" : "")\n")
                }
            }
        }
    }
}

/// `detect --json`: each detector's run with its own seconds, and the whole pass's seconds.
struct DetectReport: Encodable { var runs: [DetectRunResult]; var seconds: Double }
struct FlagSummaryReport: Encodable { var detectors: [DetectorPrecision] }
