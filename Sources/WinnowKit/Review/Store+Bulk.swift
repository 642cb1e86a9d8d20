import Foundation
import GRDB

/// `review bulk`: one reviewer's verdict over many queue items at once — the samples of a
/// flag selection or of a queue — recorded as one decision per sample, under one bulk id.
public struct BulkRequest: Sendable {
    public var reviewer: String
    /// keep, drop or relabel.
    public var action: DecisionAction
    /// relabel: a label, or `predicted` (each sample's label-noise flag's predicted label).
    public var to: String?
    /// Act on this queue's items; without it a queue `bulk-ID` is made from `flags`.
    public var queue: String?
    /// Only samples with such open flags (required without `queue`). Its detectors are the
    /// flags the decisions confirm or dismiss.
    public var flags: FlagSelection?
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var source: String?
    public var note: String?
    /// Confirm or dismiss every open flag of each sample.
    public var allFlags = false
    /// Work it all out and report it, then leave the store as it was.
    public var dryRun = false

    /// The `to` that takes each sample's label-noise prediction.
    public static let predicted = "predicted"

    public init(reviewer: String, action: DecisionAction) {
        self.reviewer = reviewer
        self.action = action
    }
}

/// What `review bulk` did (or, with `--dry-run`, would do).
public struct BulkOutcome: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var item: Int64
        public var uid: String
        /// The label before the decision.
        @NullEncodable public var label: String?
        /// relabel: the new label.
        @NullEncodable public var to: String?
        /// As `review decide`: applied, waiting, disagreement.
        public var state: String
    }
    public struct Skipped: Codable, Sendable {
        public var item: Int64
        public var uid: String
        public var reason: String
    }
    /// The bulk decision's id (nil for a dry run or when nothing was decided).
    @NullEncodable public var bulk: Int64?
    public var dryRun: Bool
    public var reviewer: String
    public var action: String
    @NullEncodable public var to: String?
    public var queue: String
    /// The queue was made for this bulk decision.
    public var queueCreated: Bool
    public var decisions: Int
    /// Decisions per state.
    public var states: [String: Int]
    /// Labels before → after of the relabels applied (not those waiting for more reviewers): "ham→spam": 12.
    public var changes: [String: Int]
    public var items: [Item]
    public var skipped: [Skipped]

    enum CodingKeys: String, CodingKey {
        case bulk, reviewer, action, to, queue, decisions, states, changes, items, skipped
        case dryRun = "dry_run"
        case queueCreated = "queue_created"
    }
}

/// What `review undo --bulk` reverted.
public struct BulkUndo: Codable, Sendable {
    public var bulk: Int64
    public var reviewer: String
    public var action: String
    public var queue: String
    public var undone: Int
}

/// One item of `queue items`.
public struct QueueItemInfo: Codable, Sendable {
    public struct Flag: Codable, Sendable {
        public var detector: String
        public var score: Double
        public var status: String
    }
    public struct Decision: Codable, Sendable {
        public var decision: Int64
        public var reviewer: String
        public var action: String
        @NullEncodable public var label: String?
        @NullEncodable public var bulk: Int64?
    }
    public var item: Int64
    public var uid: String
    @NullEncodable public var label: String?
    /// The sample's status: active or dropped.
    public var status: String
    /// pending, claimed, waiting (more reviewers needed), disagreement, decided.
    public var state: String
    /// The applied decision's action, once decided.
    @NullEncodable public var resolution: String?
    /// All the sample's flags, highest score first.
    public var flags: [Flag]
    /// The item's live decisions, oldest first.
    public var decisions: [Decision]
}

/// `queue items --json`.
public struct QueueItems: Codable, Sendable {
    public var queue: String
    public var count: Int
    public var items: [QueueItemInfo]
}

