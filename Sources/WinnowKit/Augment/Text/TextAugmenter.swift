/// Applies EDA operations and `typo` to one text: words change, the whitespace and
/// punctuation between them are kept byte for byte.
public struct TextAugmenter: Sendable {
    public let operations: [AugmentOperation]
    public let rate: Double
    public let wordNet: WordNet?

    public init(operations: [AugmentOperation], rate: Double, wordNet: WordNet?) {
        self.operations = operations
        self.rate = rate
        self.wordNet = wordNet
    }

    /// One augmented variant of `text`, and the operations applied (empty, with the text
    /// unchanged, when none could apply). Skeleton: applies nothing yet.
    public func augment<G: RandomNumberGenerator>(_ text: String, using rng: inout G) -> (text: String, applied: [AugmentOperation]) {
        (text, [])
    }
}
