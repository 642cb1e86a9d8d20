import Foundation

/// The built-in operations of `winnow augment` (synonym, insert, swap, delete, typo) as a
/// variation: the text side lives in Augment/Text (WordNet, the EDA operations, the per-kind
/// field policy).
enum BuiltInAugmentation {
    static func variation(for request: AugmentRequest) throws -> AugmentVariation {
        throw WinnowError.invalidArgument("the built-in operations are not in this build yet; use --command CMD")
    }
}
