import Foundation
import GRDB

/// What `winnow cluster` is asked to do.
public struct ClusterOptions: Sendable {
    /// Clusters to find.
    public var k: Int
    /// The scene dimension the topics are written to.
    public var dimension: String
    public var seed: UInt64
    /// The vector model (nil: the store's only one).
    public var model: String?
    public var maxIterations: Int
    /// Terms joined into each category name.
    public var nameTerms: Int

    public init(k: Int, dimension: String = "topic", seed: UInt64 = 0, model: String? = nil, maxIterations: Int = KMeans.defaultMaxIterations, nameTerms: Int = 3) {
        self.k = k
        self.dimension = dimension
        self.seed = seed
        self.model = model
        self.maxIterations = maxIterations
        self.nameTerms = nameTerms
    }
}

/// `cluster --json`: one run and the topics it wrote.
public struct ClusterReport: Codable, Sendable, Equatable {
    /// One discovered topic.
    public struct Topic: Codable, Sendable, Equatable {
        public var position: Int
        public var category: String
        /// Its top TF-IDF terms, best first.
        public var terms: [String]
        public var size: Int
        /// Mean cosine of its samples to its centroid.
        @NullEncodable public var cohesion: Double?
    }
    public var run: Int64
    public var dimension: String
    public var model: String
    public var k: Int
    public var seed: UInt64
    /// Active samples clustered (those with a vector of the model).
    public var samples: Int
    /// Active samples left out: their content has no vector of the model.
    public var withoutVector: Int
    public var iterations: Int
    public var converged: Bool
    /// Mean cosine of each sample to its centroid.
    public var objective: Double
    /// Annotations written (new, or replacing another category).
    public var annotated: Int
    /// Of those, how many replaced an earlier one.
    public var replaced: Int
    /// Samples whose current annotation already named their topic.
    public var unchanged: Int
    /// Categories of earlier runs that no sample carries any more, taken out of the taxonomy.
    public var removedCategories: [String]
    public var topics: [Topic]

    enum CodingKeys: String, CodingKey {
        case run, dimension, model, k, seed, samples, iterations, converged, objective, annotated, replaced, unchanged, topics
        case withoutVector = "without_vector"
        case removedCategories = "removed_categories"
    }
}

/// A stored cluster run with its centroids: what a corpus is assigned to.
public struct ClusterRun: Sendable {
    public let id: Int64
    public let dimension: String
    public let model: EmbeddingModel
    public let k: Int
    public let createdAt: String
    /// Category of centroid row i.
    public let categories: [String]
    /// One unit row per topic, in position order.
    public let centroids: VectorMatrix
}

