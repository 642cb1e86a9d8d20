import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Flags {
    struct Import: ParsableCommand {
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
        @OptionGroup var output: JSONOption

        func run() throws {
            let r = try store.open().importFlags(
                file: file, detector: detector, scoreField: scoreField,
                uidField: uidField, threshold: threshold, reasonField: reasonField)
            try output.render(r) {
                emit("\(file): \(r.scanned) scores read, \(r.flagged) flagged as \(detector)\(r.keptReviewed > 0 ? ", \(r.keptReviewed) already reviewed" : "")\n")
            }
        }
    }
}
