import Foundation
import GRDB

/// How `queue create` chooses and orders samples.
public struct QueueSelection: Sendable {
    /// Samples with a flag from one of these detectors (none: no flag needed).
    public var detectors: [String] = []
    public var minScore: Double?
    /// The flags' status to select on, when selecting by flags (default open).
    public var flagStatus = FlagStatus.open.rawValue
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var source: String?
    /// A random audit sample of this many, instead of every match.
    public var audit: Int?
    public var seed: UInt64 = 0
    public var priority = QueuePriority.score.rawValue
    public var overlap = 1
    /// Leave out samples with such open flags (`--exclude-flagged [DETECTORS]`: any score).
    public var excludeFlagged: FlagSelection?
    /// Only imported samples, or only augmented ones (`--origin augmented`: an audit of what
    /// `winnow augment` made).
    public var origin: SampleOrigin?
    /// Only the active samples this filter selects (the web review's browse selection: any of
    /// `winnow samples`' filters, a full-text search, chosen uids).
    public var samples: SampleFilter?
    public init() {}

    /// The detectors a queue was made from, read back from its `selection` JSON: the flags its
    /// decisions act on. Empty when the queue is not detector-based (then they act on all).
    static func detectors(fromJSON json: String?) -> [String] {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [] }
        return (object["detectors"] as? [Any] ?? []).compactMap { $0 as? String }
    }

    /// Its label, scene and source filters.
    var filter: SelectionFilter { SelectionFilter(label: label, scene: scene, source: source) }

    var json: String {
        var pairs: [(String, String)] = [("detectors", jsonArray(detectors)), ("flag_status", JSONText.quote(flagStatus))]
        if let minScore { pairs.append(("min_score", jsonNumber(minScore))) }
        pairs += filter.jsonPairs
        if let audit { pairs.append(("audit", "\(audit)")); pairs.append(("seed", "\(seed)")) }
        if let excludeFlagged { pairs.append(("exclude_detectors", jsonArray(excludeFlagged.detectors))) }
        if let origin { pairs.append(("origin", JSONText.quote(origin.rawValue))) }
        if let samples { pairs.append(("samples", jsonObject(samples.jsonPairs))) }
        return jsonObject(pairs)
    }
}

/// `queue status --json` (SPEC section 11).
public struct QueueStatus: Codable, Sendable, Equatable {
    public var queue: String
    public var overlap: Int
    public var items: Int
    public var pending: Int
    public var claimed: Int
    public var decided: Int
    public var disagreements: Int
}

extension Store {
    /// Creates a queue, or adds the new matches to an existing one (items already in it stay
    /// where they are). Returns how many items were added and the queue's size.
    public func createQueue(
        name: String, selection: QueueSelection
    ) throws
        -> (added: Int, total: Int, created: Bool, excluded: ExclusionReport?)
    {
        let name = try Names.valid(name, .queue)
        guard QueuePriority(rawValue: selection.priority) != nil else {
            throw WinnowError.invalidArgument("--priority \(selection.priority): choose score, random or oldest")
        }
        guard selection.overlap >= 1 else { throw WinnowError.invalidArgument("--overlap must be 1 or more") }
        if selection.samples?.search != nil { try updateContentSearch() }
        return try writeImmediate { db in
            let made = try Store.createQueue(db, name: name, selection: selection, now: Timestamp.string(clock.now()))
            return (made.added, made.total, made.created, made.excluded)
        }
    }

