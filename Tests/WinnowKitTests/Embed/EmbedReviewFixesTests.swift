import Foundation
import Testing
@testable import WinnowKit

/// Bugs a review of issue 14 found in the tokenizer and the encoder's defaults.
@Suite struct EmbedReviewFixesTests {
    /// U+2B820…U+2B91F are not ideographs to Hugging Face's fast tokenizer (what
    /// sentence-transformers runs): "a𫠰b" is one word, [UNK]; U+2B920 on is split. Ids read off
    /// the real tokenizer: [101, 1996, 2773, 100, 2003, 2182, 102] and [101, 1060, 100, 1061, 102].
    @Test func theCJKRangesAreTheFastTokenizers() throws {
        let tokenizer = try WordPieceTokenizer(folder: WordPieceTests.modelTokenizer)
        #expect(tokenizer.encode("the word a\u{2B830}b is here", maxTokens: 256) == [101, 1996, 2773, 100, 2003, 2182, 102])
        #expect(tokenizer.encode("x\u{2B920}y", maxTokens: 256) == [101, 1060, 100, 1061, 102])
    }

    /// Without --max-tokens the model's own max_seq_length truncates, as sentence-transformers
    /// does (it was always 256, so a 128-token model's long texts got other vectors).
    @Test func theModelsMaxSeqLengthIsTheDefaultTruncation() throws {
        let dir = TempDir()
        let short = try SentenceEncoderTests.modelCopy(dir, "short") {
            try SentenceEncoderTests.rewriteJSON($0 + "/sentence_bert_config.json") { $0["max_seq_length"] = 128 }
        }
        #expect(try SentenceEncoder(folder: short).maxTokens == 128)
        #expect(try SentenceEncoder(folder: short, maxTokens: 64).maxTokens == 64)
        #expect(try SentenceEncoder(folder: try SentenceEncoderTests.defaultFolder()).maxTokens == 256)
        let huge = try SentenceEncoderTests.modelCopy(dir, "huge") {
            try SentenceEncoderTests.rewriteJSON($0 + "/sentence_bert_config.json") { $0["max_seq_length"] = 100_000 }
        }
        #expect(try SentenceEncoder(folder: huge).maxTokens == 512, "at most the model's positions")
    }
}
