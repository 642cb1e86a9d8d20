import Foundation
import GRDB

/// A reviewer's verdict on one item.
public enum DecisionAction: String, CaseIterable, Codable, Sendable {
    case keep, drop, relabel, edit, skip
}

/// `review next --json`: the claimed item (SPEC section 11).
public struct ReviewItem: Codable, Sendable {
    public struct Flag: Codable, Sendable {
        public var detector: String
        public var score: Double
        public var reason: String
        /// The detector's details, as a JSON object (not a string holding JSON).
        public var details: JSONValue
        /// A decision on this item confirms or dismisses this flag (its detector is one the
        /// queue was made from, or the queue is not detector-based).
        public var underReview: Bool
        /// For a duplicate flag (near-duplicate, exact-duplicate, label-conflict): the sample it
        /// duplicates, to compare side by side.
        @NullEncodable public var representative: Representative?

        enum CodingKeys: String, CodingKey {
            case detector, score, reason, details, representative
            case underReview = "under_review"
        }
    }
    /// The sample a duplicate flag names, as it is now.
    public struct Representative: Codable, Sendable {
        public var uid: String
        @NullEncodable public var label: String?
        public var status: String
        /// All its text (`SampleContent.plainText`).
        public var text: String
    }
    public var id: Int64
    public var uid: String
    public var kind: String
    public var content: [String: String]
    @NullEncodable public var label: String?
    public var scenes: [String: String]
    public var flags: [Flag]
    public var leaseExpiresAt: String
    /// Position in the queue: decided items and the queue's size (for a progress line).
    public var decided: Int
    public var items: Int
    /// All its text (`SampleContent.plainText`), for a word diff against a representative;
    /// not part of `review next --json`, whose `content` has the fields.
    public var text: String = ""

    enum CodingKeys: String, CodingKey {
        case id, uid, kind, content, label, scenes, flags, decided, items
        case leaseExpiresAt = "lease_expires_at"
    }
}

/// What `review decide` did.
public struct DecisionOutcome: Codable, Sendable {
    public var decision: Int64
    public var item: Int64
    public var uid: String
    public var action: String
    /// `applied` (the effect is in the store), `waiting` (more reviewers needed),
    /// `disagreement` (needs an adjudicator), `released` (skip), `duplicate` (already recorded).
    public var state: String
}

/// One decision to apply, from `review decide` or a line of `review apply`.
public struct DecisionRequest: Sendable {
    public var item: Int64
    public var reviewer: String
    public var action: DecisionAction
    public var label: String?
    /// edit: the new text (text kind), or a JSON object of the kind's fields.
    public var text: String?
    public var note: String?
    public var adjudicate = false
    /// Confirm or dismiss every open flag of the sample, not only those of the detectors the
    /// queue was made from (`--all-flags`).
    public var allFlags = false
    /// The bulk decision this one is part of.
    var bulk: Int64?
    /// The detectors whose flags it acts on, when not the queue's (a bulk decision's `--flag`).
    var scope: [String]?
    public init(item: Int64, reviewer: String, action: DecisionAction) {
        self.item = item
        self.reviewer = reviewer
        self.action = action
    }
}

