import ArgumentParser
import Foundation
import WinnowKit

extension FlagsShape: ExpressibleByArgument {}

extension WinnowCommand.Flags {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import an outside model's scores, or an engine's results, as flags.",
            discussion: """
                FILE... are files, folders (their files, without hidden ones and _SUCCESS-style \
                markers) or quoted globs such as 'out/*.jsonl.gz'; .gz is read through. One \
                detector run for all of them. --shape says what they hold (default: told from \
                the first record of the first file; the default detector in brackets):
                  scores       JSONL/CSV with a uid and --score-field (--detector required)
                  datatrove    exclusion writer's dropped documents, reason metadata.filter_reason [datatrove]
                  dolma        attribute files {"id", "attributes": {NAME: [[start, end, score], …]}} [dolma]
                  data-juicer  records with __dj__stats__, --score-field names the stat [data-juicer]
                  ids          one uid per line to drop, # starts a comment [id-list]
                  pairs        {"id_a", "id_b", "similarity"} duplicate pairs [duplicate-pairs]
                dolma: one flag per document per attribute with a span, scored by its highest \
                span (--attribute picks names). pairs: clustered, every member but the earliest \
                imported flagged, as detect near-duplicate does. Records at or above --threshold \
                become flags (at or below with --below; all of them without a threshold). All \
                or nothing: malformed records and unknown uids are reported as FILE:LINE and \
                nothing is imported.

                Examples:
                  winnow flags import toxicity.jsonl --detector toxicity --score-field p_toxic --threshold 0.8
                  winnow flags import 'removed/*.jsonl.gz' --shape datatrove
                  winnow flags import attributes/toxicity --shape dolma --threshold 0.5
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The files, folders or quoted globs.") var files: [String]
        @Option(help: "What the files hold (default: told from the first record).") var shape: FlagsShape?
        @Option(help: "The name the flags carry (default: the shape's; scores needs one).") var detector: String?
        @Option(name: .customLong("score-field"), help: "scores: the field holding the score; data-juicer: the stat; pairs: the similarity.") var scoreField: String?
        @Option(name: .customLong("uid-field"), help: "The field holding the sample uid (default: uid for scores, id otherwise).") var uidField: String?
        @Option(name: .customLong("reason-field"), help: "A field holding a reason to show (optional).") var reasonField: String?
        @Option(help: "Flag only scores at or above this.") var threshold: Double?
        @Flag(help: "Flag scores at or below --threshold instead.") var below = false
        @Option(help: "dolma: an attribute name to read (repeat or comma list; default: all).") var attribute: [String] = []
        @OptionGroup var output: JSONOption

        func validate() throws {
            if files.isEmpty { throw ValidationError("Name at least one file, folder or glob to import.") }
            if below && threshold == nil { throw ValidationError("--below needs --threshold.") }
            if !attribute.isEmpty, let shape, shape != .dolma { throw ValidationError("--attribute needs --shape dolma.") }
            if shape == .ids, threshold != nil || scoreField != nil {
                throw ValidationError("--shape ids flags every listed uid: it takes no --threshold or --score-field.")
            }
        }

        func run() throws {
            var options = FlagsImportOptions(paths: files)
            options.shape = shape
            options.detector = detector
            options.scoreField = scoreField
            options.uidField = uidField
            options.reasonField = reasonField
            options.threshold = threshold
            options.below = below
            options.attributes = FlagSelection.names(attribute)
            let r = try store.open().importFlags(options)
            try output.render(r) {
                let what = r.files.count == 1 ? r.files[0] : "\(r.files.count) files"
                let read = r.shape == "scores" ? "scores read" : "\(r.shape == "ids" ? "ids" : r.shape == "pairs" ? "pairs" : "records") read (--shape \(r.shape))"
                emit("\(what): \(r.scanned) \(read), \(r.flagged) flagged as \(r.detector)\(r.keptReviewed > 0 ? ", \(r.keptReviewed) already reviewed" : "")\n")
            }
        }
    }
}