extension Store {
    /// Clusters the active samples' vectors of one model by spherical k-means and writes each
    /// sample's topic as a scene annotation of `options.dimension` (origin `cluster`),
    /// replacing its current one there. The dimension and its categories join the taxonomy
    /// (no target: set targets by loading a taxonomy that lists them); categories of earlier
    /// runs that no sample carries any more leave it. One transaction: a failure changes nothing.
    public func cluster(_ options: ClusterOptions) throws -> ClusterReport {
        let dimension = try Self.validDimension(options.dimension)
        let model = try vectorModel(options.model)
        try read { db in try Self.refuseForeignAnnotations(db, dimension: dimension) }
        let vectors = try sampleVectors(model: model)
        guard vectors.matrix.rows > 0 else {
            throw WinnowError.notFound(
                "no active sample has a vector of model '\(model.name)'\(vectors.withoutVector > 0 ? " (\(vectors.withoutVector) have none)" : ""); run `winnow embed` (or `winnow vectors import`) first"
            )
        }
        let result: KMeansResult
        do {
            result = try KMeans.spherical(vectors.matrix, k: options.k, seed: options.seed, maxIterations: options.maxIterations)
        } catch let problem as KMeans.Problem {
            throw WinnowError.invalidArgument("\(problem) (model '\(model.name)')")
        }

        // Topics in order of size (largest first; ties by the first sample), so position 0 is
        // the biggest topic whatever the seeding order was.
        let k = options.k
        var firstRow = [Int](repeating: Int.max, count: k)
        for (i, c) in result.assignments.enumerated() where firstRow[c] == Int.max { firstRow[c] = i }
        let order = (0..<k).sorted { result.sizes[$0] > result.sizes[$1] || (result.sizes[$0] == result.sizes[$1] && firstRow[$0] < firstRow[$1]) }
        var position = [Int](repeating: 0, count: k)
        for (p, c) in order.enumerated() { position[c] = p }

        // Names from the same text that was embedded.
        var terms = TopicTerms(clusters: k)
        var row: [Int64: Int] = [:]
        row.reserveCapacity(vectors.sampleIDs.count)
        for (i, id) in vectors.sampleIDs.enumerated() { row[id] = i }
        try read { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.id, \(ContentColumns.selectList()) FROM samples s \(CurrentRevision.joinWithContent)
                    WHERE s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                    """)
            while let r = try cursor.next() {
                guard let i = row[try r.value("id")] else { continue }
                terms.add(EmbeddingText.of(try ContentColumns.content(r)), cluster: position[result.assignments[i]])
            }
        }
        let topTerms = terms.top(max(options.nameTerms, 1) + 5).map { $0.map(\.term) }
        let names = TopicTerms.names(topTerms, words: max(options.nameTerms, 1))

        return try write { db in
            try Self.refuseForeignAnnotations(db, dimension: dimension)
            try Self.refuseStaleTopics(db, dimension: dimension, clustered: Set(vectors.sampleIDs), model: model.name)
            let now = Timestamp.string(clock.now())
            var run = ClusterRunRecord(
                id: nil, dimension: dimension, modelId: model.id, k: Int64(k), seed: Int64(bitPattern: options.seed),
                samples: Int64(vectors.matrix.rows), iterations: Int64(result.iterations), objective: result.objective, createdAt: now)
            try run.insert(db)
            let runID = db.lastInsertedRowID
            run.id = runID
            var topics: [ClusterReport.Topic] = []
            for (p, c) in order.enumerated() {
                let list = Array(topTerms[p].prefix(max(options.nameTerms, 1) + 2))
                let termsJSON = String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
                try ClusterCentroidRecord(
                    runId: runID, position: Int64(p), category: names[p], terms: termsJSON, size: Int64(result.sizes[c]),
                    centroid: VectorCoding.encode(result.centroids.row(c), as: model.dtype)
                ).insert(db)
                topics.append(.init(position: p, category: names[p], terms: list, size: result.sizes[c], cohesion: result.cohesion[c]))
            }
            try Self.addTopicsToTaxonomy(db, dimension: dimension, categories: names)
            let taxonomy = try Store.taxonomy(db)
            var annotate = AnnotateResult()
            for (i, sampleID) in vectors.sampleIDs.enumerated() {
                try Store.setScene(
                    db, sampleID: sampleID, dimension: dimension, category: names[position[result.assignments[i]]],
                    origin: AnnotationOrigin.cluster.rawValue, now: now, taxonomy: taxonomy, result: &annotate)
            }
            let stale = try Self.removeUnusedTopics(db, dimension: dimension, keeping: names, runID: runID)
            return ClusterReport(
                run: runID, dimension: dimension, model: model.name, k: k, seed: options.seed, samples: vectors.matrix.rows,
                withoutVector: vectors.withoutVector, iterations: result.iterations, converged: result.converged, objective: result.objective,
                annotated: annotate.annotated, replaced: annotate.replaced, unchanged: annotate.unchanged,
                removedCategories: stale, topics: topics)
        }
    }

    /// Refuses a re-run that would leave active samples on an earlier run's topic: samples
    /// clustered before whose content has no vector now (edited since `embed`) would keep a
    /// topic that is no longer among the topics, skewing coverage and distribution.
    static func refuseStaleTopics(_ db: Database, dimension: String, clustered: Set<Int64>, model: String) throws {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, s.uid FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
                WHERE a.dimension = ? AND a.replaced_by IS NULL AND a.origin = '\(AnnotationOrigin.cluster.rawValue)'
                  AND s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                """, arguments: [dimension])
        let stale = try rows.filter { !clustered.contains(try $0.value("id")) }.map { try $0.value("uid") as String }
        guard stale.isEmpty else {
            throw WinnowError.invalidArgument(
                "\(stale.count) active samples have a topic of dimension '\(dimension)' from an earlier run but no vector of model '\(model)' now (edited since `winnow embed`: \(stale.prefix(3).joined(separator: ", "))\(stale.count > 3 ? ", …" : "")); run `winnow embed` first, so every clustered sample is clustered again"
            )
        }
    }

    /// The latest `winnow cluster` run of `dimension`, with its centroids; nil when there is none.
    public func latestClusterRun(dimension: String) throws -> ClusterRun? {
        try read { db in try Self.latestClusterRun(db, dimension: dimension, path: path) }
    }