    /// `createQueue` inside a write transaction (a bulk decision makes its queue so); also
    /// returns the queue's id.
    static func createQueue(
        _ db: Database, name: String, selection: QueueSelection, now: String
    ) throws
        -> (added: Int, total: Int, created: Bool, queue: Int64, excluded: ExclusionReport?)
    {
        var detectorOptions = [(names: selection.detectors, option: "--detector")]
        if let excluded = selection.excludeFlagged { detectorOptions.append((excluded.detectors, "--exclude-flagged")) }
        try selection.filter.check(db, detectors: detectorOptions)
        let (queue, created) = try Store.upsertQueue(db, name: name, selection: selection, now: now)
        let (candidates, excluded) = try Store.queueCandidates(db, queue: queue, selection: selection)
        let start = (try Double.fetchOne(db, sql: "SELECT max(position) FROM queue_items WHERE queue_id = ?", arguments: [queue]) ?? 0) + 1
        let insert = try db.makeStatement(sql: "INSERT INTO queue_items (queue_id, sample_id, position, added_at) VALUES (?, ?, ?, ?)")
        for (i, id) in candidates.enumerated() {
            try insert.execute(arguments: [queue, id, start + Double(i), now])
        }
        let total = try QueueItemRecord.filter(QueueItemRecord.Columns.queueId == queue).fetchCount(db)
        return (candidates.count, total, created, queue, excluded)
    }

    /// The queue `name`, made when missing. An existing one must have the same overlap and be
    /// detector-based as the selection is; a re-creation adds the selection's detectors to
    /// those its decisions act on.
    static func upsertQueue(_ db: Database, name: String, selection: QueueSelection, now: String) throws -> (id: Int64, created: Bool) {
        guard let existing = try QueueRecord.filter(QueueRecord.Columns.name == name).fetchOne(db), let id = existing.id else {
            let priority = QueuePriority(rawValue: selection.priority) ?? .score
            let queue = QueueRecord(
                id: nil, name: name, selection: selection.json, priority: priority, overlap: Int64(selection.overlap),
                createdAt: now)
            try queue.insert(db)
            return (db.lastInsertedRowID, true)
        }
        if existing.overlap != Int64(selection.overlap) {
            throw WinnowError.alreadyExists("queue '\(name)' exists with --overlap \(existing.overlap); re-create it with the same overlap, or give the new queue another name")
        }
        // Its decisions act on the flags of the detectors it was made from: a re-creation
        // adds detectors to those, and cannot mix detector-based and other items.
        let had = QueueSelection.detectors(fromJSON: existing.selection)
        if had.isEmpty != selection.detectors.isEmpty {
            throw WinnowError.invalidArgument(
                had.isEmpty
                    ? "queue '\(name)' was not made from detectors, so its decisions act on all of a sample's flags; give a queue of --detector matches another name"
                    : "queue '\(name)' was made from detectors \(had.joined(separator: ", ")), whose flags its decisions act on; re-create it with --detector, or give the new queue another name"
            )
        }
        let union = had + selection.detectors.filter { !had.contains($0) }
        if union != had {
            var recorded = selection
            recorded.detectors = union
            try db.execute(sql: "UPDATE queues SET selection = ? WHERE id = ?", arguments: [recorded.json, id])
        }
        return (id, false)
    }

