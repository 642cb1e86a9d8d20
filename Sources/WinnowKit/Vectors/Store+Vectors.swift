import Foundation
import GRDB

/// A model whose vectors the store holds (a row of `embedding_models`).
public struct EmbeddingModel: Sendable, Equatable, Codable {
    public let id: Int64
    /// The name commands take as `--model NAME` ('all-MiniLM-L6-v2' for embed's default).
    public let name: String
    public let dimension: Int
    public let dtype: VectorDType
    public let origin: EmbeddingOrigin
    /// embed: SHA-256 (hex) of the weights file, so another model under the same name is refused.
    public let fingerprint: String?
    /// embed: the truncation its vectors were made with.
    public let maxTokens: Int?
    public let createdAt: String

    init(_ r: EmbeddingModelRecord) {
        id = r.id ?? 0
        name = r.name
        dimension = Int(r.dimension)
        dtype = r.dtype
        origin = r.origin
        fingerprint = r.fingerprint
        maxTokens = r.maxTokens.map(Int.init)
        createdAt = r.createdAt
    }
}

/// A model and how many vectors it has: stored ones, and active samples covered or not.
public struct EmbeddingModelSummary: Sendable, Equatable, Codable {
    public let model: EmbeddingModel
    /// Vectors stored (one per content).
    public let vectors: Int
    /// Active samples whose current content has a vector of this model.
    public let activeWithVector: Int
    /// Active samples whose current content has none.
    public let activeWithout: Int
}

/// The vectors of one model for a set of samples, aligned row by row with their ids.
public struct SampleVectors: Sendable {
    public let model: EmbeddingModel
    /// `samples.id` of row i.
    public let sampleIDs: [Int64]
    /// The current content of row i (the vector's content).
    public let contentIDs: [Int64]
    public let uids: [String]
    /// Current label of row i (nil: unlabelled).
    public let labels: [String?]
    /// One unit-length row per sample, in sample id order (mapped: see `VectorScratch`).
    public let matrix: VectorMatrix
    /// Active samples left out because their content has no vector of this model.
    public let withoutVector: Int
}

extension Store {
    /// Every model with vectors in the store, by name.
    public func embeddingModels() throws -> [EmbeddingModelSummary] {
        try read { db in
            try EmbeddingModelRecord.order(EmbeddingModelRecord.Columns.name).fetchAll(db).map { record in
                let model = EmbeddingModel(record)
                let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM vectors WHERE model_id = ?", arguments: [model.id]) ?? 0
                let covered = try Store.activeWithVector(db, model: model)
                let active = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE status = '\(SampleStatus.active.rawValue)'") ?? 0
                return EmbeddingModelSummary(model: model, vectors: stored, activeWithVector: covered, activeWithout: active - covered)
            }
        }
    }

    /// The model named `name`, or nil.
    public func embeddingModel(named name: String) throws -> EmbeddingModel? {
        try read { db in try EmbeddingModelRecord.filter(EmbeddingModelRecord.Columns.name == name).fetchOne(db).map(EmbeddingModel.init) }
    }

    /// The model a command that reads vectors works with: `name` when given, else the only
    /// model in the store. Fails, saying what to run, when there is none or several.
    public func vectorModel(_ name: String?) throws -> EmbeddingModel {
        let models = try read { db in try EmbeddingModelRecord.order(EmbeddingModelRecord.Columns.name).fetchAll(db).map(EmbeddingModel.init) }
        if let name {
            guard let model = models.first(where: { $0.name == name }) else {
                throw WinnowError.unknownName(
                    kind: "vector model", name: name, known: models.map(\.name), hint: "`winnow vectors list` shows the models with vectors")
            }
            return model
        }
        guard !models.isEmpty else {
            throw WinnowError.notFound("the store holds no vectors; run `winnow embed` (or `winnow vectors import FILE --model NAME`) first")
        }
        guard models.count == 1 else {
            throw WinnowError.invalidArgument(
                "the store holds vectors of several models (\(models.map(\.name).joined(separator: ", "))); pass --model NAME")
        }
        return models[0]
    }

    /// The model named `name`, made when it does not exist yet. An existing model must agree
    /// on dimension (and, for embed, on fingerprint and max tokens); else the call fails.
    public func registerEmbeddingModel(
        name: String, dimension: Int, dtype: VectorDType, origin: EmbeddingOrigin, fingerprint: String? = nil, maxTokens: Int? = nil
    ) throws -> EmbeddingModel {
        try write { db in
            if let existing = try EmbeddingModelRecord.filter(EmbeddingModelRecord.Columns.name == name).fetchOne(db).map(EmbeddingModel.init) {
                guard existing.dimension == dimension else {
                    throw WinnowError.invalidArgument(
                        "the store's vectors of model '\(name)' have \(existing.dimension) dimensions, these have \(dimension); use another --model name")
                }
                guard existing.fingerprint == fingerprint || origin == .import else {
                    throw WinnowError.invalidArgument(
                        "the store's vectors of model '\(name)' were made from other weights (fingerprint \(existing.fingerprint ?? "none")); give this model another name")
                }
                guard existing.maxTokens == maxTokens || origin == .import else {
                    throw WinnowError.invalidArgument(
                        "the store's vectors of model '\(name)' were made with --max-tokens \(existing.maxTokens.map(String.init) ?? "unset"); pass the same, or give this model another name"
                    )
                }
                return existing
            }
            var record = EmbeddingModelRecord(
                id: nil, name: name, dimension: Int64(dimension), dtype: dtype, origin: origin, fingerprint: fingerprint,
                maxTokens: maxTokens.map(Int64.init), createdAt: Timestamp.string(clock.now()))
            try record.insert(db)
            record.id = db.lastInsertedRowID
            return EmbeddingModel(record)
        }
    }