extension Store {
    /// Decides many items at once as `request.reviewer`, all in one transaction, each through
    /// the same path as `review decide` (overlap, leases, flags under review, revisions
    /// appended). Items that path refuses (leased to someone else, …) are reported as skipped.
    public func bulkDecide(_ request: BulkRequest) throws -> BulkOutcome {
        var request = request
        request.reviewer = try Names.valid(request.reviewer, .reviewer)
        guard [.keep, .drop, .relabel].contains(request.action) else {
            throw WinnowError.invalidArgument("--action \(request.action.rawValue): a bulk decision is keep, drop or relabel")
        }
        if request.action == .relabel {
            guard let to = request.to, !to.isEmpty else {
                throw WinnowError.invalidArgument("--action relabel needs --to LABEL, or --to predicted for each sample's label-noise prediction")
            }
        } else if request.to != nil {
            throw WinnowError.invalidArgument("--to goes with --action relabel")
        }
        if request.queue == nil && request.flags == nil {
            throw WinnowError.invalidArgument("say which samples: --flag DETECTORS (with --min-score), or --queue NAME")
        }
        if let queue = request.queue { request.queue = try Names.valid(queue, .queue) }
        let frozen = request
        return try writeImmediate { db in
            var outcome: BulkOutcome?
            try db.inSavepoint {
                outcome = try Store.bulkDecide(db, frozen)
                return frozen.dryRun || outcome?.decisions == 0 ? .rollback : .commit
            }
            guard var result = outcome else { throw WinnowError.invalidArgument("the bulk decision gave no result") }
            if frozen.dryRun || result.decisions == 0 { result.bulk = nil }
            return result
        }
    }

