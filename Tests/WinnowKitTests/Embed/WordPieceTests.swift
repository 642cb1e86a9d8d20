import Foundation
import Testing
@testable import WinnowKit

/// The WordPiece tokenizer against Hugging Face's own token ids (Tests/Fixtures/embed, made by
/// scripts/make-embed-fixture), and on hand-made vocabularies where the answer is worked out by hand.
@Suite struct WordPieceTests {
    /// all-MiniLM-L6-v2's vocab.txt and tokenizer_config.json, copied from the model package.
    static let modelTokenizer = URL(fileURLWithPath: fixtures + "/embed/tokenizer")

    struct Reference: Decodable {
        let max_tokens: Int
        let texts: [String]
        let token_ids: [[Int32]]
    }

    @Test func matchesHuggingFaceOnEveryFixtureText() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/embed/reference.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        #expect(reference.texts.count == 240)
        let tokenizer = try WordPieceTokenizer(folder: Self.modelTokenizer)
        #expect(tokenizer.vocabularySize == 30522)
        var wrong: [String] = []
        for (text, expected) in zip(reference.texts, reference.token_ids) {
            let ids = tokenizer.encode(text, maxTokens: reference.max_tokens)
            if ids != expected { wrong.append("\(text.debugDescription.prefix(60)): \(ids.prefix(40)) ≠ \(expected.prefix(40))") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 240 differ:\n\(wrong.prefix(10).joined(separator: "\n"))")
        // Some of them are truncated: the limit is met exactly, [SEP] last.
        let truncated = reference.token_ids.filter { $0.count == reference.max_tokens }
        #expect(truncated.count >= 20)
    }

    /// A folder with `tokens` as vocab.txt (after the five special tokens) and `config` as tokenizer_config.json.
    static func folder(_ dir: TempDir, tokens: [String], config: String = #"{"do_lower_case": true}"#) -> URL {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + tokens
        dir.write("vocab.txt", vocab.joined(separator: "\n") + "\n")
        dir.write("tokenizer_config.json", config)
        return dir.url
    }

    @Test func greedyLongestMatchWithContinuations() throws {
        let dir = TempDir()
        // ids: 5 un, 6 ##aff, 7 ##able, 8 unaff, 9 ##a, 10 ##ffable, 11 a, 12 !, 13 ##b
        let t = try WordPieceTokenizer(folder: Self.folder(dir, tokens: ["un", "##aff", "##able", "unaff", "##a", "##ffable", "a", "!", "##b"]))
        // "unaffable": longest first piece is "unaff" (8), then "##able" (7) — not un + ##aff + ##able.
        #expect(t.encode("unaffable", maxTokens: 64) == [2, 8, 7, 3])
        // "una" + "ffable": "un" then longest continuation "##affable"? none; "##a" (9) then "##ffable" (10).
        #expect(t.encode("unaffablx", maxTokens: 64) == [2, 1, 3], "one unmatched part makes the whole word [UNK]")
        #expect(t.encode("a!a", maxTokens: 64) == [2, 11, 12, 11, 3], "punctuation splits words")
        #expect(t.encode("  A \t\n a  ", maxTokens: 64) == [2, 11, 11, 3], "whitespace separates, lower-cased")
        #expect(t.encode("", maxTokens: 64) == [2, 3])
        #expect(t.encode(String(repeating: "a", count: 101), maxTokens: 64) == [2, 1, 3], "a word over 100 characters is [UNK]")
        #expect(t.encode("ab", maxTokens: 64) == [2, 11, 13, 3])
        #expect(t.encode("ab" + String(repeating: "b", count: 98), maxTokens: 200).count == 102, "100 characters still tokenize")
    }

    @Test func truncationKeepsClsAndSep() throws {
        let dir = TempDir()
        let t = try WordPieceTokenizer(folder: Self.folder(dir, tokens: ["a", "##a"]))
        #expect(t.encode("a a a a a", maxTokens: 4) == [2, 5, 5, 3])
        #expect(t.encode("aaaa", maxTokens: 4) == [2, 5, 6, 3], "a word's pieces are cut too")
        #expect(t.encode("a a a a a", maxTokens: 7) == [2, 5, 5, 5, 5, 5, 3])
        #expect(t.encode("a a", maxTokens: 2) == [2, 3])
        #expect(t.encode("a a", maxTokens: 0) == [2, 3], "below 2 is taken as 2")
    }

    @Test func normalisationAccentsCaseCJKAndControls() throws {
        let dir = TempDir()
        let t = try WordPieceTokenizer(folder: Self.folder(dir, tokens: ["cafe", "中", "文", "ab", "x", "σ", "i"]))
        #expect(t.encode("CAFÉ", maxTokens: 64) == [2, 5, 3], "É: lower-cased, accent stripped")
        #expect(t.encode("cafe\u{301}", maxTokens: 64) == [2, 5, 3], "a combining accent is stripped")
        #expect(t.encode("中文", maxTokens: 64) == [2, 6, 7, 3], "CJK ideographs split apart")
        #expect(t.encode("a\u{0}b\u{7}\u{200B}\u{AD}", maxTokens: 64) == [2, 8, 3], "NUL, control and format characters dropped")
        #expect(t.encode("x\u{2028}x\u{3000}x", maxTokens: 64) == [2, 9, 9, 9, 3], "Unicode whitespace separates")
        #expect(t.encode("Σ", maxTokens: 64) == [2, 10, 3])
        #expect(t.encode("İ", maxTokens: 64) == [2, 11, 3], "İ: dotted capital I is i once its dot is stripped")
        #expect(t.encode("[CLS]x[SEP] [MASK]", maxTokens: 64) == [2, 2, 9, 3, 4, 3], "special tokens in the text stay whole")
        #expect(t.encode("[cls]", maxTokens: 64).first == 2 && t.encode("[cls]", maxTokens: 64).count == 5, "lower-case [cls] is no special token")
    }

    @Test func casedModelsKeepCaseAndAccents() throws {
        let dir = TempDir()
        let t = try WordPieceTokenizer(folder: Self.folder(dir, tokens: ["Café", "cafe", "##é"], config: #"{"do_lower_case": false}"#))
        #expect(!t.lowercases && !t.stripsAccents, "strip_accents null follows do_lower_case")
        #expect(t.encode("Café", maxTokens: 64) == [2, 5, 3])
        #expect(t.encode("cafeé", maxTokens: 64) == [2, 6, 7, 3])
        let dir2 = TempDir()
        let stripping = try WordPieceTokenizer(
            folder: Self.folder(dir2, tokens: ["Cafe"], config: #"{"do_lower_case": false, "strip_accents": true}"#))
        #expect(stripping.encode("Café", maxTokens: 64) == [2, 5, 3])
    }

    @Test func aFolderWithoutAVocabularyIsRefusedClearly() throws {
        let dir = TempDir()
        #expect {
            try WordPieceTokenizer(folder: dir.url)
        } throws: { error in
            "\(error)".contains("vocab.txt") && "\(error)".contains("--model")
        }
        dir.write("vocab.txt", "a\nb\n")
        #expect {
            try WordPieceTokenizer(folder: dir.url)
        } throws: { error in
            "\(error)".contains("[CLS]")
        }
        dir.write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n")
        dir.write("tokenizer_config.json", "{not json")
        #expect {
            try WordPieceTokenizer(folder: dir.url)
        } throws: { error in
            "\(error)".contains("tokenizer_config.json")
        }
    }
}