extension Store {
    /// Claims the next item of `queue` for `reviewer` with a lease; the same item again while
    /// the reviewer's lease on it runs. nil when nothing is left for this reviewer.
    public func nextItem(queue name: String, reviewer: String, leaseSeconds: Double = 600) throws -> ReviewItem? {
        let reviewer = try Names.valid(reviewer, .reviewer)
        return try writeImmediate { db in
            let (queue, overlap) = try Store.queueID(db, name)
            let now = clock.now()
            let nowText = Timestamp.string(now)
            let expires = Timestamp.string(now.addingTimeInterval(leaseSeconds))
            // The reviewer's own lease first. CROSS JOIN keeps SQLite from walking the queue in
            // position order and probing the leases per item (0.2 s at 1M items): leases are few.
            var itemID = try Int64.fetchOne(
                db,
                sql: """
                    SELECT qi.id FROM leases l CROSS JOIN queue_items qi ON qi.id = l.item_id
                    WHERE qi.queue_id = ? AND l.reviewer = ? AND l.expires_at > ? AND qi.resolved_at IS NULL
                    ORDER BY qi.position LIMIT 1
                    """, arguments: [queue, reviewer, nowText])
            if itemID == nil {
                itemID = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT qi.id FROM queue_items qi
                        WHERE qi.queue_id = ? AND qi.resolved_at IS NULL
                          AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = qi.id AND d.reviewer = ? AND d.undone_at IS NULL)
                          AND (SELECT count(*) FROM decisions d WHERE d.item_id = qi.id AND d.undone_at IS NULL AND d.action <> ?)
                            + (SELECT count(*) FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ? AND l.reviewer <> ?) < ?
                        ORDER BY qi.position LIMIT 1
                        """, arguments: [queue, reviewer, DecisionAction.skip, nowText, reviewer, overlap])
            }
            guard let itemID else { return nil }
            try LeaseRecord(itemId: itemID, reviewer: reviewer, expiresAt: expires).insert(db, onConflict: .replace)
            return try Store.reviewItem(db, itemID: itemID, queue: queue, expires: expires)
        }
    }

    static func reviewItem(_ db: Database, itemID: Int64, queue: Int64, expires: String) throws -> ReviewItem? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.id AS sample, s.uid, s.kind, r.label, \(ContentColumns.selectList()),
                           (SELECT json_group_object(a.dimension, a.category) FROM scene_annotations a WHERE a.sample_id = s.id AND a.replaced_by IS NULL) AS scenes
                    FROM queue_items qi JOIN samples s ON s.id = qi.sample_id \(CurrentRevision.joinWithContent) WHERE qi.id = ?
                    """, arguments: [itemID])
        else { return nil }
        let content = try ContentColumns.fields(row)
        let queueDetectors = QueueSelection.detectors(fromJSON: try QueueRecord.fetchOne(db, key: queue)?.selection)
        let flags = try FlagRecord.fetchAll(
            db,
            sql: """
                SELECT * FROM flags WHERE sample_id = ? AND status = ? ORDER BY score DESC, detector
                """, arguments: [try row.value("sample", as: Int64.self), FlagStatus.open]
        ).map { flag in
            let details = JSONValue(parsing: flag.details)
            return ReviewItem.Flag(
                detector: flag.detector, score: flag.score, reason: flag.reason, details: details,
                underReview: queueDetectors.isEmpty || queueDetectors.contains(flag.detector),
                representative: try representative(db, details: details))
        }
        // Both counts from indexes (queue_items_by_position, the partial queue_items_open), not
        // a read of every item's row.
        let items = try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items WHERE queue_id = ?", arguments: [queue]) ?? 0
        let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items WHERE queue_id = ? AND resolved_at IS NULL", arguments: [queue]) ?? 0
        let decided = items - open
        return ReviewItem(
            id: itemID, uid: try row.value("uid"), kind: try row.value("kind"), content: content, label: try row.value("label"),
            scenes: Store.decodeStringMap(try row.value("scenes")), flags: flags, leaseExpiresAt: expires,
            decided: decided, items: items, text: try ContentColumns.content(row).plainText)
    }

