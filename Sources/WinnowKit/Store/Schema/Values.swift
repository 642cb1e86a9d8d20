import GRDB

// The schema's closed sets of values, one enum each. Their raw values are the words the
// migrations' CHECK constraints allow; a column read into one of them fails with an error
// (never a crash) when a store edited outside Winnow holds another word.

/// A sample's state (`samples.status`): dropped samples stay in the store but leave every
/// metric, queue and snapshot.
public enum SampleStatus: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case active, dropped
}

/// A flag's state (`flags.status`): open until a review decision confirms or dismisses it.
public enum FlagStatus: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case open, confirmed, dismissed
}

/// What made a revision (`revisions.origin`).
public enum RevisionOrigin: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case `import`, relabel, edit, undo
}

/// Where a sample came from: read from an input file, or made by `winnow augment` from a
/// parent (a row in `augmented_samples`). Not a column: derived from that table.
public enum SampleOrigin: String, CaseIterable, Codable, Sendable {
    case `import`, augmented
}

/// Where a scene annotation came from (`scene_annotations.origin`).
public enum AnnotationOrigin: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case `import`, file, rules, review, cluster
}

/// How a stored vector is encoded (`embedding_models.dtype`): little-endian IEEE floats of
/// 4 or 2 bytes each.
public enum VectorDType: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case float32, float16

    /// Bytes per value.
    public var byteWidth: Int { self == .float32 ? 4 : 2 }
}

/// What made a model's vectors (`embedding_models.origin`): `winnow embed`'s encoder, or a
/// user's own embeddings read by `winnow vectors import`.
public enum EmbeddingOrigin: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case embed, `import`
}

/// The order a queue hands out its items (`queues.priority`).
public enum QueuePriority: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case score, random, oldest
}

/// An input file's format (`sources.format`).
public enum SourceFormat: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case jsonl, json, csv, tsv, parquet
}

extension SampleKind: DatabaseValueConvertible {}
extension DecisionAction: DatabaseValueConvertible {}
