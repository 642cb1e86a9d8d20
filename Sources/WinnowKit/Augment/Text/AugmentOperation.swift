/// One text operation of augmentation: the four of EDA (Wei and Zou, 2019) and `typo`,
/// character noise for robustness. The raw value is the name on the command line and in
/// `augmented_samples.operations`.
public enum AugmentOperation: String, CaseIterable, Sendable {
    /// Synonym replacement: n non-stop-words replaced by a random WordNet synonym.
    case synonym
    /// Random insertion: a synonym of a random non-stop word inserted at a random position, n times.
    case insert
    /// Random swap: two random words swapped, n times.
    case swap
    /// Random deletion: each word deleted with probability `rate`, at least one kept.
    case delete
    /// Character noise: n words each get one edit (adjacent QWERTY key, dropped, doubled or transposed letter).
    case typo
}
