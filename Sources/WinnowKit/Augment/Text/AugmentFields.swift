/// Which fields augmentation changes, per kind of sample, so a variant keeps what a trainer
/// treats as the target:
/// - text: the text;
/// - pair: both texts (each its own variant);
/// - instruction: the instruction and the input (when not empty), never the expected output
///   unless `includeOutput`;
/// - chat: the content of the `user` turns only; system, assistant and tool turns, and every
///   other key of every message, are kept as they are.
public enum AugmentFields {
    /// `content` with its augmentable fields each passed through `augmenter` (one draw of
    /// operation per field, from the same generator, in field order), and the operations
    /// applied, each once, in the order first applied. When no field changed the content
    /// comes back unchanged with `applied` empty.
    public static func augment<G: RandomNumberGenerator>(
        _ content: SampleContent, includeOutput: Bool, with augmenter: TextAugmenter, using rng: inout G
    ) -> (content: SampleContent, applied: [AugmentOperation]) {
        var applied: [AugmentOperation] = []
        func change(_ text: String) -> String {
            guard !text.isEmpty else { return text }
            let (result, ops) = augmenter.augment(text, using: &rng)
            for op in ops where !applied.contains(op) { applied.append(op) }
            return result
        }
        let result: SampleContent
        switch content {
        case .text(let text):
            result = .text(change(text))
        case .pair(let a, let b):
            let first = change(a)
            result = .pair(first, change(b))
        case .instruction(let instruction, let input, let output):
            let newInstruction = change(instruction)
            let newInput = change(input)
            result = .instruction(instruction: newInstruction, input: newInput, output: includeOutput ? change(output) : output)
        case .chat(let messages):
            result = .chat(
                messages.map { message in
                    guard message.role == "user", message.contentForm == .string else { return message }
                    var changed = message
                    changed.content = change(message.content)
                    return changed
                })
        }
        return applied.isEmpty ? (content, []) : (result, applied)
    }
}