    static func latestClusterRun(_ db: Database, dimension: String, path: String) throws -> ClusterRun? {
        guard
            let run = try ClusterRunRecord.filter(sql: "dimension = ?", arguments: [dimension]).order(sql: "id DESC").fetchOne(db),
            let runID = run.id
        else { return nil }
        guard let modelRecord = try EmbeddingModelRecord.filter(key: run.modelId).fetchOne(db) else {
            throw WinnowError.unexpectedValue(path: path, detail: "cluster run \(runID) names a vector model that is not in the store")
        }
        let model = EmbeddingModel(modelRecord)
        var categories: [String] = []
        var centroids = VectorMatrix(rows: 0, dimension: model.dimension)
        for c in try ClusterCentroidRecord.filter(sql: "run_id = ?", arguments: [runID]).order(sql: "position").fetchAll(db) {
            guard let v = VectorCoding.decode(c.centroid, as: model.dtype, dimension: model.dimension) else {
                throw WinnowError.unexpectedValue(
                    path: path, detail: "centroid \(c.position ?? 0) of cluster run \(runID) is not \(model.dimension) \(model.dtype.rawValue) values")
            }
            categories.append(c.category)
            centroids.append(v)
        }
        return ClusterRun(id: runID, dimension: dimension, model: model, k: Int(run.k), createdAt: run.createdAt, categories: categories, centroids: centroids)
    }

    // MARK: - Helpers

    /// A dimension name as given: not empty, no control characters, no '=' (`--scene DIM=CAT`).
    static func validDimension(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, !name.contains("="), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw WinnowError.invalidArgument("--dimension \(JSONText.quote(raw)): a dimension name must be non-empty, without '=' or control characters (for example topic)")
        }
        return name
    }

    /// Topics go to a dimension of their own: one that holds annotations made by import, a file
    /// or rules is someone's curated labels, and clustering over it would bury them.
    static func refuseForeignAnnotations(_ db: Database, dimension: String) throws {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT origin, count(*) AS n FROM scene_annotations
                WHERE dimension = ? AND replaced_by IS NULL AND origin IN ('import', 'file', 'rules')
                GROUP BY origin ORDER BY origin
                """, arguments: [dimension])
        guard rows.isEmpty else {
            let what = try rows.map { "\(try $0.value("n", as: Int.self)) from \(try $0.value("origin", as: String.self))" }.joined(separator: ", ")
            throw WinnowError.invalidArgument(
                "dimension '\(dimension)' holds scene annotations not made by `winnow cluster` (\(what)); write the topics to a dimension of their own with --dimension NAME (default topic)"
            )
        }
    }

    /// Adds the dimension and any of `categories` it lacks to the taxonomy tables (after its
    /// existing categories); they carry no target until a taxonomy file gives them one.
    static func addTopicsToTaxonomy(_ db: Database, dimension: String, categories: [String]) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO dimensions (name, description) VALUES (?, ?)",
            arguments: [dimension, "topics discovered by `winnow cluster`"])
        var position = (try Int.fetchOne(db, sql: "SELECT coalesce(max(position), -1) + 1 FROM categories") ?? 0)
        for category in categories {
            try db.execute(
                sql: "INSERT OR IGNORE INTO categories (dimension, name, target, weight, position) VALUES (?, ?, NULL, 1, ?)",
                arguments: [dimension, category, position])
            position += 1
        }
    }

    /// Takes out of the taxonomy the categories of `dimension` that earlier cluster runs made,
    /// this run did not, no current annotation names, and no one gave a target. Returns them.
    static func removeUnusedTopics(_ db: Database, dimension: String, keeping: [String], runID: Int64) throws -> [String] {
        let earlier = try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT cc.category FROM cluster_centroids cc JOIN cluster_runs cr ON cr.id = cc.run_id
                WHERE cr.dimension = ? AND cr.id <> ? ORDER BY cc.category
                """, arguments: [dimension, runID])
        let keep = Set(keeping)
        var removed: [String] = []
        for category in earlier where !keep.contains(category) {
            let used =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM scene_annotations WHERE dimension = ? AND category = ? AND replaced_by IS NULL)",
                    arguments: [dimension, category]) ?? false
            guard !used else { continue }
            try db.execute(sql: "DELETE FROM categories WHERE dimension = ? AND name = ? AND target IS NULL", arguments: [dimension, category])
            if db.changesCount > 0 { removed.append(category) }
        }
        return removed
    }
}
