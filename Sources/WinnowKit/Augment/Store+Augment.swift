import Foundation
import GRDB

/// One draw of a variant: the parent's content changed, and the operations that changed it.
/// Draws come from the run's one seeded generator, so a run is reproducible from its seed.
typealias AugmentVariation = @Sendable (SampleContent, inout SeededGenerator) -> (content: SampleContent, applied: [String])

/// A parent as a run uses it: its current revision and scenes.
struct AugmentParent {
    var id: Int64
    var uid: String
    var kind: SampleKind
    var sourceID: Int64
    var label: String?
    var score: Double?
    var content: SampleContent
    var hash: [UInt8]
    /// Its current scene annotations: dimension, category, origin, source.
    var scenes: [(dimension: String, category: String, origin: String, sourceID: Int64?)]
}

/// What a run will do, worked out before anything is drawn: the parents in the run's seeded
/// order and, for each planned variant, which parent it comes from (round-robin).
struct AugmentPlan {
    var result: AugmentResult
    /// Ids of the target's parents, in the run's order.
    var order: [Int64]
    /// For each planned variant, the index in `order` of its parent.
    var slots: [Int]
    /// The generator after the shuffle: draws continue from it.
    var rng: SeededGenerator
}

extension Store {
    /// Runs `winnow augment`: plans the variants (round-robin over the target's parents in a
    /// seeded order, each parent capped at `maxPerParent` variants over all runs), makes them
    /// with the built-in operations or the external command, and stores them with their
    /// provenance in one transaction. A dry run only plans.
    public func augment(_ request: AugmentRequest) throws -> AugmentResult {
        try Store.checkAugmentRequest(request)
        if let command = request.command {
            return try augmentWithCommand(request, command: command)
        }
        return try augment(request, variation: try BuiltInAugmentation.variation(for: request))
    }

    /// `augment` with the variants drawn by `variation` (tests give their own).
    func augment(_ request: AugmentRequest, variation: AugmentVariation) throws -> AugmentResult {
        try Store.checkAugmentRequest(request)
        if request.dryRun { return try read { db in try Store.augmentPlan(db, request).result } }
        let started = Timestamp.string(clock.now())
        return try writeImmediate { db in
            var plan = try Store.augmentPlan(db, request)
            guard !plan.slots.isEmpty else { return plan.result }
            let parents = try Store.augmentParents(db, ids: plan.order, slots: plan.slots)
            let runID = try Store.insertAugmentRun(db, request, requested: plan.result.requested, started: started)
            var result = plan.result
            result.run = runID
            var made: Set<[UInt8]> = []
            var usedParents: Set<Int64> = []
            let now = Timestamp.string(clock.now())
            for slot in plan.slots {
                let parent = parents[plan.order[slot]]!
                var unchanged = false
                var stored = false
                for _ in 0..<Augment.attempts {
                    let draw = variation(parent.content, &plan.rng)
                    let hash = ContentHash.of(draw.content)
                    if hash == parent.hash || draw.applied.isEmpty {
                        unchanged = true
                        continue
                    }
                    unchanged = false
                    if try made.contains(hash) || Store.contentOwner(db, hash: hash) != nil { continue }
                    made.insert(hash)
                    let uid = try Store.insertAugmented(
                        db, parent: parent, content: draw.content, hash: hash, operations: draw.applied, run: runID, now: now)
                    result.samples.append(uid)
                    usedParents.insert(parent.id)
                    stored = true
                    break
                }
                if !stored {
                    if unchanged { result.skippedUnchanged += 1 } else { result.skippedDuplicate += 1 }
                }
            }
            result.made = result.samples.count
            result.parentsUsed = usedParents.count
            if result.made == 0 {
                // A run that made nothing leaves no trace (the summary says why).
                try db.execute(sql: "DELETE FROM augment_runs WHERE id = ?", arguments: [runID])
                result.run = nil
                return result
            }
            try Store.finishAugmentRun(db, run: runID, result: result, finished: Timestamp.string(clock.now()))
            Faults.point("augment") // before the commit: the run vanishes whole
            return result
        }
    }

