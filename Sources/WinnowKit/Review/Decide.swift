import Foundation
import GRDB

// `review decide` in named steps: the item and its queue, then
//   lease   — who holds the item: a reviewer whose lease lapsed while another took it lost it;
//   verdict — overlap, agreement, adjudication: whether the decisions so far settle the item;
//   effect  — what a settled decision changes in samples, revisions and flags (`applyEffect`).

/// The queue item a decision is about, with what the steps need of its queue and sample.
struct DecisionTarget {
    var item: Int64
    var sampleID: Int64
    var uid: String
    var kind: String
    var resolved: Bool
    var overlap: Int
    /// The queue's `selection` JSON (its detectors are the flags a decision acts on).
    var selection: String

    /// The item `id`, or `.notFound`.
    static func fetch(_ db: Database, item id: Int64) throws -> DecisionTarget {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT qi.id, qi.sample_id, qi.resolved_at, q.overlap, q.selection, s.uid, s.kind FROM queue_items qi
                    JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE qi.id = ?
                    """, arguments: [id])
        else {
            throw WinnowError.notFound("no queue item \(id); `winnow review next QUEUE --reviewer NAME` hands out item ids")
        }
        return DecisionTarget(
            item: id, sampleID: try row.value("sample_id"), uid: try row.value("uid"), kind: try row.value("kind"),
            resolved: try row.value("resolved_at", as: String?.self) != nil, overlap: try row.value("overlap"),
            selection: try row.value("selection"))
    }
}

/// What a decision says about its item, as agreement compares it: the action with its label
/// and text (a missing label or text counts as empty).
struct Verdict: Hashable {
    var action: String
    var label: String
    var text: String

    init(action: String, label: String?, text: String?) {
        self.action = action
        self.label = label ?? ""
        self.text = text ?? ""
    }

    init(_ decision: DecisionRecord) {
        self.init(action: decision.action.rawValue, label: decision.label, text: decision.text)
    }

    init(_ request: DecisionRequest) {
        self.init(action: request.action.rawValue, label: request.label, text: request.text)
    }
}

/// What a decision did (`DecisionOutcome.state`).
public enum DecisionState: String, CaseIterable, Sendable {
    /// The decisions settle the item: its effect is in the store.
    case applied
    /// Fewer decisions than the queue's overlap: more reviewers needed.
    case waiting
    /// The overlap is reached and the decisions differ: an adjudicator settles it.
    case disagreement
    /// A skip: the item goes back to the queue.
    case released
    /// The same verdict again by the same reviewer: already recorded.
    case duplicate
    /// `review undo` reverted it.
    case undone

    /// Verdict: where an item stands once a (non-skip) decision is added to `earlier`. An
    /// adjudication settles it; otherwise `overlap` decisions that all agree do.
    static func verdict(earlier: [Verdict], adding new: Verdict, overlap: Int, adjudicate: Bool) -> DecisionState {
        let verdicts = earlier + [new]
        if adjudicate || (verdicts.count >= overlap && Set(verdicts).count == 1) { return .applied }
        return verdicts.count >= overlap ? .disagreement : .waiting
    }
}

extension Store {
    static func decide(_ db: Database, _ request: DecisionRequest, now: Date) throws -> DecisionOutcome {
        let nowText = Timestamp.string(now)
        let target = try DecisionTarget.fetch(db, item: request.item)
        try Store.validate(db, request, kind: target.kind)
        if let repeated = try repeatedDecision(db, request, target) { return repeated }
        try checkNotDecided(db, request, target, now: nowText)
        let live = try liveDecisions(db, item: request.item)
        if !request.adjudicate {
            try checkUnsettled(request, target, live: live.count)
            try checkLeaseHolders(db, request, target, filled: live.count, now: nowText)
        }
        let decisionID = try record(db, request, target, now: nowText)
        var outcome = DecisionOutcome(
            decision: decisionID, item: request.item, uid: target.uid, action: request.action.rawValue,
            state: DecisionState.released.rawValue)
        if request.action == .skip { return outcome }
        let state = DecisionState.verdict(
            earlier: live.map(Verdict.init), adding: Verdict(request), overlap: target.overlap,
            adjudicate: request.adjudicate)
        if state == .applied {
            let detectors = request.allFlags ? [] : (request.scope ?? QueueSelection.detectors(fromJSON: target.selection))
            try applyEffect(db, decision: decisionID, sampleID: target.sampleID, request: request, detectors: detectors, now: nowText)
            try db.execute(
                sql: "UPDATE queue_items SET resolved_at = ?, resolution_id = ? WHERE id = ?",
                arguments: [nowText, decisionID, request.item])
        }
        outcome.state = state.rawValue
        return outcome
    }

    /// The reviewer's own live decision on the item: the same verdict again is the same decision
    /// (a retry, a double-click) and is returned as `duplicate`; another one is refused.
    static func repeatedDecision(_ db: Database, _ request: DecisionRequest, _ target: DecisionTarget) throws -> DecisionOutcome? {
        guard
            let mine = try DecisionRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM decisions WHERE item_id = ? AND reviewer = ? AND undone_at IS NULL
                    """, arguments: [request.item, request.reviewer])
        else { return nil }
        if mine.action == request.action, mine.label == request.label, mine.text == request.text {
            return DecisionOutcome(
                decision: mine.id ?? 0, item: request.item, uid: target.uid, action: request.action.rawValue,
                state: DecisionState.duplicate.rawValue)
        }
        throw WinnowError.alreadyExists(
            "\(request.reviewer) already decided item \(request.item) (\(mine.action.rawValue)); undo it first with `winnow review undo --reviewer \(request.reviewer)`")
    }

    // MARK: lease

    /// Lease: refuses a decision on a settled item — as `leaseLost` when the reviewer's lease
    /// ran out and another reviewer decided it meanwhile.
    static func checkNotDecided(_ db: Database, _ request: DecisionRequest, _ target: DecisionTarget, now: String) throws {
        guard target.resolved else { return }
        if let holder = try Row.fetchOne(
            db,
            sql: """
                SELECT l.expires_at, (SELECT d.reviewer FROM decisions d WHERE d.item_id = l.item_id AND d.undone_at IS NULL
                                      ORDER BY d.id DESC LIMIT 1) AS decider
                FROM leases l WHERE l.item_id = ? AND l.reviewer = ? AND l.expires_at <= ?
                """, arguments: [request.item, request.reviewer, now]), let decider = try holder.value("decider", as: String?.self)
        {
            throw WinnowError.leaseLost(
                "lease lost: your lease on item \(request.item) expired at \(try holder.value("expires_at", as: String.self)) and \(decider) decided it; nothing was recorded — take the next item with `winnow review next`"
            )
        }
        throw WinnowError.alreadyExists("item \(request.item) (\(target.uid)) is already decided; undo that decision first to change it")
    }

    /// Lease: another reviewer's live lease keeps the item theirs while it would fill the
    /// overlap. A reviewer who had a lease and let it lapse lost the item (`leaseLost`); one who
    /// never had one is told who holds it, and until when (`alreadyExists`: the item is taken).
    static func checkLeaseHolders(
        _ db: Database, _ request: DecisionRequest, _ target: DecisionTarget, filled: Int,
        now: String
    ) throws {
        let others = try LeaseRecord.fetchAll(
            db,
            sql: """
                SELECT * FROM leases WHERE item_id = ? AND reviewer <> ? AND expires_at > ?
                """, arguments: [request.item, request.reviewer, now])
        let mine = try LeaseRecord.filter(LeaseRecord.Columns.itemId == request.item && LeaseRecord.Columns.reviewer == request.reviewer)
            .fetchOne(db)
        let mineActive = mine.map { $0.expiresAt > now } ?? false
        guard !mineActive, filled + others.count >= target.overlap, let holder = others.first else { return }
        if mine != nil {
            throw WinnowError.leaseLost(
                "lease lost: your lease on item \(request.item) expired and \(holder.reviewer) has it now; nothing was recorded — take the next item with `winnow review next`")
        }
        throw WinnowError.alreadyExists("item \(request.item) is leased to \(holder.reviewer) until \(holder.expiresAt); take another with `winnow review next`")
    }

    // MARK: verdict

    /// The item's live decisions other than skips, oldest first: the verdicts so far.
    static func liveDecisions(_ db: Database, item: Int64) throws -> [DecisionRecord] {
        try DecisionRecord.fetchAll(
            db,
            sql: """
                SELECT * FROM decisions WHERE item_id = ? AND undone_at IS NULL AND action <> ? ORDER BY id
                """, arguments: [item, DecisionAction.skip])
    }

    /// Verdict: an item whose overlap of decisions is reached without settling it waits for an
    /// adjudicator; another reviewer's decision cannot be added.
    static func checkUnsettled(_ request: DecisionRequest, _ target: DecisionTarget, live: Int) throws {
        guard live >= target.overlap else { return }
        throw WinnowError.disagreement(
            "item \(request.item) (\(target.uid)) has its \(target.overlap) decisions and they disagree; an adjudicator settles it with `winnow review decide \(request.item) --reviewer NAME --action … --adjudicate`"
        )
    }

    /// Records the decision and gives up the reviewer's lease on the item; returns its id.
    static func record(_ db: Database, _ request: DecisionRequest, _ target: DecisionTarget, now: String) throws -> Int64 {
        let decision = DecisionRecord(
            id: nil, itemId: request.item, sampleId: target.sampleID, reviewer: request.reviewer,
            action: request.action, label: request.label, revisionId: nil, note: request.note,
            createdAt: now, undoneAt: nil, text: request.text, adjudication: request.adjudicate,
            applied: false, previousRevisionId: nil, previousStatus: nil, bulkId: request.bulk,
            allFlags: request.allFlags)
        try decision.insert(db)
        let id = db.lastInsertedRowID
        try LeaseRecord.filter(LeaseRecord.Columns.itemId == request.item && LeaseRecord.Columns.reviewer == request.reviewer)
            .deleteAll(db)
        return id
    }

    // MARK: effect

    /// Effect: puts a decision's effect into the store and records what it replaced, for undo.
    /// It confirms (dismisses, for keep) the sample's open flags of `detectors`, the flags under
    /// review — all of its open flags when `detectors` is empty; the others stay open. The
    /// flags it changed carry its id, which is how undo finds exactly them.
    static func applyEffect(
        _ db: Database, decision: Int64, sampleID: Int64, request: DecisionRequest, detectors: [String],
        now: String
    ) throws {
        try settleFlags(db, decision: decision, sampleID: sampleID, keep: request.action == .keep, detectors: detectors, now: now)
        guard
            let current = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.status, s.revision_id, r.content_id, r.label, r.score FROM samples s \(CurrentRevision.join) WHERE s.id = ?
                    """, arguments: [sampleID])
        else { return }
        switch request.action {
        case .drop:
            try db.execute(sql: "UPDATE samples SET status = ? WHERE id = ?", arguments: [SampleStatus.dropped, sampleID])
            try db.execute(
                sql: "UPDATE decisions SET previous_status = ? WHERE id = ?",
                arguments: [try current.value("status", as: SampleStatus.self), decision])
        case .relabel:
            try appendRevision(
                db, sampleID: sampleID, contentID: try current.value("content_id"), label: request.label,
                score: try current.value("score"), origin: RevisionOrigin.relabel, decision: decision, now: now)
            try db.execute(
                sql: "UPDATE decisions SET previous_revision_id = ? WHERE id = ?",
                arguments: [try current.value("revision_id", as: Int64.self), decision])
        case .edit:
            guard let text = request.text else { return }
            let contentID = try insertEditedContent(db, text, sampleID: sampleID)
            try appendRevision(
                db, sampleID: sampleID, contentID: contentID, label: try current.value("label"),
                score: try current.value("score"), origin: RevisionOrigin.edit, decision: decision, now: now)
            try db.execute(
                sql: "UPDATE decisions SET previous_revision_id = ? WHERE id = ?",
                arguments: [try current.value("revision_id", as: Int64.self), decision])
        case .keep, .skip:
            break
        }
        try db.execute(sql: "UPDATE decisions SET applied = 1 WHERE id = ?", arguments: [decision])
    }

    /// Effect on flags: the sample's open flags of `detectors` (all, when empty) become
    /// dismissed (keep) or confirmed, and carry the decision's id.
    static func settleFlags(_ db: Database, decision: Int64, sampleID: Int64, keep: Bool, detectors: [String], now: String) throws {
        let scope = FlagSelection(detectors: detectors).condition("flags")
        var arguments: StatementArguments = [keep ? FlagStatus.dismissed : FlagStatus.confirmed, now, decision, sampleID, FlagStatus.open]
        arguments += scope.arguments
        try db.execute(
            sql: """
                UPDATE flags SET status = ?, reviewed_at = ?, decision_id = ? WHERE sample_id = ? AND status = ? AND \(scope.sql)
                """, arguments: arguments)
    }

    /// Effect of an edit: stores its content for the sample (refused when another sample has it
    /// already) and returns the content's id.
    static func insertEditedContent(_ db: Database, _ text: String, sampleID: Int64) throws -> Int64 {
        let kind = try String.fetchOne(db, sql: "SELECT kind FROM samples WHERE id = ?", arguments: [sampleID]) ?? SampleKind.text.rawValue
        let content = try editedContent(text, kind: kind)
        let hash = ContentHash.of(content)
        if let other = try String.fetchOne(
            db, sql: "SELECT s.uid FROM contents c JOIN samples s ON s.id = c.sample_id WHERE c.hash = ?",
            arguments: [Data(hash)])
        {
            throw WinnowError.alreadyExists("the edited content is already in the store as \(other); drop this sample instead of making it a duplicate")
        }
        try db.execute(
            sql: """
                INSERT INTO contents (sample_id, hash, \(ContentColumns.selectList(""))) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments([sampleID, Data(hash)] as [(any DatabaseValueConvertible)?] + ContentColumns.values(content)))
        return db.lastInsertedRowID
    }

    /// Appends a revision of the sample and makes it the current one.
    static func appendRevision(
        _ db: Database, sampleID: Int64, contentID: Int64, label: String?, score: Double?, origin: RevisionOrigin,
        decision: Int64?, now: String
    ) throws {
        let revision = RevisionRecord(
            id: nil, sampleId: sampleID, contentId: contentID, label: label, score: score, origin: origin,
            decisionId: decision, createdAt: now)
        try revision.insert(db)
        try db.execute(sql: "UPDATE samples SET revision_id = ? WHERE id = ?", arguments: [db.lastInsertedRowID, sampleID])
    }
}
