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

                semantic-duplicate and outlier read feature vectors (`winnow embed` or `vectors \
                import`) of --model, or of the store's only model; with no detector named they run \
                only when the store holds vectors. label-noise reads them with --set \
                label-noise.features=vectors, or --set label-noise.classifier=knn (kNN label \
                disagreement); its default stays TF-IDF, which won the Debian benchmark.

                Examples:
                  winnow detect
                  winnow detect near-duplicate label-noise --set near-duplicate.threshold=0.9
                  winnow detect semantic-duplicate outlier --model all-MiniLM-L6-v2
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Detectors to run (default: all).") var detectors: [String] = []
        @Option(name: .customLong("set"), help: ArgumentHelp("A parameter, DETECTOR.KEY=VALUE (repeatable).", valueName: "DETECTOR.KEY=VALUE"))
        var settings: [String] = []
        @Option(help: "A YAML or JSON file of parameters: {DETECTOR: {KEY: VALUE}}.") var config: String?
        @Option(help: "The stored model whose vectors the vector detectors read (default: the only one).") var model: String?
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
            let opened = try store.open()
            if names.isEmpty {
                let defaults = try opened.defaultDetectors(model: model)
                names = defaults.detectors
                if let skipped = defaults.skipped { Terminal.note("warning: " + skipped) }
            }
            var cfg = DetectConfig()
            cfg.model = model
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
            let pass = try opened.detect(names, config: cfg) { p in
                bar.step(p.step == "reading" ? "detect" : "detect: \(p.step)")
                bar.update(done: p.done, total: p.total, items: p.done, unit: p.unit)
            }
            bar.finish()
            for warning in pass.warnings { Terminal.note("warning: " + warning) }
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