    /// Refuses a request whose numbers cannot be used (the CLI checks them first too).
    static func checkAugmentRequest(_ request: AugmentRequest) throws {
        if case .count(let n) = request.amount, n < 1 {
            throw WinnowError.invalidArgument("--count must be 1 or more (got \(n))")
        }
        if case .count(let n) = request.amount, n > Augment.maxRequested {
            throw WinnowError.invalidArgument(
                "--count \(n) is more than one run makes (at most \(Augment.maxRequested) augmented samples); ask for fewer, in several runs if need be")
        }
        guard request.rate > 0 && request.rate <= 1 else {
            throw WinnowError.invalidArgument("--rate must be in (0, 1]: the share of a text's words an operation touches (got \(request.rate); default \(Augment.defaultRate))")
        }
        guard request.maxPerParent >= 1 else {
            throw WinnowError.invalidArgument("--max-per-parent must be 1 or more (got \(request.maxPerParent))")
        }
    }

    /// The SQL condition and arguments that select the target's parents among `samples s`
    /// joined to its current revision `r`: active, not augmented themselves, and of the
    /// category (current annotation) or label (current revision).
    static func parentConditions(_ target: AugmentTarget) -> SampleConditions {
        var conditions = SampleConditions()
        switch target {
        case .scene(let dimension, let category): conditions.filter(SelectionFilter(scene: (dimension, category)))
        case .label(let label): conditions.filter(SelectionFilter(label: label))
        }
        conditions.origin(.import)
        return conditions
    }

