import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow similar (UID | --text T)`.
    struct Similar: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "similar",
            abstract: "The samples nearest to a sample, or to a text, by cosine of their vectors.",
            discussion: """
                Exact search over the active samples' vectors of the model (--model, else the only \
                one). --text embeds the text with the model's encoder (found as `winnow embed` finds \
                it: WINNOW_MODEL, then the installed default); imported models cannot embed text.

                Examples:
                  winnow similar s42 --k 5
                  winnow similar --text "where is my refund" --json
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The sample whose neighbours to list.") var uid: String?
        @Option(help: "Find the samples nearest to this text instead.") var text: String?
        @Option(help: "How many neighbours.") var k = 10
        @Option(help: "The model whose vectors to search (default: the only one).") var model: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if (uid == nil) == (text == nil) { throw ValidationError("give a sample UID or --text T, not both and not neither.") }
            if k < 1 || k > 10_000 { throw ValidationError("--k takes a count from 1 to 10000.") }
            if let text, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--text needs a text to search for.") }
        }

        func run() throws {
            let s = try store.open()
            let result: SimilarResult
            if let uid {
                result = try s.similar(to: uid, k: k, model: model)
            } else {
                let stored = try s.vectorModel(model)
                let vector = try Self.embed(text!, model: stored)
                result = try s.similar(toVector: vector, text: text!, k: k, model: stored)
            }
            try output.render(
                result,
                table: {
                    var t = Table(headers: ["#", "uid", "cosine", "label", "text"], rightAligned: [0, 2])
                    for (i, n) in result.neighbours.enumerated() {
                        t.rows.append(["\(i + 1)", n.uid, String(format: "%.4f", n.cosine), n.label ?? "", n.text])
                    }
                    return t
                }
            ) { t in
                let query = result.uid.map { "sample \($0)" } ?? "\"\(Table.clip(Table.oneLine(result.text ?? ""), 60))\""
                emit("nearest to \(query) · model \(result.model)\n")
                emit(result.neighbours.isEmpty ? "no other sample has a vector of this model\n" : t.text())
            }
        }

        /// The text's vector by the model's encoder.
        static func embed(_ text: String, model: EmbeddingModel) throws -> [Float] {
            try SentenceEncoder.forModel(model).embed([text]).row(0)
        }
    }
}