    static func bulkDecide(_ db: Database, _ request: BulkRequest) throws -> BulkOutcome {
        let now = Date()
        let nowText = Timestamp.string(now)
        try checkSelection(db, label: request.label, scene: request.scene, source: request.source)
        if let flags = request.flags { try checkDetectors(db, flags.detectors, option: "--flag") }
        let bulkID = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM bulk_decisions") ?? 1)

        // The queue: the one named, or one made from the flag selection for this bulk decision.
        let queueName: String
        let queueID: Int64
        var created = false
        if let name = request.queue {
            queueName = name
            queueID = try Store.queueID(db, name).id
        } else {
            var name = "bulk-\(bulkID)"
            var n = 1
            while try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM queues WHERE name = ?)", arguments: [name]) == true {
                n += 1
                name = "bulk-\(bulkID)-\(n)"
            }
            var selection = QueueSelection()
            selection.detectors = request.flags?.detectors ?? []
            selection.minScore = request.flags?.minScore
            selection.label = request.label
            selection.scene = request.scene
            selection.source = request.source
            queueName = name
            queueID = try createQueue(db, name: name, selection: selection, now: nowText).queue
            created = true
        }
        var selectionPairs: [(String, String)] = [("queue", JSONText.quote(queueName))]
        if let flags = request.flags {
            selectionPairs.append(("detectors", jsonArray(flags.detectors)))
            if let minScore = flags.minScore { selectionPairs.append(("min_score", jsonNumber(minScore))) }
        }
        if let label = request.label { selectionPairs.append(("label", JSONText.quote(label))) }
        if let scene = request.scene { selectionPairs.append(("scene", JSONText.quote("\(scene.dimension)=\(scene.category)"))) }
        if let source = request.source { selectionPairs.append(("source", JSONText.quote(source))) }
        if request.allFlags { selectionPairs.append(("all_flags", "true")) }
        try db.execute(sql: """
            INSERT INTO bulk_decisions (id, queue_id, reviewer, action, target, selection, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [bulkID, queueID, request.reviewer, request.action.rawValue, request.to, jsonObject(selectionPairs),
                             request.note, nowText])

        // The items: open for this reviewer, narrowed by the flag selection and the filters.
        var conditions = ["qi.queue_id = ?", "qi.resolved_at IS NULL", "s.status = 'active'",
                          "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = qi.id AND d.reviewer = ? AND d.undone_at IS NULL AND d.action <> 'skip')"]
        var arguments: StatementArguments = [queueID, request.reviewer]
        if let flags = request.flags {
            let flag = flags.condition()
            conditions.append("EXISTS (SELECT 1 FROM flags f WHERE f.sample_id = s.id AND f.status = 'open' AND \(flag.sql))")
            arguments += flag.arguments
        }
        let shared = selectionConditions(label: request.label, scene: request.scene, source: request.source)
        conditions += shared.conditions
        arguments += shared.arguments
        let candidates = try Row.fetchAll(db, sql: """
            SELECT qi.id, s.id AS sample, s.uid, s.kind, r.label FROM queue_items qi JOIN samples s ON s.id = qi.sample_id
            JOIN revisions r ON r.id = s.revision_id WHERE \(conditions.joined(separator: " AND ")) ORDER BY qi.position
            """, arguments: arguments)

        var outcome = BulkOutcome(bulk: bulkID, dryRun: request.dryRun, reviewer: request.reviewer, action: request.action.rawValue,
                                  to: request.to, queue: queueName, queueCreated: created, decisions: 0, states: [:], changes: [:],
                                  items: [], skipped: [])
        for row in candidates {
            let item: Int64 = row["id"], uid: String = row["uid"], label: String? = row["label"]
            var decision = DecisionRequest(item: item, reviewer: request.reviewer, action: request.action)
            decision.note = request.note
            decision.allFlags = request.allFlags
            decision.bulk = bulkID
            // The flags the decisions act on: those of the detectors selected, else the queue's.
            if let flags = request.flags, !flags.detectors.isEmpty { decision.scope = flags.detectors }
            if request.action == .relabel {
                var to = request.to
                if to == BulkRequest.predicted {
                    to = try predictedLabel(db, sample: row["sample"])
                    guard to != nil else {
                        outcome.skipped.append(.init(item: item, uid: uid, reason: "no open label-noise flag with a predicted label"))
                        continue
                    }
                }
                if to == label {
                    outcome.skipped.append(.init(item: item, uid: uid, reason: "already labelled '\(label ?? "")'"))
                    continue
                }
                decision.label = to
            }
            // A label the store does not know fails the whole bulk decision, not each item.
            try validate(db, decision, kind: row["kind"])
            do {
                var result: DecisionOutcome?
                try db.inSavepoint {
                    result = try decide(db, decision, now: now)
                    return .commit
                }
                guard let result else { continue }
                outcome.items.append(.init(item: item, uid: uid, label: label, to: decision.label, state: result.state))
                outcome.states[result.state, default: 0] += 1
                if let to = decision.label, result.state == "applied" { outcome.changes["\(label ?? "(none)")→\(to)", default: 0] += 1 }
            } catch let error as WinnowError {
                if case .invalidArgument(let reason) = error {
                    outcome.skipped.append(.init(item: item, uid: uid, reason: reason))
                } else {
                    throw error
                }
            }
        }
        outcome.decisions = outcome.items.count
        try db.execute(sql: "UPDATE bulk_decisions SET decisions = ? WHERE id = ?", arguments: [outcome.decisions, bulkID])
        return outcome
    }

    /// The label the sample's open label-noise flag predicts (its details' `predicted`).
    static func predictedLabel(_ db: Database, sample: Int64) throws -> String? {
        let details = try String.fetchOne(db, sql: """
            SELECT details FROM flags WHERE sample_id = ? AND detector = ? AND status = 'open' ORDER BY score DESC, id DESC LIMIT 1
            """, arguments: [sample, DetectorName.labelNoise.rawValue])
        guard let details, case .object(let fields) = JSONValue(parsing: details), case .string(let label)? = fields["predicted"] else { return nil }
        return label
    }

    /// Undoes a bulk decision as one: each of its live decisions, newest first, with its
    /// effect — or none of them, when any sample has changed since (the refusal names it).
    public func undoBulk(_ id: Int64, reviewer: String?) throws -> BulkUndo {
        try writeImmediate { db in
            guard let bulk = try Row.fetchOne(db, sql: """
                SELECT b.id, b.reviewer, b.action, b.undone_at, q.name AS queue FROM bulk_decisions b JOIN queues q ON q.id = b.queue_id WHERE b.id = ?
                """, arguments: [id]) else {
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM bulk_decisions WHERE undone_at IS NULL ORDER BY id")
                throw WinnowError.invalidArgument("no bulk decision \(id); \(ids.isEmpty ? "there are none to undo" : "live ones: " + ids.map(String.init).joined(separator: ", ")) (`winnow review bulk` prints the id)")
            }
            let owner: String = bulk["reviewer"]
            if let reviewer, reviewer != owner {
                throw WinnowError.invalidArgument("bulk decision \(id) is \(owner)'s, not \(reviewer)'s; nothing was undone")
            }
            if let at: String = bulk["undone_at"] {
                throw WinnowError.invalidArgument("bulk decision \(id) was undone at \(at) already")
            }
            let now = Timestamp.string(Date())
            let decisions = try Row.fetchAll(db, sql: """
                SELECT d.id, d.item_id, d.action, d.reviewer, d.bulk_id, s.uid FROM decisions d JOIN samples s ON s.id = d.sample_id
                WHERE d.bulk_id = ? AND d.undone_at IS NULL ORDER BY d.id DESC
                """, arguments: [id])
            for d in decisions { _ = try Store.undoDecision(db, d, now: now) }
            try db.execute(sql: "UPDATE bulk_decisions SET undone_at = ? WHERE id = ?", arguments: [now, id])
            return BulkUndo(bulk: id, reviewer: owner, action: bulk["action"], queue: bulk["queue"], undone: decisions.count)
        }
    }

    /// A queue's items in review order, with each sample's label, status, flags and the
    /// item's decisions; `state` narrows to one state, `limit` to the first N.
    public func queueItems(_ name: String, state: String? = nil, limit: Int? = nil) throws -> QueueItems {
        let states = ["pending", "claimed", "waiting", "disagreement", "decided"]
        if let state, !states.contains(state) {
            throw WinnowError.invalidArgument("--state \(state): choose \(states.joined(separator: ", "))")
        }
        return try pool.read { db in
            let (queue, overlap) = try Store.queueID(db, name)
            let now = Timestamp.string(Date())
            var flags: [Int64: [QueueItemInfo.Flag]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT f.sample_id, f.detector, f.score, f.status FROM flags f
                WHERE f.sample_id IN (SELECT sample_id FROM queue_items WHERE queue_id = ?) ORDER BY f.score DESC, f.detector
                """, arguments: [queue]) {
                flags[row["sample_id"], default: []].append(.init(detector: row["detector"], score: row["score"], status: row["status"]))
            }
            var decisions: [Int64: [QueueItemInfo.Decision]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT d.id, d.item_id, d.reviewer, d.action, d.label, d.bulk_id FROM decisions d
                JOIN queue_items qi ON qi.id = d.item_id WHERE qi.queue_id = ? AND d.undone_at IS NULL ORDER BY d.id
                """, arguments: [queue]) {
                decisions[row["item_id"], default: []].append(.init(decision: row["id"], reviewer: row["reviewer"], action: row["action"],
                                                                    label: row["label"], bulk: row["bulk_id"]))
            }
            var items: [QueueItemInfo] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT qi.id, qi.sample_id, qi.resolved_at, s.uid, s.status, r.label,
                       (SELECT d.action FROM decisions d WHERE d.id = qi.resolution_id) AS resolution,
                       EXISTS (SELECT 1 FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?) AS claimed
                FROM queue_items qi JOIN samples s ON s.id = qi.sample_id JOIN revisions r ON r.id = s.revision_id
                WHERE qi.queue_id = ? ORDER BY qi.position
                """, arguments: [now, queue]) {
                let id: Int64 = row["id"]
                let live = decisions[id] ?? []
                let verdicts = live.filter { $0.action != DecisionAction.skip.rawValue }.count
                let itemState: String
                if row["resolved_at"] as String? != nil { itemState = "decided" }
                else if verdicts >= overlap { itemState = "disagreement" }
                else if row["claimed"] as Bool { itemState = "claimed" }
                else if verdicts > 0 { itemState = "waiting" }
                else { itemState = "pending" }
                if let state, state != itemState { continue }
                items.append(QueueItemInfo(item: id, uid: row["uid"], label: row["label"], status: row["status"], state: itemState,
                                           resolution: row["resolution"], flags: flags[row["sample_id"]] ?? [], decisions: live))
            }
            let count = items.count
            if let limit { items = Array(items.prefix(max(0, limit))) }
            return QueueItems(queue: name, count: count, items: items)
        }
    }
}
