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
        @OptionGroup var output: JSONOption

        func run() throws {
            var names: [DetectorName] = []
            for d in detectors {
                guard let name = DetectorName(rawValue: d) else {
                    throw WinnowError.invalidArgument(
                        "unknown detector '\(d)'; detectors are \(DetectorName.allCases.map(\.rawValue).joined(separator: ", ")) (outside models' scores come in with `winnow flags import`)"
                    )
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
            try output.render(DetectReport(runs: pass.runs, seconds: pass.seconds)) {
                var table = Table(headers: ["detector", "flagged", "kept reviewed", "scanned", "seconds"], rightAligned: [1, 2, 3, 4])
                for r in pass.runs {
                    table.rows.append([r.detector, "\(r.flagged)", "\(r.keptReviewed)", "\(r.scanned)", Format.seconds(r.seconds)])
                }
                emit(table.text())
                emit("\(Format.seconds(pass.seconds)) s in all; see them with `winnow flags` and `winnow flags summary`\n")
            }
        }
    }
}

/// `detect --json`: each detector's run with its own seconds, and the whole pass's seconds.
struct DetectReport: Encodable { var runs: [DetectRunResult]; var seconds: Double }
