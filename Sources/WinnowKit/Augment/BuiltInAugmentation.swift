import Foundation

/// The built-in operations of `winnow augment` (synonym, insert, swap, delete, typo) as a
/// variation: the text side lives in Augment/Text (WordNet, the EDA operations, the per-kind
/// field policy `AugmentFields`); this only puts them together for a run.
enum BuiltInAugmentation {
    /// Where WordNet is read from: `WINNOW_WORDNET`, else Debian's `wordnet-base` folder.
    static var wordNetDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["WINNOW_WORDNET"], !dir.isEmpty { return dir }
        return WordNet.defaultDirectory
    }

    /// The operations named in the request, refusing an unknown name.
    static func operations(_ names: [String]) throws -> [AugmentOperation] {
        guard !names.isEmpty else {
            throw WinnowError.invalidArgument("--ops takes a comma list of operations: \(AugmentOperation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try names.map { name in
            guard let op = AugmentOperation(rawValue: name) else {
                throw WinnowError.invalidArgument(
                    "unknown operation '\(name)' in --ops; the operations are \(AugmentOperation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return op
        }
    }

    /// The variation of a run: each draw passes the parent's content through `AugmentFields`
    /// with a `TextAugmenter` of the asked operations and rate. WordNet is opened only when
    /// `synonym` or `insert` is asked for (and not for a dry run, which draws nothing).
    static func variation(for request: AugmentRequest) throws -> AugmentVariation {
        let operations = try operations(request.operations)
        let needsWordNet = !request.dryRun && operations.contains { $0 == .synonym || $0 == .insert }
        let wordNet = needsWordNet ? try WordNet(directory: wordNetDirectory) : nil
        let augmenter = TextAugmenter(operations: operations, rate: request.rate, wordNet: wordNet)
        let includeOutput = request.includeOutput
        return { content, rng in
            let result = AugmentFields.augment(content, includeOutput: includeOutput, with: augmenter, using: &rng)
            return (result.content, result.applied.map(\.rawValue))
        }
    }
}