    /// The sample a duplicate flag's details name (`representative` of a near-duplicate cluster,
    /// `duplicate_of` of an exact duplicate or a label conflict), when it is in the store.
    static func representative(_ db: Database, details: JSONValue) throws -> ReviewItem.Representative? {
        guard case .object(let fields) = details else { return nil }
        guard case .string(let uid)? = fields["representative"] ?? fields["duplicate_of"] else { return nil }
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.uid, s.status, r.label, \(ContentColumns.selectList())
                    FROM samples s \(CurrentRevision.joinWithContent) WHERE s.uid = ?
                    """, arguments: [uid])
        else { return nil }
        return ReviewItem.Representative(
            uid: try row.value("uid"), label: try row.value("label"), status: try row.value("status"),
            text: try ContentColumns.content(row).plainText)
    }

    /// Records a decision and, once the item's decisions agree (or an adjudicator decides),
    /// applies its effect: keep dismisses the open flags under review (those of the queue's
    /// detectors, or all with `allFlags` or in a queue not made from detectors), drop marks the sample dropped, relabel
    /// and edit append a revision (and confirm the flags), skip releases the item.
    public func decide(_ request: DecisionRequest) throws -> DecisionOutcome {
        var request = request
        request.reviewer = try Names.valid(request.reviewer, .reviewer)
        return try writeImmediate { db in
            let outcome = try Store.decide(db, request, now: clock.now())
            Faults.point("decision") // before the commit: the decision must vanish whole
            return outcome
        }
    }

    /// Refuses a request whose label or text cannot be used.
    static func validate(_ db: Database, _ request: DecisionRequest, kind: String) throws {
        switch request.action {
        case .relabel:
            guard let label = request.label, !label.isEmpty else {
                throw WinnowError.invalidArgument("relabel needs --label LABEL")
            }
            // Checked for every decision (twice per item of a bulk one): no full read of the labels.
            guard try Store.isKnownLabel(db, label, kind: kind) else {
                let known = try Store.knownLabels(db, kind: kind)
                throw WinnowError.invalidArgument(
                    "unknown label '\(label)'; labels of \(kind) samples: \(known.joined(separator: ", ")) (a new label must first be listed in the taxonomy's labels)")
            }
        case .edit:
            guard let text = request.text else { throw WinnowError.invalidArgument("edit needs --text TEXT or --text-file FILE") }
            _ = try editedContent(text, kind: kind)
        default:
            if request.label != nil { throw WinnowError.invalidArgument("--label goes with --action relabel") }
            if request.text != nil { throw WinnowError.invalidArgument("--text goes with --action edit") }
        }
    }

    /// The content an edit gives: the text itself for text samples, else a JSON object with the kind's fields.
    static func editedContent(_ text: String, kind: String) throws -> SampleContent {
        if kind == SampleKind.text.rawValue { return .text(text) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw WinnowError.invalidArgument("an edit of a \(kind) sample is a JSON object of its fields (for example {\"text_a\": …, \"text_b\": …})")
        }
        let mapping = try FieldMapping.resolve(fields: object.keys.sorted(), kind: SampleKind(rawValue: kind), overrides: [:])
        do {
            return try RecordBuilder(mapping: mapping).build(object, line: 0).content
        } catch {
            throw WinnowError.invalidArgument("the edit is not a valid \(kind) sample: \(error.reason)")
        }
    }

    /// Reverts `reviewer`'s last decision and its effect. If the item's effect was applied,
    /// it is reverted too and the item opens again for the decisions it still needs. A
    /// decision that is part of a bulk decision is undone with the whole bulk (`undoBulk`).
    public func undo(reviewer: String) throws -> DecisionOutcome {
        try writeImmediate { db in
            guard
                let d = try LiveDecision.fetchOne(
                    db,
                    sql: LiveDecision.select + """
                         WHERE d.reviewer = ? AND d.undone_at IS NULL ORDER BY d.id DESC LIMIT 1
                        """, arguments: [reviewer])
            else {
                throw WinnowError.invalidArgument("\(reviewer) has no decision to undo")
            }
            if let bulk = d.bulkId {
                let count = try DecisionRecord.filter(DecisionRecord.Columns.bulkId == bulk && DecisionRecord.Columns.undoneAt == nil)
                    .fetchCount(db)
                throw WinnowError.invalidArgument(
                    "\(reviewer)'s last decision (\(d.action.rawValue) of \(d.uid)) is part of bulk decision \(bulk), \(count) decisions; undo them as one with `winnow review undo --bulk \(bulk)`; nothing was undone"
                )
            }
            return try Store.undoDecision(db, d, now: Timestamp.string(clock.now()))
        }
    }

    /// A live decision as undo reads it: the decision, its item, and its sample's uid.
    struct LiveDecision: Decodable, FetchableRecord {
        var id: Int64
        var itemId: Int64?
        var action: DecisionAction
        var reviewer: String
        var bulkId: Int64?
        var uid: String

        enum CodingKeys: String, CodingKey {
            case id, action, reviewer, uid
            case itemId = "item_id"
            case bulkId = "bulk_id"
        }

        /// The SELECT (without its WHERE) that reads them.
        static let select = """
            SELECT d.id, d.item_id, d.action, d.reviewer, d.bulk_id, s.uid FROM decisions d JOIN samples s ON s.id = d.sample_id
            """
    }

    /// Undoes one live decision: reverts the item's applied effect, if any, reopens the item,
    /// and marks the decision undone.
    static func undoDecision(_ db: Database, _ d: LiveDecision, now: String) throws -> DecisionOutcome {
        if let itemID = d.itemId,
            let resolution = try Int64.fetchOne(db, sql: "SELECT resolution_id FROM queue_items WHERE id = ? AND resolved_at IS NOT NULL", arguments: [itemID])
        {
            try Store.checkRevertible(db, decision: resolution, undoing: d)
            try Store.revertEffect(db, decision: resolution, now: now)
            try db.execute(sql: "UPDATE queue_items SET resolved_at = NULL, resolution_id = NULL WHERE id = ?", arguments: [itemID])
        }
        try db.execute(sql: "UPDATE decisions SET undone_at = ? WHERE id = ?", arguments: [now, d.id])
        return DecisionOutcome(decision: d.id, item: d.itemId ?? 0, uid: d.uid, action: d.action.rawValue, state: DecisionState.undone.rawValue)
    }

    /// A decision as a refusal names it, with its queue.
    struct LaterDecision: Decodable, FetchableRecord {
        var id: Int64
        var reviewer: String
        var action: DecisionAction
        var label: String?
        var createdAt: String
        var queue: String?

        enum CodingKeys: String, CodingKey {
            case id, reviewer, action, label, queue
            case createdAt = "created_at"
        }

        static func fetch(_ db: Database, _ id: Int64) throws -> LaterDecision? {
            try fetchOne(
                db,
                sql: """
                    SELECT d.id, d.reviewer, d.action, d.label, d.created_at, q.name AS queue FROM decisions d
                    LEFT JOIN queue_items qi ON qi.id = d.item_id LEFT JOIN queues q ON q.id = qi.queue_id WHERE d.id = ?
                    """, arguments: [id])
        }

        /// "bob's relabel to 'negative' at TIME (queue q2, decision 7)".
        var description: String {
            let to = label.map { " to '\($0)'" } ?? ""
            let inQueue = queue.map { "queue \($0), " } ?? ""
            return "\(reviewer)'s \(action.rawValue)\(to) at \(createdAt) (\(inQueue)decision \(id))"
        }
    }

    /// Refuses to revert an applied decision's effect once the sample has moved on: a later
    /// live drop, relabel or edit of it (from any queue), or a revision or status that is no
    /// longer the one the decision made. The refusal names the later change.
    static func checkRevertible(_ db: Database, decision: Int64, undoing: LiveDecision) throws {
        guard let d = try DecisionRecord.fetchOne(db, key: decision), d.applied,
            let sample = try SampleRecord.fetchOne(db, key: d.sampleId)
        else { return }
        let what = "cannot undo \(undoing.reviewer)'s \(undoing.action.rawValue) of \(undoing.uid) (decision \(undoing.id))"
        let refuse = { (later: String, undoFirst: String?) -> WinnowError in
            .invalidArgument(
                "\(what): \(later); nothing was undone — \(undoFirst.map { "undo that first (`winnow review undo --reviewer \($0)` undoes their last decision), or " } ?? "")review the sample again with a new decision"
            )
        }
        let changing: [DecisionAction] = [.drop, .relabel, .edit]
        if let laterID = try Int64.fetchOne(
            db,
            sql: """
                SELECT id FROM decisions WHERE sample_id = ? AND id > ? AND applied = 1 AND undone_at IS NULL
                  AND action IN (?, ?, ?) ORDER BY id DESC LIMIT 1
                """, arguments: StatementArguments([d.sampleId, decision]) + StatementArguments(changing)),
            let later = try LaterDecision.fetch(db, laterID)
        {
            throw refuse(later.description + " changed it since", later.reviewer)
        }
        switch d.action {
        case .relabel, .edit:
            let made = try RevisionRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM revisions WHERE decision_id = ? AND origin IN (?, ?) ORDER BY id DESC LIMIT 1
                    """, arguments: [decision, RevisionOrigin.relabel, RevisionOrigin.edit])
            guard let made, let current = try RevisionRecord.fetchOne(db, key: sample.revisionId) else { return }
            if current.contentId == made.contentId, current.label == made.label, current.score == made.score { return }
            if let by = current.decisionId, by != decision, let later = try LaterDecision.fetch(db, by) {
                throw refuse((current.origin == .undo ? "the undo of " : "") + later.description + " changed it since", nil)
            }
            throw refuse("a revision by \(current.origin.rawValue) at \(current.createdAt) changed it since", nil)
        case .drop:
            if sample.status != .dropped { throw refuse("the sample is \(sample.status.rawValue) now, no longer dropped", nil) }
        default:
            break
        }
    }

    /// Reverts an applied decision's effect: its flags open again, a drop's sample takes its
    /// status back, a relabel or edit is followed by a revision equal to the one before it.
    static func revertEffect(_ db: Database, decision: Int64, now: String) throws {
        guard let d = try DecisionRecord.fetchOne(db, key: decision), d.applied else { return }
        try db.execute(
            sql: "UPDATE flags SET status = ?, reviewed_at = NULL, decision_id = NULL WHERE decision_id = ?",
            arguments: [FlagStatus.open, decision])
        switch d.action {
        case .drop:
            try db.execute(sql: "UPDATE samples SET status = ? WHERE id = ?", arguments: [d.previousStatus ?? .active, d.sampleId])
        case .relabel, .edit:
            if let previous = d.previousRevisionId, let old = try RevisionRecord.fetchOne(db, key: previous) {
                // Append-only: the undo is a new revision equal to the old one.
                try appendRevision(
                    db, sampleID: d.sampleId, contentID: old.contentId, label: old.label, score: old.score,
                    origin: RevisionOrigin.undo, decision: decision, now: now)
            }
        default:
            break
        }
        try db.execute(sql: "UPDATE decisions SET applied = 0 WHERE id = ?", arguments: [decision])
    }
}

extension Store {
    /// Gives up a reviewer's lease on an item (quitting the interactive review).
    public func release(item: Int64, reviewer: String) throws {
        _ = try release(item: item, reviewer: reviewer, expiringAt: nil)
    }

    /// Releases `reviewer`'s lease on `item` only when it still expires at `expiresAt` (nil:
    /// whatever it is): a page that was reloaded or opened twice claimed the item again with a
    /// new expiry, which a late release from the old page must not undo. Whether one was released.
    public func release(item: Int64, reviewer: String, expiringAt expiresAt: String?) throws -> Bool {
        try write { db in
            var lease = LeaseRecord.filter(LeaseRecord.Columns.itemId == item && LeaseRecord.Columns.reviewer == reviewer)
            if let expiresAt { lease = lease.filter(LeaseRecord.Columns.expiresAt == expiresAt) }
            return try lease.deleteAll(db) > 0
        }
    }

    /// The labels a sample of this kind may take: the taxonomy's order, then the others by name.
    public func labels(kind: String) throws -> [String] {
        try read { db in try Store.knownLabels(db, kind: kind) }
    }
}
