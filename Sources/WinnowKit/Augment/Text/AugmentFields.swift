/// Which fields augmentation changes, per kind of sample: a text; both texts of a pair; an
/// instruction's instruction and input (its output only with `includeOutput`); a chat's user
/// turns only.
public enum AugmentFields {
    /// `content` with its augmentable fields passed through `augmenter`, and the operations
    /// applied (empty, with the content unchanged, when nothing could change). Skeleton:
    /// changes nothing yet.
    public static func augment<G: RandomNumberGenerator>(
        _ content: SampleContent, includeOutput: Bool, with augmenter: TextAugmenter, using rng: inout G
    ) -> (content: SampleContent, applied: [AugmentOperation]) {
        (content, [])
    }
}