    /// The samples a queue selection adds to `queue` (those not in it yet), in the queue's order
    /// of priority, and what `--exclude-flagged` left out.
    static func queueCandidates(
        _ db: Database, queue: Int64, selection: QueueSelection
    ) throws
        -> (ids: [Int64], excluded: ExclusionReport?)
    {
        var conditions = SampleConditions()
        var scoreArguments: StatementArguments = [] // the score subquery's, first in the SELECT
        var scoreExpression = "0.0"
        if !selection.detectors.isEmpty || selection.minScore != nil {
            let flag = FlagSelection(detectors: selection.detectors, minScore: selection.minScore).condition("f")
            let flagWhere = "f.sample_id = s.id AND f.status = ? AND \(flag.sql)"
            let flagArguments: StatementArguments = [selection.flagStatus] + flag.arguments
            conditions.add("EXISTS (SELECT 1 FROM flags f WHERE \(flagWhere))", flagArguments)
            scoreExpression = "(SELECT max(f.score) FROM flags f WHERE \(flagWhere))"
            scoreArguments = flagArguments
        }
        conditions.filter(selection.filter)
        if let origin = selection.origin { conditions.origin(origin) }
        if let samples = selection.samples {
            let (sampleConditions, sampleArguments) = try samples.conditions(db)
            if !sampleConditions.isEmpty { conditions.add(sampleConditions.joined(separator: " AND "), sampleArguments) }
        }
        conditions.add("NOT EXISTS (SELECT 1 FROM queue_items qi WHERE qi.queue_id = ? AND qi.sample_id = s.id)", [queue])
        let excluded = try selection.excludeFlagged.map { try conditions.excludeFlagged(db, $0, alias: "x") }
        var candidates = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, \(scoreExpression) AS score FROM samples s \(CurrentRevision.join)
                WHERE \(conditions.sql) ORDER BY s.id
                """, arguments: scoreArguments + conditions.arguments
        ).map {
            (id: try $0.value("id", as: Int64.self), score: try $0.value("score", as: Double?.self) ?? 0)
        }
        // A seeded order for audits and random priority: the same seed gives the same queue.
        func shuffleKey(_ id: Int64) -> UInt64 { MinHash.mix(UInt64(bitPattern: id) ^ MinHash.mix(selection.seed)) }
        if let audit = selection.audit {
            candidates = Array(candidates.sorted { shuffleKey($0.id) < shuffleKey($1.id) }.prefix(audit))
        }
        switch QueuePriority(rawValue: selection.priority) {
        case .score: candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        case .random: candidates.sort { shuffleKey($0.id) < shuffleKey($1.id) }
        default: candidates.sort { $0.id < $1.id }
        }
        return (candidates.map(\.id), excluded)
    }

    /// Every queue's progress.
    public func queueStatuses() throws -> [QueueStatus] {
        let now = Timestamp.string(clock.now())
        return try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM queues ORDER BY id").map { try Store.queueStatus(db, name: $0, now: now) }
        }
    }

    /// One queue's progress.
    public func queueStatus(_ name: String) throws -> QueueStatus {
        let now = Timestamp.string(clock.now())
        return try read { db in try Store.queueStatus(db, name: name, now: now) }
    }

    /// The queue `name`'s id and overlap, or `.notFound` naming the queues there are. Read as a
    /// copied row, whose `value` refuses an overlap that is not a number (a record would take
    /// SQLite's conversion of such text, 0).
    static func queueID(_ db: Database, _ name: String) throws -> (id: Int64, overlap: Int) {
        guard let queue = try Row.fetchOne(db, sql: "SELECT id, overlap FROM queues WHERE name = ?", arguments: [name]) else {
            let names = try String.fetchAll(db, sql: "SELECT name FROM queues ORDER BY name")
            throw WinnowError.notFound("no queue '\(name)'; queues: \(names.isEmpty ? "none (create one with `winnow queue create NAME`)" : names.joined(separator: ", "))")
        }
        return (try queue.value("id"), try queue.value("overlap"))
    }

    static func queueStatus(_ db: Database, name: String, now: String) throws -> QueueStatus {
        let (queue, overlap) = try queueID(db, name)
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*) AS items,
                       sum(qi.resolved_at IS NOT NULL) AS decided,
                       sum(qi.resolved_at IS NULL AND (SELECT count(*) FROM decisions d WHERE d.item_id = qi.id AND d.undone_at IS NULL AND d.action <> ?) >= ?) AS disagreements,
                       sum(qi.resolved_at IS NULL AND EXISTS (SELECT 1 FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?)) AS claimed
                FROM queue_items qi WHERE qi.queue_id = ?
                """, arguments: [DecisionAction.skip, overlap, now, queue])
        func sum(_ column: String) throws -> Int { try row.flatMap { try $0.value(column, as: Int?.self) } ?? 0 }
        let items = try sum("items"), decided = try sum("decided"), disagreements = try sum("disagreements"), claimed = try sum("claimed")
        return QueueStatus(
            queue: name, overlap: overlap, items: items, pending: max(0, items - decided - disagreements - claimed),
            claimed: claimed, decided: decided, disagreements: disagreements)
    }
}