    /// Stores `vectors` (content id, vector) for `model` in one transaction; a content that
    /// already has a vector of this model keeps it. Returns how many were new.
    @discardableResult
    public func storeVectors(_ vectors: [(contentID: Int64, vector: [Float])], model: EmbeddingModel) throws -> Int {
        try write { db in try Self.storeVectors(db, vectors, model: model) }
    }

    /// `storeVectors` inside a transaction of the caller's.
    static func storeVectors(_ db: Database, _ vectors: [(contentID: Int64, vector: [Float])], model: EmbeddingModel) throws -> Int {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO vectors (model_id, content_id, vector) VALUES (?, ?, ?)")
        var added = 0
        for (contentID, vector) in vectors {
            precondition(vector.count == model.dimension, "storeVectors: \(vector.count) values for a \(model.dimension)-dimensional model")
            try statement.execute(arguments: [model.id, contentID, VectorCoding.encode(vector, as: model.dtype)])
            added += db.changesCount
        }
        return added
    }

    /// Current contents of active samples that have no vector of `model` yet, in content id
    /// order, at most `limit`, after content id `after` (for paging through a large store).
    public func contentsWithoutVectors(model: EmbeddingModel, after: Int64 = 0, limit: Int) throws -> [(contentID: Int64, content: SampleContent)] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT c.id AS content_id, \(ContentColumns.selectList()) FROM samples s \(CurrentRevision.joinWithContent)
                    WHERE s.status = '\(SampleStatus.active.rawValue)' AND c.id > ?
                      AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.content_id = c.id)
                    ORDER BY c.id LIMIT ?
                    """, arguments: [after, model.id, limit])
            return try rows.map { (contentID: try $0.value("content_id"), content: try ContentColumns.content($0)) }
        }
    }

    /// The vectors of `model` for the active samples whose current content has one, in sample
    /// id order, each scaled to unit length: decoded row by row into a mapped scratch file
    /// (`VectorScratch`), so even a million vectors take no heap.
    public func sampleVectors(model: EmbeddingModel) throws -> SampleVectors {
        try read { db in try Self.sampleVectors(db, model: model, path: path) }
    }

    /// `sampleVectors(model:)` inside a read of the caller's (detect reads them in its pass's).
    static func sampleVectors(_ db: Database, model: EmbeddingModel, path: String) throws -> SampleVectors {
        let active = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE status = '\(SampleStatus.active.rawValue)'") ?? 0
        var ids: [Int64] = [], contents: [Int64] = [], uids: [String] = [], labels: [String?] = []
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.id, s.uid, r.label, v.vector, r.content_id FROM samples s \(CurrentRevision.join)
                JOIN vectors v ON v.model_id = ? AND v.content_id = r.content_id
                WHERE s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                """, arguments: [model.id])
        let matrix = try readVectors(cursor, column: 3, model: model, path: path) { r in
            ids.append(r[0])
            contents.append(r[4])
            uids.append(r[1])
            labels.append(r[2])
        }
        return SampleVectors(model: model, sampleIDs: ids, contentIDs: contents, uids: uids, labels: labels, matrix: matrix, withoutVector: active - ids.count)
    }

    /// The vector BLOBs at `column` of every row of `cursor`, decoded, made unit length and
    /// written to a mapped scratch file; `each` sees every row (for the ids beside the vectors).
    static func readVectors(_ cursor: RowCursor, column: Int, model: EmbeddingModel, path: String, _ each: (Row) throws -> Void) throws -> VectorMatrix {
        let writer = try VectorScratch.Writer(dimension: model.dimension)
        var row = [Float](repeating: 0, count: model.dimension)
        try row.withUnsafeMutableBufferPointer { out in
            while let r = try cursor.next() {
                let ok = try r.withUnsafeData(atIndex: column) { data -> Bool in
                    guard let data else { return false }
                    return data.withUnsafeBytes { VectorCoding.decode($0, as: model.dtype, dimension: model.dimension, into: out.baseAddress!) }
                }
                guard ok else {
                    throw WinnowError.unexpectedValue(path: path, detail: "a vector of model '\(model.name)' that is not \(model.dimension) \(model.dtype.rawValue) values")
                }
                // Stored vectors are unit length already (embed and import make them so): only
                // float16 rounding, or a vector written by other means, needs scaling.
                var square: Float = 0
                for j in 0..<model.dimension { square += out[j] * out[j] }
                if abs(square - 1) > 1e-6 { VectorMatrix.normalize(out.baseAddress!, dimension: model.dimension) }
                try writer.append(UnsafeBufferPointer(out))
                try each(r)
            }
        }
        return try writer.finish(normalized: true)
    }
}

extension Store {
    /// How many active samples' current contents have a vector of `model`.
    static func activeWithVector(_ db: Database, model: EmbeddingModel) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT count(*) FROM samples s \(CurrentRevision.join) JOIN vectors v ON v.model_id = ? AND v.content_id = r.content_id
                WHERE s.status = '\(SampleStatus.active.rawValue)'
                """, arguments: [model.id]) ?? 0
    }

    /// The content id of sample `uid`'s current revision, or nil when there is no such sample.
    public func currentContentID(uid: String) throws -> Int64? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT r.content_id FROM samples s \(CurrentRevision.join) WHERE s.uid = ?", arguments: [uid])
        }
    }
}