    /// Works out the run: checks the target, counts what is asked (`--to-target` or `--count`),
    /// orders the parents with the seed and assigns the planned variants to them round-robin,
    /// every parent taking at most `maxPerParent` minus the variants it already has.
    static func augmentPlan(_ db: Database, _ request: AugmentRequest) throws -> AugmentPlan {
        switch request.target {
        case .scene(let dimension, let category): try checkSelection(db, label: nil, scene: (dimension, category), source: nil)
        case .label(let label): try checkSelection(db, label: label, scene: nil, source: nil)
        }
        let conditions = parentConditions(request.target)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, (SELECT count(*) FROM augmented_samples x WHERE x.parent_id = s.id) AS variants
                FROM samples s \(CurrentRevision.join) WHERE \(conditions.sql) ORDER BY s.id
                """, arguments: conditions.arguments)
        var ids = try rows.map { try $0.value("id", as: Int64.self) }
        var variants: [Int64: Int] = [:]
        for (id, row) in zip(ids, rows) { variants[id] = try row.value("variants", as: Int.self) }
        if ids.isEmpty {
            let needed =
                (try? augmentNeeded(db, request.target)).map { n in
                    n > 0 ? "; it needs \(n) new sample\(n == 1 ? "" : "s") to reach its target (as `winnow plan` reports)" : ""
                } ?? ""
            throw WinnowError.notFound(
                "no parent to augment from: no active, non-augmented sample has \(request.target.option.dropFirst(2))\(needed); augmentation cannot fill an empty category or label, import data for it (`winnow import FILE`); see `winnow samples \(request.target.option)` (augmented samples are never parents)"
            )
        }
        let requested: Int
        switch request.amount {
        case .count(let n): requested = n
        case .toTarget: requested = try augmentNeeded(db, request.target)
        }
        if requested > Augment.maxRequested {
            throw WinnowError.invalidArgument(
                "--to-target: \(request.target.text) needs \(requested) samples, more than one run makes (at most \(Augment.maxRequested)); make them in several runs of --count \(Augment.maxRequested) or less, or check the category's target in the taxonomy"
            )
        }
        // Fisher–Yates with the run's generator: the same seed gives the same order anywhere.
        var rng = SeededGenerator(seed: request.seed)
        if ids.count > 1 {
            for i in stride(from: ids.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                ids.swapAt(i, j)
            }
        }
        let room = ids.map { max(0, request.maxPerParent - (variants[$0] ?? 0)) }
        // Σ room saturates at Int.max: `--max-per-parent` may be as large as an Int.
        let capacity = room.reduce(0) { sum, free in sum > Int.max - free ? Int.max : sum + free }
        let planned = min(requested, capacity)
        // Round r deals one variant to every parent with more than r free; a parent leaves
        // the deal once full, so this costs O(planned + parents) whatever the caps are.
        var slots: [Int] = []
        slots.reserveCapacity(planned)
        var open = room.indices.filter { room[$0] > 0 }
        let parentsUsed = min(planned, open.count)
        var round = 0
        while slots.count < planned {
            for index in open where slots.count < planned { slots.append(index) }
            round += 1
            open.removeAll { room[$0] <= round }
        }
        let result = AugmentResult(
            target: request.target.text, requested: requested, parents: ids.count, capacity: capacity, planned: planned,
            parentsUsed: parentsUsed, dryRun: request.dryRun)
        return AugmentPlan(result: result, order: ids, slots: slots, rng: rng)
    }

    /// How many `--to-target` asks for: the category's `needed` as `coverage` computes it
    /// (target − count of active samples, augmented ones included), or a label's gap to the
    /// largest label's count (the taxonomy gives labels no targets; the uniform reference that
    /// `distribution --of labels` uses by default, at the largest label's size).
    static func augmentNeeded(_ db: Database, _ target: AugmentTarget) throws -> Int {
        switch target {
        case .scene(let dimension, let category):
            let specs = try taxonomy(db).coverageSpecs(of: dimension)
            guard let spec = specs.first(where: { $0.name == category }), spec.target != nil else {
                let why = specs.contains(where: { $0.name == category }) ? "has no target in the taxonomy" : "is not in the taxonomy, so it has no target"
                throw WinnowError.invalidArgument(
                    "--to-target: category \(category) of \(dimension) \(why); give it a target (`winnow taxonomy load FILE`) or ask for --count N")
            }
            let counts = try sceneCounts(db, snapshot: nil)[dimension] ?? [:]
            let report = Coverage.report(dimension: dimension, categories: [spec], counts: counts, unannotated: 0)
            return report.categories.first?.needed ?? 0
        case .label(let label):
            let counts = try labelCounts(db)
            let largest = counts.map(\.count).max() ?? 0
            return max(0, largest - (counts.first(where: { $0.label == label })?.count ?? 0))
        }
    }

    /// The parents the planned variants come from, by id, with their current revision and scenes.
    static func augmentParents(_ db: Database, ids: [Int64], slots: [Int]) throws -> [Int64: AugmentParent] {
        var parents: [Int64: AugmentParent] = [:]
        let select = try db.makeStatement(
            sql: """
                SELECT s.id, s.uid, s.kind, s.source_id, r.label, r.score, c.hash, \(ContentColumns.selectList())
                FROM samples s \(CurrentRevision.joinWithContent) WHERE s.id = ?
                """)
        let scenes = try db.makeStatement(
            sql: """
                SELECT dimension, category, origin, source_id FROM scene_annotations
                WHERE sample_id = ? AND replaced_by IS NULL ORDER BY dimension, id
                """)
        for index in Set(slots) {
            let id = ids[index]
            guard let row = try Row.fetchOne(select, arguments: [id]) else { continue }
            let annotations = try Row.fetchAll(scenes, arguments: [id]).map {
                (
                    dimension: try $0.value("dimension", as: String.self), category: try $0.value("category", as: String.self),
                    origin: try $0.value("origin", as: String.self), sourceID: try $0.value("source_id", as: Int64?.self)
                )
            }
            parents[id] = AugmentParent(
                id: id, uid: try row.value("uid"), kind: try row.value("kind"), sourceID: try row.value("source_id"),
                label: try row.value("label"), score: try row.value("score"), content: try ContentColumns.content(row),
                hash: [UInt8](try row.value("hash", as: Data.self)), scenes: annotations)
        }
        return parents
    }

    /// The uid of the sample whose content has `hash`, if one has.
    static func contentOwner(_ db: Database, hash: [UInt8]) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT s.uid FROM contents c JOIN samples s ON s.id = c.sample_id WHERE c.hash = ?", arguments: [Data(hash)])
    }

    static func insertAugmentRun(_ db: Database, _ request: AugmentRequest, requested: Int, started: String) throws -> Int64 {
        let run = AugmentRunRecord(
            id: nil, target: request.target.text,
            operations: request.command == nil ? request.operations.joined(separator: ",") : "",
            rate: request.command == nil ? request.rate : nil, seed: Int64(bitPattern: request.seed), command: request.command,
            requested: Int64(requested), made: 0, skipped: 0, startedAt: started, finishedAt: nil)
        try run.insert(db)
        return db.lastInsertedRowID
    }

    static func finishAugmentRun(_ db: Database, run: Int64, result: AugmentResult, finished: String) throws {
        try db.execute(
            sql: "UPDATE augment_runs SET made = ?, skipped = ?, finished_at = ? WHERE id = ?",
            arguments: [result.made, result.skipped, finished, run])
    }

    /// The uid of an augmented sample: the parent's uid, `~aug-`, and 8 hex digits of its
    /// content hash (more digits in the rare case another sample has that uid already).
    static func augmentedUID(_ db: Database, parent: String, hash: [UInt8]) throws -> String {
        let hex = ContentHash.hex(hash)
        for digits in stride(from: 8, through: 64, by: 4) {
            let uid = "\(parent)~aug-\(hex.prefix(digits))"
            if try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM samples WHERE uid = ?)", arguments: [uid]) ?? false) { return uid }
        }
        throw WinnowError.alreadyExists("every uid \(parent)~aug-HASH for this content is taken; rename the samples that hold them")
    }

    /// Stores one augmented sample: a sample of the parent's kind and source, its content, a
    /// first revision (origin import) with the parent's label and score, copies of the parent's
    /// current scene annotations with their origin, and its `augmented_samples` row. Returns its uid.
    static func insertAugmented(
        _ db: Database, parent: AugmentParent, content: SampleContent, hash: [UInt8], operations: [String], run: Int64, now: String
    ) throws -> String {
        let uid = try augmentedUID(db, parent: parent.uid, hash: hash)
        // The revision is written after the sample; the reference is checked at commit.
        try db.execute(
            sql: "INSERT INTO samples (uid, kind, status, revision_id, source_id, meta, created_at) VALUES (?, ?, ?, 0, ?, NULL, ?)",
            arguments: [uid, parent.kind, SampleStatus.active, parent.sourceID, now])
        let sampleID = db.lastInsertedRowID
        try db.execute(
            sql: "INSERT INTO contents (sample_id, hash, \(ContentColumns.selectList(""))) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: StatementArguments([sampleID, Data(hash)] as [(any DatabaseValueConvertible)?] + ContentColumns.values(content)))
        let contentID = db.lastInsertedRowID
        try RevisionRecord(
            id: nil, sampleId: sampleID, contentId: contentID, label: parent.label, score: parent.score, origin: .import,
            decisionId: nil, createdAt: now
        ).insert(db)
        try db.execute(sql: "UPDATE samples SET revision_id = ? WHERE id = ?", arguments: [db.lastInsertedRowID, sampleID])
        for scene in parent.scenes {
            try db.execute(
                sql: "INSERT INTO scene_annotations (sample_id, dimension, category, origin, source_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [sampleID, scene.dimension, scene.category, scene.origin, scene.sourceID, now])
            // The insert trigger counts every origin but import's (the importer counts those itself).
            if scene.origin == AnnotationOrigin.import.rawValue {
                try db.execute(
                    sql: """
                        INSERT INTO scene_counts (dimension, category, count) VALUES (?, ?, 1)
                        ON CONFLICT (dimension, category) DO UPDATE SET count = count + 1
                        """, arguments: [scene.dimension, scene.category])
            }
        }
        try AugmentedSampleRecord(sampleId: sampleID, parentId: parent.id, runId: run, operations: jsonArray(operations)).insert(db)
        return uid
    }

    /// The provenance of an augmented sample, or nil for an imported one.
    static func augmentProvenance(_ db: Database, sampleID: Int64) throws -> AugmentProvenance? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT p.uid AS parent, x.operations, x.run_id, r.target, r.rate, r.seed, r.command, s.created_at
                    FROM augmented_samples x JOIN samples p ON p.id = x.parent_id JOIN augment_runs r ON r.id = x.run_id
                    JOIN samples s ON s.id = x.sample_id WHERE x.sample_id = ?
                    """, arguments: [sampleID])
        else { return nil }
        let operations = (try? JSONSerialization.jsonObject(with: Data((try row.value("operations", as: String.self)).utf8)) as? [String]) ?? []
        return AugmentProvenance(
            parent: try row.value("parent"), operations: operations, run: try row.value("run_id"), target: try row.value("target"),
            rate: try row.value("rate"), seed: UInt64(bitPattern: try row.value("seed", as: Int64.self)), command: try row.value("command"),
            createdAt: try row.value("created_at"))
    }
}
