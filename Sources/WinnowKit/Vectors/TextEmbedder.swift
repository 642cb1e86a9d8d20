import Foundation

/// Turns texts into unit-length vectors: the in-process sentence encoder, or a stand-in in tests.
public protocol TextEmbedder: Sendable {
    /// The model's name, as stored in `embedding_models.name`.
    var name: String { get }
    /// Values per vector.
    var dimension: Int { get }
    /// One L2-normalised row per text, in order.
    func embed(_ texts: [String]) throws -> VectorMatrix
}

/// The text of a sample that is embedded: one vector per content. A text is its text; a
/// pair's two texts are embedded together, joined by a newline (a pair is one training
/// example, and its duplicates are pairs); an instruction is its instruction and input (the
/// prompt, not the answer); a chat is its user turns, one per line, and a chat with no user
/// turn all its turns (else every such chat would be the empty text, all one vector).
public enum EmbeddingText {
    public static func of(_ content: SampleContent) -> String {
        switch content {
        case .text(let text): return text
        case .pair(let a, let b): return a + "\n" + b
        case .instruction(let instruction, let input, _): return input.isEmpty ? instruction : instruction + "\n" + input
        case .chat(let messages):
            let user = messages.filter { $0.role == "user" }
            return (user.isEmpty ? messages : user).map(\.content).joined(separator: "\n")
        }
    }
}
