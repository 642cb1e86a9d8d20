import Foundation

/// BERT's tokenizer (BasicTokenizer + WordPiece), as Hugging Face's `BertTokenizer` computes
/// it, read from a sentence-transformers folder (`vocab.txt`, `tokenizer_config.json`).
/// SKELETON: the API the encoder codes against; the real tokenization follows.
public struct WordPieceTokenizer: Sendable {
    /// Token id of each vocabulary entry.
    let vocabulary: [String: Int32]
    let cls: Int32
    let sep: Int32
    let unk: Int32

    /// Reads `vocab.txt` (one token per line, id = line number) and `tokenizer_config.json` in `folder`.
    public init(folder: URL) throws {
        let vocabURL = folder.appendingPathComponent("vocab.txt")
        guard let text = try? String(contentsOf: vocabURL, encoding: .utf8) else {
            throw WinnowError.unreadableInput(path: vocabURL.path, reason: "cannot read the model's vocabulary (vocab.txt)")
        }
        var vocabulary: [String: Int32] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            vocabulary[String(line)] = Int32(index)
        }
        self.vocabulary = vocabulary
        cls = vocabulary["[CLS]"] ?? 101
        sep = vocabulary["[SEP]"] ?? 102
        unk = vocabulary["[UNK]"] ?? 100
    }

    /// Token ids of `text`, `[CLS]` first and `[SEP]` last, at most `maxTokens` in all.
    public func encode(_ text: String, maxTokens: Int) -> [Int32] {
        [cls, sep]
    }
}
