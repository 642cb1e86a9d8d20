import Foundation
import GRDB

/// How `winnow embed` runs: texts per batch (embedded, then committed together) and the
/// model's identity as stored.
public struct EmbedOptions: Sendable {
    /// Texts embedded and committed together: a kill loses at most one batch's work.
    public var batch = 256
    /// The name the vectors are stored under (default: the embedder's name).
    public var name: String?
    /// SHA-256 of the weights (nil for a stand-in embedder in tests).
    public var fingerprint: String?
    /// The truncation the vectors are made with.
    public var maxTokens: Int?
    public var dtype: VectorDType = .float32

    public init() {}
}

/// Progress of `Store.embed`: contents embedded so far of those that had no vector at the start.
public struct EmbedProgress: Sendable {
    public let embedded: Int
    public let total: Int
}

/// The contents of active samples a model has vectors for, and those it has not.
public struct EmbedBacklog: Sendable, Equatable {
    /// Contents without a vector of the model.
    public let pending: Int
    /// Contents with one.
    public let embedded: Int

    public init(pending: Int, embedded: Int) {
        self.pending = pending
        self.embedded = embedded
    }
}

/// What `winnow embed` did (its `--json` document).
public struct EmbedResult: Sendable, Equatable, Encodable {
    public let model: String
    public let dimension: Int
    public let dtype: String
    public let maxTokens: Int?
    /// Contents that got a vector in this run.
    public let embedded: Int
    /// Contents of active samples that already had one (embedded by an earlier run).
    public let alreadyEmbedded: Int
    public let seconds: Double
    public let textsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case model, dimension, dtype, embedded, seconds
        case maxTokens = "max_tokens"
        case alreadyEmbedded = "already_embedded"
        case textsPerSecond = "texts_per_second"
    }
}

extension Store {
    /// The model `embed` would store under `name`, when the store has one, after checking it
    /// agrees with this run (dimension, weights, truncation); nil when there is none yet.
    /// Fails before anything is embedded, so a mismatch costs nothing.
    public func checkEmbeddingModel(name: String, dimension: Int, fingerprint: String?, maxTokens: Int?) throws -> EmbeddingModel? {
        guard let existing = try embeddingModel(named: name) else { return nil }
        guard existing.origin == .embed else {
            throw WinnowError.invalidArgument(
                "the store's vectors named '\(name)' were imported (`winnow vectors import`), not made by `winnow embed`; pass --name NAME to store this model's vectors under another name"
            )
        }
        guard existing.dimension == dimension else {
            throw WinnowError.invalidArgument(
                "the store's vectors of model '\(name)' have \(existing.dimension) dimensions, this model makes \(dimension); pass --name NAME to store them under another name")
        }
        guard existing.fingerprint == fingerprint else {
            throw WinnowError.invalidArgument(
                "the store's vectors of model '\(name)' were made from other weights (fingerprint \(existing.fingerprint ?? "none"), this model's \(fingerprint ?? "none")); point --model at the folder they came from, or pass --name NAME to store this model's vectors under another name"
            )
        }
        guard existing.maxTokens == maxTokens else {
            let made = existing.maxTokens.map(String.init) ?? "unset"
            throw WinnowError.invalidArgument(
                "the store's vectors of model '\(name)' were made with --max-tokens \(made), not \(maxTokens.map(String.init) ?? "unset"); vectors truncated differently do not compare, so pass --max-tokens \(made) (or leave it out) to add to them, or --name NAME to keep these apart"
            )
        }
        return existing
    }

    /// Contents of active samples without a vector of the model named `name` (all of them
    /// when the store has no such model), and those with one.
    public func embeddingBacklog(name: String) throws -> EmbedBacklog {
        try read { db in
            let modelID = try Int64.fetchOne(db, sql: "SELECT id FROM embedding_models WHERE name = ?", arguments: [name]) ?? -1
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) FILTER (WHERE v.content_id IS NULL), count(v.content_id) FROM
                    (SELECT DISTINCT r.content_id FROM samples s \(CurrentRevision.join) WHERE s.status = '\(SampleStatus.active.rawValue)') c
                    LEFT JOIN vectors v ON v.model_id = ? AND v.content_id = c.content_id
                    """, arguments: [modelID])
            return EmbedBacklog(pending: row?[0] ?? 0, embedded: row?[1] ?? 0)
        }
    }

    /// Embeds the current content of every active sample that has no vector of this model
    /// yet (`EmbeddingText.of`), in content id order, committing each batch of
    /// `options.batch` in its own short transaction: a kill leaves a valid store holding the
    /// batches done, and running it again embeds only the rest. The model row is written with
    /// the first batch (an empty store, or one with nothing left to embed, gets none).
    public func embed(
        with embedder: any TextEmbedder, options: EmbedOptions = EmbedOptions(), progress: (EmbedProgress) -> Void = { _ in }
    ) throws -> EmbedResult {
        let started = Date()
        let name = options.name ?? embedder.name
        var model = try checkEmbeddingModel(name: name, dimension: embedder.dimension, fingerprint: options.fingerprint, maxTokens: options.maxTokens)
        let backlog = try embeddingBacklog(name: name)
        let batch = max(1, options.batch)
        var embedded = 0
        var after: Int64 = 0
        progress(EmbedProgress(embedded: 0, total: backlog.pending))
        while true {
            let page: [(contentID: Int64, content: SampleContent)]
            if let model {
                page = try contentsWithoutVectors(model: model, after: after, limit: batch)
            } else {
                page = try contentsWithoutVectors(
                    model: EmbeddingModel.unregistered(dimension: embedder.dimension), after: after, limit: batch)
            }
            guard let last = page.last else { break }
            after = last.contentID
            let matrix = try embedder.embed(page.map { EmbeddingText.of($0.content) })
            guard matrix.rows == page.count, matrix.dimension == embedder.dimension else {
                throw WinnowError.invalidArgument(
                    "the embedder returned \(matrix.rows) vectors of \(matrix.dimension) values for \(page.count) texts of a \(embedder.dimension)-dimensional model")
            }
            let stored: EmbeddingModel
            if let model {
                stored = model
            } else {
                stored = try registerEmbeddingModel(
                    name: name, dimension: embedder.dimension, dtype: options.dtype, origin: .embed, fingerprint: options.fingerprint,
                    maxTokens: options.maxTokens)
                model = stored
            }
            let rows = page.enumerated().map { (i, item) in (contentID: item.contentID, vector: matrix.row(i)) }
            embedded += try storeVectors(rows, model: stored)
            progress(EmbedProgress(embedded: embedded, total: max(backlog.pending, embedded)))
        }
        let seconds = Date().timeIntervalSince(started)
        return EmbedResult(
            model: name, dimension: embedder.dimension, dtype: (model?.dtype ?? options.dtype).rawValue, maxTokens: options.maxTokens,
            embedded: embedded, alreadyEmbedded: backlog.embedded, seconds: seconds, textsPerSecond: seconds > 0 ? Double(embedded) / seconds : 0)
    }
}

extension EmbeddingModel {
    /// A model id no row has: every content is without a vector of it.
    static func unregistered(dimension: Int) -> EmbeddingModel {
        EmbeddingModel(
            EmbeddingModelRecord(id: -1, name: "", dimension: Int64(dimension), dtype: .float32, origin: .embed, fingerprint: nil, maxTokens: nil, createdAt: ""))
    }
}
