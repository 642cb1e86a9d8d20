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
            let now = Date()
            let nowText = Timestamp.string(now)
            let expires = Timestamp.string(now.addingTimeInterval(leaseSeconds))
            var itemID = try Int64.fetchOne(db, sql: """
                SELECT qi.id FROM leases l JOIN queue_items qi ON qi.id = l.item_id
                WHERE qi.queue_id = ? AND l.reviewer = ? AND l.expires_at > ? AND qi.resolved_at IS NULL
                ORDER BY qi.position LIMIT 1
                """, arguments: [queue, reviewer, nowText])
            if itemID == nil {
                itemID = try Int64.fetchOne(db, sql: """
                    SELECT qi.id FROM queue_items qi
                    WHERE qi.queue_id = ? AND qi.resolved_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = qi.id AND d.reviewer = ? AND d.undone_at IS NULL)
                      AND (SELECT count(*) FROM decisions d WHERE d.item_id = qi.id AND d.undone_at IS NULL AND d.action <> 'skip')
                        + (SELECT count(*) FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ? AND l.reviewer <> ?) < ?
                    ORDER BY qi.position LIMIT 1
                    """, arguments: [queue, reviewer, nowText, reviewer, overlap])
            }
            guard let itemID else { return nil }
            try db.execute(sql: "INSERT OR REPLACE INTO leases (item_id, reviewer, expires_at) VALUES (?, ?, ?)",
                           arguments: [itemID, reviewer, expires])
            return try Store.reviewItem(db, itemID: itemID, queue: queue, expires: expires)
        }
    }

    static func reviewItem(_ db: Database, itemID: Int64, queue: Int64, expires: String) throws -> ReviewItem? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT s.id AS sample, s.uid, s.kind, r.label, \(ContentColumns.selectList()),
                   (SELECT json_group_object(a.dimension, a.category) FROM scene_annotations a WHERE a.sample_id = s.id AND a.replaced_by IS NULL) AS scenes
            FROM queue_items qi JOIN samples s ON s.id = qi.sample_id JOIN revisions r ON r.id = s.revision_id
            JOIN contents c ON c.id = r.content_id WHERE qi.id = ?
            """, arguments: [itemID]) else { return nil }
        let content = try ContentColumns.fields(row)
        let queueDetectors = QueueSelection.detectors(fromJSON: try String.fetchOne(db, sql: "SELECT selection FROM queues WHERE id = ?", arguments: [queue]))
        let flags = try Row.fetchAll(db, sql: """
            SELECT detector, score, reason, details FROM flags WHERE sample_id = ? AND status = 'open' ORDER BY score DESC, detector
            """, arguments: [row["sample"] as Int64]).map { flag in
            let detector: String = flag["detector"]
            let details = JSONValue(parsing: flag["details"])
            return ReviewItem.Flag(detector: detector, score: flag["score"], reason: flag["reason"], details: details,
                                   underReview: queueDetectors.isEmpty || queueDetectors.contains(detector),
                                   representative: try representative(db, details: details))
        }
        let items = try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items WHERE queue_id = ?", arguments: [queue]) ?? 0
        let decided = try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_items WHERE queue_id = ? AND resolved_at IS NOT NULL", arguments: [queue]) ?? 0
        return ReviewItem(id: itemID, uid: row["uid"], kind: row["kind"], content: content, label: row["label"],
                          scenes: Store.decodeStringMap(row["scenes"]), flags: flags, leaseExpiresAt: expires,
                          decided: decided, items: items)
    }

    /// The sample a duplicate flag's details name (`representative` of a near-duplicate cluster,
    /// `duplicate_of` of an exact duplicate or a label conflict), when it is in the store.
    static func representative(_ db: Database, details: JSONValue) throws -> ReviewItem.Representative? {
        guard case .object(let fields) = details else { return nil }
        guard case .string(let uid)? = fields["representative"] ?? fields["duplicate_of"] else { return nil }
        guard let row = try Row.fetchOne(db, sql: """
            SELECT s.uid, s.status, r.label, \(ContentColumns.selectList())
            FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN contents c ON c.id = r.content_id WHERE s.uid = ?
            """, arguments: [uid]) else { return nil }
        return ReviewItem.Representative(uid: row["uid"], label: row["label"], status: row["status"], text: try ContentColumns.content(row).plainText)
    }

    /// Records a decision and, once the item's decisions agree (or an adjudicator decides),
    /// applies its effect: keep dismisses the open flags under review (those of the queue's
    /// detectors, or all with `allFlags` or in a queue not made from detectors), drop marks the sample dropped, relabel
    /// and edit append a revision (and confirm the flags), skip releases the item.
    public func decide(_ request: DecisionRequest) throws -> DecisionOutcome {
        var request = request
        request.reviewer = try Names.valid(request.reviewer, .reviewer)
        return try writeImmediate { db in
            let outcome = try Store.decide(db, request, now: Date())
            Faults.point("decision")   // before the commit: the decision must vanish whole
            return outcome
        }
    }

    static func decide(_ db: Database, _ request: DecisionRequest, now: Date) throws -> DecisionOutcome {
        let nowText = Timestamp.string(now)
        guard let item = try Row.fetchOne(db, sql: """
            SELECT qi.id, qi.sample_id, qi.resolved_at, q.overlap, q.name, q.selection, s.uid, s.kind FROM queue_items qi
            JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE qi.id = ?
            """, arguments: [request.item]) else {
            throw WinnowError.invalidArgument("no queue item \(request.item); `winnow review next QUEUE --reviewer NAME` hands out item ids")
        }
        let sampleID: Int64 = item["sample_id"]
        let uid: String = item["uid"]
        let overlap: Int = item["overlap"]
        try Store.validate(db, request, kind: item["kind"])

        // A repeated submission of the same verdict is the same decision (a retry, a double-click).
        if let mine = try Row.fetchOne(db, sql: """
            SELECT id, action, label, text FROM decisions WHERE item_id = ? AND reviewer = ? AND undone_at IS NULL
            """, arguments: [request.item, request.reviewer]) {
            if mine["action"] as String == request.action.rawValue, mine["label"] as String? == request.label,
               mine["text"] as String? == request.text {
                return DecisionOutcome(decision: mine["id"], item: request.item, uid: uid, action: request.action.rawValue, state: "duplicate")
            }
            throw WinnowError.invalidArgument("\(request.reviewer) already decided item \(request.item) (\(mine["action"] as String)); undo it first with `winnow review undo --reviewer \(request.reviewer)`")
        }
        if item["resolved_at"] as String? != nil {
            // A reviewer whose lease ran out while someone else decided the item lost it.
            if let holder = try Row.fetchOne(db, sql: """
                SELECT l.expires_at, (SELECT d.reviewer FROM decisions d WHERE d.item_id = l.item_id AND d.undone_at IS NULL
                                      ORDER BY d.id DESC LIMIT 1) AS decider
                FROM leases l WHERE l.item_id = ? AND l.reviewer = ? AND l.expires_at <= ?
                """, arguments: [request.item, request.reviewer, nowText]), let decider = holder["decider"] as String? {
                throw WinnowError.invalidArgument("lease lost: your lease on item \(request.item) expired at \(holder["expires_at"] as String) and \(decider) decided it; nothing was recorded — take the next item with `winnow review next`")
            }
            throw WinnowError.invalidArgument("item \(request.item) (\(uid)) is already decided; undo that decision first to change it")
        }
        let live = try Row.fetchAll(db, sql: """
            SELECT id, action, label, text FROM decisions WHERE item_id = ? AND undone_at IS NULL AND action <> 'skip' ORDER BY id
            """, arguments: [request.item])
        if !request.adjudicate {
            if live.count >= overlap {
                throw WinnowError.invalidArgument("item \(request.item) (\(uid)) has its \(overlap) decisions and they disagree; an adjudicator settles it with `winnow review decide \(request.item) --reviewer NAME --action … --adjudicate`")
            }
            // Another reviewer's live lease keeps the item theirs while it would fill the overlap.
            let others = try Row.fetchAll(db, sql: """
                SELECT reviewer, expires_at FROM leases WHERE item_id = ? AND reviewer <> ? AND expires_at > ?
                """, arguments: [request.item, request.reviewer, nowText])
            let mineActive = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM leases WHERE item_id = ? AND reviewer = ? AND expires_at > ?)",
                                               arguments: [request.item, request.reviewer, nowText]) ?? false
            if !mineActive, live.count + others.count >= overlap, let holder = others.first {
                let hadLease = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM leases WHERE item_id = ? AND reviewer = ?)",
                                                 arguments: [request.item, request.reviewer]) ?? false
                if hadLease {
                    throw WinnowError.invalidArgument("lease lost: your lease on item \(request.item) expired and \(holder["reviewer"] as String) has it now; nothing was recorded — take the next item with `winnow review next`")
                }
                throw WinnowError.invalidArgument("item \(request.item) is leased to \(holder["reviewer"] as String) until \(holder["expires_at"] as String); take another with `winnow review next`")
            }
        }
        try db.execute(sql: """
            INSERT INTO decisions (item_id, sample_id, reviewer, action, label, text, note, created_at, adjudication, all_flags, bulk_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [request.item, sampleID, request.reviewer, request.action.rawValue, request.label, request.text,
                             request.note, nowText, request.adjudicate, request.allFlags, request.bulk])
        let decisionID = db.lastInsertedRowID
        try db.execute(sql: "DELETE FROM leases WHERE item_id = ? AND reviewer = ?", arguments: [request.item, request.reviewer])
        var outcome = DecisionOutcome(decision: decisionID, item: request.item, uid: uid, action: request.action.rawValue, state: "released")
        if request.action == .skip { return outcome }
        let verdicts = live.map { "\($0["action"] as String)\u{1F}\($0["label"] as String? ?? "")\u{1F}\($0["text"] as String? ?? "")" }
            + ["\(request.action.rawValue)\u{1F}\(request.label ?? "")\u{1F}\(request.text ?? "")"]
        if request.adjudicate || (verdicts.count >= overlap && Set(verdicts).count == 1) {
            let detectors = request.allFlags ? [] : (request.scope ?? QueueSelection.detectors(fromJSON: item["selection"]))
            try applyEffect(db, decision: decisionID, sampleID: sampleID, request: request, detectors: detectors, now: nowText)
            try db.execute(sql: "UPDATE queue_items SET resolved_at = ?, resolution_id = ? WHERE id = ?",
                           arguments: [nowText, decisionID, request.item])
            outcome.state = "applied"
        } else {
            outcome.state = verdicts.count >= overlap ? "disagreement" : "waiting"
        }
        return outcome
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
                throw WinnowError.invalidArgument("unknown label '\(label)'; labels of \(kind) samples: \(known.joined(separator: ", ")) (a new label must first be listed in the taxonomy's labels)")
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
        if kind == "text" { return .text(text) }
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

    /// Puts a decision's effect into the store and records what it replaced, for undo. It
    /// confirms (dismisses, for keep) the sample's open flags of `detectors`, the flags under
    /// review — all of its open flags when `detectors` is empty; the others stay open. The
    /// flags it changed carry its id, which is how undo finds exactly them.
    static func applyEffect(_ db: Database, decision: Int64, sampleID: Int64, request: DecisionRequest, detectors: [String],
                            now: String) throws {
        let flagStatus = request.action == .keep ? "dismissed" : "confirmed"
        let scope = FlagSelection(detectors: detectors).condition("flags")
        var arguments: StatementArguments = [flagStatus, now, decision, sampleID]
        arguments += scope.arguments
        try db.execute(sql: """
            UPDATE flags SET status = ?, reviewed_at = ?, decision_id = ? WHERE sample_id = ? AND status = 'open' AND \(scope.sql)
            """, arguments: arguments)
        guard let current = try Row.fetchOne(db, sql: """
            SELECT s.status, s.revision_id, r.content_id, r.label, r.score FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.id = ?
            """, arguments: [sampleID]) else { return }
        switch request.action {
        case .drop:
            try db.execute(sql: "UPDATE samples SET status = 'dropped' WHERE id = ?", arguments: [sampleID])
            try db.execute(sql: "UPDATE decisions SET previous_status = ? WHERE id = ?", arguments: [current["status"] as String, decision])
        case .relabel:
            try appendRevision(db, sampleID: sampleID, contentID: current["content_id"], label: request.label, score: current["score"],
                               origin: "relabel", decision: decision, now: now)
            try db.execute(sql: "UPDATE decisions SET previous_revision_id = ? WHERE id = ?", arguments: [current["revision_id"] as Int64, decision])
        case .edit:
            guard let text = request.text else { return }
            let kind = try String.fetchOne(db, sql: "SELECT kind FROM samples WHERE id = ?", arguments: [sampleID]) ?? "text"
            let content = try editedContent(text, kind: kind)
            let hash = ContentHash.of(content)
            if let other = try String.fetchOne(db, sql: "SELECT s.uid FROM contents c JOIN samples s ON s.id = c.sample_id WHERE c.hash = ?",
                                               arguments: [Data(hash)]) {
                throw WinnowError.invalidArgument("the edited content is already in the store as \(other); drop this sample instead of making it a duplicate")
            }
            try db.execute(sql: """
                INSERT INTO contents (sample_id, hash, \(ContentColumns.selectList(""))) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments([sampleID, Data(hash)] as [(any DatabaseValueConvertible)?] + ContentColumns.values(content)))
            try appendRevision(db, sampleID: sampleID, contentID: db.lastInsertedRowID, label: current["label"], score: current["score"],
                               origin: "edit", decision: decision, now: now)
            try db.execute(sql: "UPDATE decisions SET previous_revision_id = ? WHERE id = ?", arguments: [current["revision_id"] as Int64, decision])
        case .keep, .skip:
            break
        }
        try db.execute(sql: "UPDATE decisions SET applied = 1 WHERE id = ?", arguments: [decision])
    }

    static func appendRevision(_ db: Database, sampleID: Int64, contentID: Int64, label: String?, score: Double?, origin: String,
                               decision: Int64?, now: String) throws {
        try db.execute(sql: """
            INSERT INTO revisions (sample_id, content_id, label, score, origin, decision_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [sampleID, contentID, label, score, origin, decision, now])
        try db.execute(sql: "UPDATE samples SET revision_id = ? WHERE id = ?", arguments: [db.lastInsertedRowID, sampleID])
    }

    /// Reverts `reviewer`'s last decision and its effect. If the item's effect was applied,
    /// it is reverted too and the item opens again for the decisions it still needs. A
    /// decision that is part of a bulk decision is undone with the whole bulk (`undoBulk`).
    public func undo(reviewer: String) throws -> DecisionOutcome {
        try writeImmediate { db in
            guard let d = try Row.fetchOne(db, sql: """
                SELECT d.id, d.item_id, d.action, d.reviewer, d.bulk_id, s.uid FROM decisions d JOIN samples s ON s.id = d.sample_id
                WHERE d.reviewer = ? AND d.undone_at IS NULL ORDER BY d.id DESC LIMIT 1
                """, arguments: [reviewer]) else {
                throw WinnowError.invalidArgument("\(reviewer) has no decision to undo")
            }
            if let bulk: Int64 = d["bulk_id"] {
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions WHERE bulk_id = ? AND undone_at IS NULL", arguments: [bulk]) ?? 0
                throw WinnowError.invalidArgument("\(reviewer)'s last decision (\(d["action"] as String) of \(d["uid"] as String)) is part of bulk decision \(bulk), \(count) decisions; undo them as one with `winnow review undo --bulk \(bulk)`; nothing was undone")
            }
            return try Store.undoDecision(db, d, now: Timestamp.string(Date()))
        }
    }

    /// Undoes one live decision (a row with id, item_id, action, reviewer, uid): reverts the
    /// item's applied effect, if any, reopens the item, and marks the decision undone.
    static func undoDecision(_ db: Database, _ d: Row, now: String) throws -> DecisionOutcome {
        let decisionID: Int64 = d["id"]
        if let itemID: Int64 = d["item_id"],
           let resolution = try Int64.fetchOne(db, sql: "SELECT resolution_id FROM queue_items WHERE id = ? AND resolved_at IS NOT NULL", arguments: [itemID]) {
            try Store.checkRevertible(db, decision: resolution, undoing: d)
            try Store.revertEffect(db, decision: resolution, now: now)
            try db.execute(sql: "UPDATE queue_items SET resolved_at = NULL, resolution_id = NULL WHERE id = ?", arguments: [itemID])
        }
        try db.execute(sql: "UPDATE decisions SET undone_at = ? WHERE id = ?", arguments: [now, decisionID])
        return DecisionOutcome(decision: decisionID, item: d["item_id"] ?? 0, uid: d["uid"], action: d["action"], state: "undone")
    }

    /// Refuses to revert an applied decision's effect once the sample has moved on: a later
    /// live drop, relabel or edit of it (from any queue), or a revision or status that is no
    /// longer the one the decision made. The refusal names the later change.
    static func checkRevertible(_ db: Database, decision: Int64, undoing: Row) throws {
        guard let d = try Row.fetchOne(db, sql: """
            SELECT d.sample_id, d.action, d.applied, s.status, s.revision_id FROM decisions d JOIN samples s ON s.id = d.sample_id WHERE d.id = ?
            """, arguments: [decision]), d["applied"] as Bool else { return }
        let sampleID: Int64 = d["sample_id"]
        let what = "cannot undo \(undoing["reviewer"] as String)'s \(undoing["action"] as String) of \(undoing["uid"] as String) (decision \(undoing["id"] as Int64))"
        let refuse = { (later: String, undoFirst: String?) -> WinnowError in
            .invalidArgument("\(what): \(later); nothing was undone — \(undoFirst.map { "undo that first (`winnow review undo --reviewer \($0)` undoes their last decision), or " } ?? "")review the sample again with a new decision")
        }
        let laterSQL = """
            SELECT d.id, d.reviewer, d.action, d.label, d.created_at, q.name AS queue FROM decisions d
            LEFT JOIN queue_items qi ON qi.id = d.item_id LEFT JOIN queues q ON q.id = qi.queue_id WHERE d.id = ?
            """
        if let laterID = try Int64.fetchOne(db, sql: """
            SELECT id FROM decisions WHERE sample_id = ? AND id > ? AND applied = 1 AND undone_at IS NULL
              AND action IN ('drop', 'relabel', 'edit') ORDER BY id DESC LIMIT 1
            """, arguments: [sampleID, decision]), let later = try Row.fetchOne(db, sql: laterSQL, arguments: [laterID]) {
            throw refuse(describe(later) + " changed it since", later["reviewer"])
        }
        switch d["action"] as String {
        case "relabel", "edit":
            let made = try Row.fetchOne(db, sql: """
                SELECT content_id, label, score FROM revisions WHERE decision_id = ? AND origin IN ('relabel', 'edit') ORDER BY id DESC LIMIT 1
                """, arguments: [decision])
            guard let made, let current = try Row.fetchOne(db, sql: """
                SELECT content_id, label, score, origin, created_at, decision_id FROM revisions WHERE id = ?
                """, arguments: [d["revision_id"] as Int64]) else { return }
            if current["content_id"] as Int64 == made["content_id"] as Int64, current["label"] as String? == made["label"] as String?,
               current["score"] as Double? == made["score"] as Double? { return }
            if let by: Int64 = current["decision_id"], by != decision, let later = try Row.fetchOne(db, sql: laterSQL, arguments: [by]) {
                throw refuse((current["origin"] as String == "undo" ? "the undo of " : "") + describe(later) + " changed it since", nil)
            }
            throw refuse("a revision by \(current["origin"] as String) at \(current["created_at"] as String) changed it since", nil)
        case "drop":
            let status: String = d["status"]
            if status != "dropped" { throw refuse("the sample is \(status) now, no longer dropped", nil) }
        default:
            break
        }
    }

    /// "bob's relabel to 'negative' at TIME (queue q2, decision 7)".
    private static func describe(_ decision: Row) -> String {
        let label = (decision["label"] as String?).map { " to '\($0)'" } ?? ""
        let queue = (decision["queue"] as String?).map { "queue \($0), " } ?? ""
        return "\(decision["reviewer"] as String)'s \(decision["action"] as String)\(label) at \(decision["created_at"] as String) (\(queue)decision \(decision["id"] as Int64))"
    }

    static func revertEffect(_ db: Database, decision: Int64, now: String) throws {
        guard let d = try Row.fetchOne(db, sql: """
            SELECT sample_id, action, previous_status, previous_revision_id, applied FROM decisions WHERE id = ?
            """, arguments: [decision]), d["applied"] as Bool else { return }
        let sampleID: Int64 = d["sample_id"]
        try db.execute(sql: "UPDATE flags SET status = 'open', reviewed_at = NULL, decision_id = NULL WHERE decision_id = ?", arguments: [decision])
        switch d["action"] as String {
        case "drop":
            try db.execute(sql: "UPDATE samples SET status = ? WHERE id = ?", arguments: [d["previous_status"] as String? ?? "active", sampleID])
        case "relabel", "edit":
            if let previous: Int64 = d["previous_revision_id"],
               let old = try Row.fetchOne(db, sql: "SELECT content_id, label, score FROM revisions WHERE id = ?", arguments: [previous]) {
                // Append-only: the undo is a new revision equal to the old one.
                try appendRevision(db, sampleID: sampleID, contentID: old["content_id"], label: old["label"], score: old["score"],
                                   origin: "undo", decision: decision, now: now)
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
        try pool.write { db in
            try db.execute(sql: "DELETE FROM leases WHERE item_id = ? AND reviewer = ?", arguments: [item, reviewer])
        }
    }

    /// The labels a sample of this kind may take: the taxonomy's order, then the others by name.
    public func labels(kind: String) throws -> [String] {
        try pool.read { db in try Store.knownLabels(db, kind: kind) }
    }
}
