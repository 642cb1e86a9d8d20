import Foundation
import GRDB

/// How `queue create` chooses and orders samples.
public struct QueueSelection: Sendable {
    /// Samples with a flag from one of these detectors (none: no flag needed).
    public var detectors: [String] = []
    public var minScore: Double?
    /// The flags' status to select on, when selecting by flags (default open).
    public var flagStatus = "open"
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var source: String?
    /// A random audit sample of this many, instead of every match.
    public var audit: Int?
    public var seed: UInt64 = 0
    public var priority = "score"
    public var overlap = 1
    /// Leave out samples with such open flags (`--exclude-flagged [DETECTORS]`: any score).
    public var excludeFlagged: FlagSelection?
    public init() {}

    /// The detectors a queue was made from, read back from its `selection` JSON: the flags its
    /// decisions act on. Empty when the queue is not detector-based (then they act on all).
    static func detectors(fromJSON json: String?) -> [String] {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [] }
        return (object["detectors"] as? [Any] ?? []).compactMap { $0 as? String }
    }

    var json: String {
        var pairs: [(String, String)] = [("detectors", jsonArray(detectors)), ("flag_status", JSONText.quote(flagStatus))]
        if let minScore { pairs.append(("min_score", jsonNumber(minScore))) }
        if let label { pairs.append(("label", JSONText.quote(label))) }
        if let scene { pairs.append(("scene", JSONText.quote("\(scene.dimension)=\(scene.category)"))) }
        if let source { pairs.append(("source", JSONText.quote(source))) }
        if let audit { pairs.append(("audit", "\(audit)")); pairs.append(("seed", "\(seed)")) }
        if let excludeFlagged { pairs.append(("exclude_detectors", jsonArray(excludeFlagged.detectors))) }
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
    public func createQueue(name: String, selection: QueueSelection) throws
        -> (added: Int, total: Int, created: Bool, excluded: ExclusionReport?) {
        let name = try Names.valid(name, .queue)
        guard ["score", "random", "oldest"].contains(selection.priority) else {
            throw WinnowError.invalidArgument("--priority \(selection.priority): choose score, random or oldest")
        }
        guard selection.overlap >= 1 else { throw WinnowError.invalidArgument("--overlap must be 1 or more") }
        return try writeImmediate { db in
            let made = try Store.createQueue(db, name: name, selection: selection, now: Timestamp.string(Date()))
            return (made.added, made.total, made.created, made.excluded)
        }
    }

    /// `createQueue` inside a write transaction (a bulk decision makes its queue so); also
    /// returns the queue's id.
    static func createQueue(_ db: Database, name: String, selection: QueueSelection, now: String) throws
        -> (added: Int, total: Int, created: Bool, queue: Int64, excluded: ExclusionReport?) {
        try Store.checkSelection(db, label: selection.label, scene: selection.scene, source: selection.source)
        try Store.checkDetectors(db, selection.detectors, option: "--detector")
        if let excluded = selection.excludeFlagged { try Store.checkDetectors(db, excluded.detectors, option: "--exclude-flagged") }
        var queueID = try Int64.fetchOne(db, sql: "SELECT id FROM queues WHERE name = ?", arguments: [name])
        let created = queueID == nil
        if queueID == nil {
            try db.execute(sql: "INSERT INTO queues (name, selection, priority, overlap, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, selection.json, selection.priority, selection.overlap, now])
            queueID = db.lastInsertedRowID
        } else if let existing = try Row.fetchOne(db, sql: "SELECT overlap, selection FROM queues WHERE id = ?", arguments: [queueID]) {
            if existing["overlap"] as Int != selection.overlap {
                throw WinnowError.invalidArgument("queue '\(name)' exists with --overlap \(existing["overlap"] as Int); re-create it with the same overlap, or give the new queue another name")
            }
            // Its decisions act on the flags of the detectors it was made from: a re-creation
            // adds detectors to those, and cannot mix detector-based and other items.
            let had = QueueSelection.detectors(fromJSON: existing["selection"])
            if had.isEmpty != selection.detectors.isEmpty {
                throw WinnowError.invalidArgument(had.isEmpty
                    ? "queue '\(name)' was not made from detectors, so its decisions act on all of a sample's flags; give a queue of --detector matches another name"
                    : "queue '\(name)' was made from detectors \(had.joined(separator: ", ")), whose flags its decisions act on; re-create it with --detector, or give the new queue another name")
            }
            let union = had + selection.detectors.filter { !had.contains($0) }
            if union != had {
                var recorded = selection
                recorded.detectors = union
                try db.execute(sql: "UPDATE queues SET selection = ? WHERE id = ?", arguments: [recorded.json, queueID])
            }
        }
        guard let queue = queueID else { throw WinnowError.invalidArgument("queue '\(name)' could not be made") }

        var conditions = ["s.status = 'active'"]
        var arguments: StatementArguments = []          // the WHERE's
        var scoreArguments: StatementArguments = []     // the score subquery's, first in the SELECT
        var scoreExpression = "0.0"
        if !selection.detectors.isEmpty || selection.minScore != nil {
            var flagConditions = ["f.sample_id = s.id", "f.status = ?"]
            var flagArguments: StatementArguments = [selection.flagStatus]
            if !selection.detectors.isEmpty {
                flagConditions.append("f.detector IN (\(Array(repeating: "?", count: selection.detectors.count).joined(separator: ", ")))")
                flagArguments += StatementArguments(selection.detectors)
            }
            if let minScore = selection.minScore { flagConditions.append("f.score >= ?"); flagArguments += [minScore] }
            let flagWhere = flagConditions.joined(separator: " AND ")
            conditions.append("EXISTS (SELECT 1 FROM flags f WHERE \(flagWhere))")
            arguments += flagArguments
            scoreExpression = "(SELECT max(f.score) FROM flags f WHERE \(flagWhere))"
            scoreArguments = flagArguments
        }
        let shared = Store.selectionConditions(label: selection.label, scene: selection.scene, source: selection.source)
        conditions += shared.conditions
        arguments += shared.arguments
        conditions.append("NOT EXISTS (SELECT 1 FROM queue_items qi WHERE qi.queue_id = ? AND qi.sample_id = s.id)")
        arguments += [queue]
        var excluded: ExclusionReport?
        if let exclusion = selection.excludeFlagged {
            // What the exclusion leaves out of the new matches, per label and detector.
            excluded = try Store.exclusionReport(db, exclusion, conditions: conditions, arguments: arguments)
            let flag = exclusion.condition("x")
            conditions.append("NOT EXISTS (SELECT 1 FROM flags x WHERE x.sample_id = s.id AND x.status = 'open' AND \(flag.sql))")
            arguments += flag.arguments
        }
        arguments = scoreArguments + arguments
        var candidates = try Row.fetchAll(db, sql: """
            SELECT s.id, \(scoreExpression) AS score FROM samples s JOIN revisions r ON r.id = s.revision_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.id
            """, arguments: arguments).map { (id: $0["id"] as Int64, score: ($0["score"] as Double?) ?? 0) }
        // A seeded order for audits and random priority: the same seed gives the same queue.
        func shuffleKey(_ id: Int64) -> UInt64 { MinHash.mix(UInt64(bitPattern: id) ^ MinHash.mix(selection.seed)) }
        if let audit = selection.audit {
            candidates = Array(candidates.sorted { shuffleKey($0.id) < shuffleKey($1.id) }.prefix(audit))
        }
        switch selection.priority {
        case "score": candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        case "random": candidates.sort { shuffleKey($0.id) < shuffleKey($1.id) }
        default: candidates.sort { $0.id < $1.id }
        }
        let start = (try Double.fetchOne(db, sql: "SELECT max(position) FROM queue_items WHERE queue_id = ?", arguments: [queue]) ?? 0) + 1
        let insert = try db.makeStatement(sql: "INSERT INTO queue_items (queue_id, sample_id, position, added_at) VALUES (?, ?, ?, ?)")
        for (i, c) in candidates.enumerated() {
            try insert.execute(arguments: [queue, c.id, start + Double(i), now])
        }
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items WHERE queue_id = ?", arguments: [queue]) ?? 0
        return (candidates.count, total, created, queue, excluded)
    }

    /// Every queue's progress.
    public func queueStatuses() throws -> [QueueStatus] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM queues ORDER BY id").map { try Store.queueStatus(db, name: $0) }
        }
    }

    /// One queue's progress.
    public func queueStatus(_ name: String) throws -> QueueStatus {
        try pool.read { db in try Store.queueStatus(db, name: name) }
    }

    static func queueID(_ db: Database, _ name: String) throws -> (id: Int64, overlap: Int) {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, overlap FROM queues WHERE name = ?", arguments: [name]) else {
            let names = try String.fetchAll(db, sql: "SELECT name FROM queues ORDER BY name")
            throw WinnowError.invalidArgument("no queue '\(name)'; queues: \(names.isEmpty ? "none (create one with `winnow queue create NAME`)" : names.joined(separator: ", "))")
        }
        return (row["id"], row["overlap"])
    }

    static func queueStatus(_ db: Database, name: String) throws -> QueueStatus {
        let (queue, overlap) = try queueID(db, name)
        let now = Timestamp.string(Date())
        let row = try Row.fetchOne(db, sql: """
            SELECT count(*) AS items,
                   sum(qi.resolved_at IS NOT NULL) AS decided,
                   sum(qi.resolved_at IS NULL AND (SELECT count(*) FROM decisions d WHERE d.item_id = qi.id AND d.undone_at IS NULL AND d.action <> 'skip') >= ?) AS disagreements,
                   sum(qi.resolved_at IS NULL AND EXISTS (SELECT 1 FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?)) AS claimed
            FROM queue_items qi WHERE qi.queue_id = ?
            """, arguments: [overlap, now, queue])
        let items = row?["items"] as Int? ?? 0
        let decided = row?["decided"] as Int? ?? 0
        let disagreements = row?["disagreements"] as Int? ?? 0
        let claimed = row?["claimed"] as Int? ?? 0
        return QueueStatus(queue: name, overlap: overlap, items: items, pending: max(0, items - decided - disagreements - claimed),
                           claimed: claimed, decided: decided, disagreements: disagreements)
    }
}
