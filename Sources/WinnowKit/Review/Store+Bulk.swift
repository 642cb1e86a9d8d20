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
    /// Act on the active samples this filter selects (the web review's browse selection),
    /// through a queue `bulk-ID` made of them; its flag detector, when given, names the flags
    /// the decisions confirm or dismiss (else all of each sample's open flags).
    public var samples: SampleFilter?
    /// Refuse, changing nothing, unless the selection holds exactly this many items (the "all N
    /// matching" a reviewer saw: the store may have moved on since the page was drawn).
    public var expectedCount: Int?
    public var note: String?
    /// Confirm or dismiss every open flag of each sample.
    public var allFlags = false
    /// Work it all out and report it, then leave the store as it was.
    public var dryRun = false

    /// The `to` that takes each sample's label-noise prediction.
    public static let predicted = "predicted"

    /// Its label, scene and source filters.
    var filter: SelectionFilter { SelectionFilter(label: label, scene: scene, source: source) }

    /// The `selection` JSON its `bulk_decisions` row keeps.
    func selectionJSON(queue: String) -> String {
        var pairs: [(String, String)] = [("queue", JSONText.quote(queue))]
        if let flags {
            pairs.append(("detectors", jsonArray(flags.detectors)))
            if let minScore = flags.minScore { pairs.append(("min_score", jsonNumber(minScore))) }
        }
        pairs += filter.jsonPairs
        if let samples { pairs += samples.jsonPairs }
        if allFlags { pairs.append(("all_flags", "true")) }
        return jsonObject(pairs)
    }

    public init(reviewer: String, action: DecisionAction) {
        self.reviewer = reviewer
        self.action = action
    }
}

extension WinnowError {
    /// The reason an item of a bulk decision is skipped rather than the whole bulk failing:
    /// the refusals `decide` gives for one item (taken, decided, disagreeing, lost, invalid).
    var refusal: String? {
        switch self {
        case .invalidArgument(let reason), .notFound(let reason), .alreadyExists(let reason), .leaseLost(let reason),
            .disagreement(let reason):
            return reason
        default:
            return nil
        }
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
        if request.queue == nil && request.flags == nil && request.samples == nil {
            throw WinnowError.invalidArgument("say which samples: --flag DETECTORS (with --min-score), or --queue NAME")
        }
        if request.samples != nil && (request.queue != nil || request.flags != nil) {
            throw WinnowError.invalidArgument("a bulk decision over a sample selection takes no queue and no flag selection besides")
        }
        if let queue = request.queue { request.queue = try Names.valid(queue, .queue) }
        if request.samples?.search != nil { try updateContentSearch() }
        let frozen = request
        return try writeImmediate { db in
            var outcome: BulkOutcome?
            try db.inSavepoint {
                outcome = try Store.bulkDecide(db, frozen, now: clock.now())
                return frozen.dryRun || outcome?.decisions == 0 ? .rollback : .commit
            }
            guard var result = outcome else { throw WinnowError.invalidArgument("the bulk decision gave no result") }
            if frozen.dryRun || result.decisions == 0 { result.bulk = nil }
            return result
        }
    }

    static func bulkDecide(_ db: Database, _ request: BulkRequest, now: Date) throws -> BulkOutcome {
        let nowText = Timestamp.string(now)
        try request.filter.check(db, detectors: request.flags.map { [($0.detectors, "--flag")] } ?? [])
        let bulkID = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM bulk_decisions") ?? 1)
        let (queueName, queueID, created) = try bulkQueue(db, request, bulkID: bulkID, now: nowText)
        let bulk = BulkDecisionRecord(
            id: bulkID, queueId: queueID, reviewer: request.reviewer, action: request.action, target: request.to,
            selection: request.selectionJSON(queue: queueName), note: request.note, decisions: 0,
            createdAt: nowText, undoneAt: nil)
        try bulk.insert(db)
        var outcome = BulkOutcome(
            bulk: bulkID, dryRun: request.dryRun, reviewer: request.reviewer, action: request.action.rawValue,
            to: request.to, queue: queueName, queueCreated: created, decisions: 0, states: [:], changes: [:],
            items: [], skipped: [])
        let candidates = try bulkCandidates(db, request, queue: queueID)
        if let expected = request.expectedCount, expected != candidates.count {
            throw WinnowError.invalidArgument(
                "the selection now holds \(candidates.count) item\(candidates.count == 1 ? "" : "s") open to you, not the \(expected) shown; nothing was changed: look at the selection again"
            )
        }
        for candidate in candidates {
            try decideBulkItem(db, request, candidate, bulk: bulkID, now: now, into: &outcome)
        }
        outcome.decisions = outcome.items.count
        try db.execute(sql: "UPDATE bulk_decisions SET decisions = ? WHERE id = ?", arguments: [outcome.decisions, bulkID])
        return outcome
    }

    /// The queue a bulk decision acts on: the one named, or one made from its flag selection
    /// (`bulk-ID`, or `bulk-ID-N` when that name is taken).
    static func bulkQueue(
        _ db: Database, _ request: BulkRequest, bulkID: Int64, now: String
    ) throws
        -> (name: String, id: Int64, created: Bool)
    {
        if let name = request.queue { return (name, try Store.queueID(db, name).id, false) }
        var name = "bulk-\(bulkID)"
        var n = 1
        while try QueueRecord.filter(QueueRecord.Columns.name == name).fetchCount(db) > 0 {
            n += 1
            name = "bulk-\(bulkID)-\(n)"
        }
        var selection = QueueSelection()
        selection.detectors = request.flags?.detectors ?? []
        selection.minScore = request.flags?.minScore
        selection.label = request.label
        selection.scene = request.scene
        selection.source = request.source
        if let samples = request.samples {
            selection.samples = samples
            if let detector = samples.flagDetector { selection.detectors = [detector] }
        }
        return (name, try createQueue(db, name: name, selection: selection, now: now).queue, true)
    }

    /// One item a bulk decision may decide.
    struct BulkCandidate {
        var item: Int64
        var sample: Int64
        var uid: String
        var kind: String
        var label: String?
    }

    /// The queue's items open for this reviewer, narrowed by the flag selection and the filters.
    static func bulkCandidates(_ db: Database, _ request: BulkRequest, queue: Int64) throws -> [BulkCandidate] {
        var conditions = SampleConditions()
        conditions.add("qi.queue_id = ?", [queue])
        conditions.add("qi.resolved_at IS NULL")
        conditions.add(
            "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = qi.id AND d.reviewer = ? AND d.undone_at IS NULL AND d.action <> ?)",
            [request.reviewer, DecisionAction.skip])
        if let flags = request.flags { conditions.requireOpenFlag(flags) }
        conditions.filter(request.filter)
        return try Row.fetchAll(
            db,
            sql: """
                SELECT qi.id, s.id AS sample, s.uid, s.kind, r.label FROM queue_items qi JOIN samples s ON s.id = qi.sample_id
                \(CurrentRevision.join) WHERE \(conditions.sql) ORDER BY qi.position
                """, arguments: conditions.arguments
        ).map { row in
            BulkCandidate(
                item: try row.value("id"), sample: try row.value("sample"), uid: try row.value("uid"), kind: try row.value("kind"),
                label: try row.value("label"))
        }
    }

    /// Decides one item of a bulk decision through `decide`, in a savepoint; an item that path
    /// refuses (leased to someone else, …), or that needs no change, goes into `skipped`.
    static func decideBulkItem(
        _ db: Database, _ request: BulkRequest, _ candidate: BulkCandidate, bulk: Int64, now: Date,
        into outcome: inout BulkOutcome
    ) throws {
        let (item, uid, label) = (candidate.item, candidate.uid, candidate.label)
        var decision = DecisionRequest(item: item, reviewer: request.reviewer, action: request.action)
        decision.note = request.note
        decision.allFlags = request.allFlags
        decision.bulk = bulk
        // The flags the decisions act on: those of the detectors selected, else the queue's.
        if let flags = request.flags, !flags.detectors.isEmpty { decision.scope = flags.detectors }
        if let detector = request.samples?.flagDetector { decision.scope = [detector] }
        if request.action == .relabel {
            var to = request.to
            if to == BulkRequest.predicted {
                to = try predictedLabel(db, sample: candidate.sample)
                guard to != nil else {
                    outcome.skipped.append(.init(item: item, uid: uid, reason: "no open label-noise flag with a predicted label"))
                    return
                }
            }
            if to == label {
                outcome.skipped.append(.init(item: item, uid: uid, reason: "already labelled '\(label ?? "")'"))
                return
            }
            decision.label = to
        }
        // A label the store does not know fails the whole bulk decision, not each item.
        try validate(db, decision, kind: candidate.kind)
        do {
            var result: DecisionOutcome?
            try db.inSavepoint {
                result = try decide(db, decision, now: now)
                return .commit
            }
            guard let result else { return }
            outcome.items.append(.init(item: item, uid: uid, label: label, to: decision.label, state: result.state))
            outcome.states[result.state, default: 0] += 1
            if let to = decision.label, result.state == DecisionState.applied.rawValue {
                outcome.changes["\(label ?? "(none)")→\(to)", default: 0] += 1
            }
        } catch let error as WinnowError {
            guard let reason = error.refusal else { throw error }
            outcome.skipped.append(.init(item: item, uid: uid, reason: reason))
        }
    }

    /// The label the sample's open label-noise flag predicts (its details' `predicted`).
    static func predictedLabel(_ db: Database, sample: Int64) throws -> String? {
        let details = try String.fetchOne(
            db,
            sql: """
                SELECT details FROM flags WHERE sample_id = ? AND detector = ? AND status = ? ORDER BY score DESC, id DESC LIMIT 1
                """, arguments: [sample, DetectorName.labelNoise.rawValue, FlagStatus.open])
        guard let details, case .object(let fields) = JSONValue(parsing: details), case .string(let label)? = fields["predicted"] else { return nil }
        return label
    }

    /// Undoes a bulk decision as one: each of its live decisions, newest first, with its
    /// effect — or none of them, when any sample has changed since (the refusal names it).
    public func undoBulk(_ id: Int64, reviewer: String?) throws -> BulkUndo {
        try writeImmediate { db in
            guard let bulk = try BulkDecisionRecord.fetchOne(db, key: id),
                let queue = try QueueRecord.fetchOne(db, key: bulk.queueId)
            else {
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM bulk_decisions WHERE undone_at IS NULL ORDER BY id")
                throw WinnowError.notFound(
                    "no bulk decision \(id); \(ids.isEmpty ? "there are none to undo" : "live ones: " + ids.map(String.init).joined(separator: ", ")) (`winnow review bulk` prints the id)"
                )
            }
            if let reviewer, reviewer != bulk.reviewer {
                throw WinnowError.invalidArgument("bulk decision \(id) is \(bulk.reviewer)'s, not \(reviewer)'s; nothing was undone")
            }
            if let at = bulk.undoneAt {
                throw WinnowError.alreadyExists("bulk decision \(id) was undone at \(at) already")
            }
            let now = Timestamp.string(clock.now())
            let decisions = try LiveDecision.fetchAll(
                db,
                sql: LiveDecision.select + """
                     WHERE d.bulk_id = ? AND d.undone_at IS NULL ORDER BY d.id DESC
                    """, arguments: [id])
            for d in decisions { _ = try Store.undoDecision(db, d, now: now) }
            try db.execute(sql: "UPDATE bulk_decisions SET undone_at = ? WHERE id = ?", arguments: [now, id])
            return BulkUndo(bulk: id, reviewer: bulk.reviewer, action: bulk.action.rawValue, queue: queue.name, undone: decisions.count)
        }
    }

    /// A queue's items in review order, with each sample's label, status, flags and the
    /// item's decisions; `state` narrows to one state, `limit` to the first N.
    public func queueItems(_ name: String, state: QueueItemState? = nil, limit: Int? = nil) throws -> QueueItems {
        let now = Timestamp.string(clock.now())
        return try read { db in
            let (queue, overlap) = try Store.queueID(db, name)
            let flags = try Store.queueFlags(db, queue: queue)
            let decisions = try Store.queueDecisions(db, queue: queue)
            var items: [QueueItemInfo] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT qi.id, qi.sample_id, qi.resolved_at, s.uid, s.status, r.label,
                           (SELECT d.action FROM decisions d WHERE d.id = qi.resolution_id) AS resolution,
                           EXISTS (SELECT 1 FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?) AS claimed
                    FROM queue_items qi JOIN samples s ON s.id = qi.sample_id \(CurrentRevision.join)
                    WHERE qi.queue_id = ? ORDER BY qi.position
                    """, arguments: [now, queue])
            {
                let id: Int64 = try row.value("id")
                let live = decisions[id] ?? []
                let itemState = QueueItemState.of(
                    resolved: try row.value("resolved_at", as: String?.self) != nil,
                    verdicts: live.filter { $0.action != DecisionAction.skip.rawValue }.count,
                    overlap: overlap, claimed: try row.value("claimed"))
                if let state, state != itemState { continue }
                items.append(
                    QueueItemInfo(
                        item: id, uid: try row.value("uid"), label: try row.value("label"), status: try row.value("status"),
                        state: itemState.rawValue, resolution: try row.value("resolution"),
                        flags: flags[try row.value("sample_id")] ?? [], decisions: live))
            }
            let count = items.count
            if let limit { items = Array(items.prefix(max(0, limit))) }
            return QueueItems(queue: name, count: count, items: items)
        }
    }

    /// All flags of a queue's samples, by sample, highest score first.
    static func queueFlags(_ db: Database, queue: Int64) throws -> [Int64: [QueueItemInfo.Flag]] {
        var flags: [Int64: [QueueItemInfo.Flag]] = [:]
        for flag in try FlagRecord.fetchAll(
            db,
            sql: """
                SELECT f.* FROM flags f
                WHERE f.sample_id IN (SELECT sample_id FROM queue_items WHERE queue_id = ?) ORDER BY f.score DESC, f.detector
                """, arguments: [queue])
        {
            flags[flag.sampleId, default: []].append(.init(detector: flag.detector, score: flag.score, status: flag.status.rawValue))
        }
        return flags
    }

    /// The live decisions on a queue's items, by item, oldest first.
    static func queueDecisions(_ db: Database, queue: Int64) throws -> [Int64: [QueueItemInfo.Decision]] {
        var decisions: [Int64: [QueueItemInfo.Decision]] = [:]
        for d in try DecisionRecord.fetchAll(
            db,
            sql: """
                SELECT d.* FROM decisions d
                JOIN queue_items qi ON qi.id = d.item_id WHERE qi.queue_id = ? AND d.undone_at IS NULL ORDER BY d.id
                """, arguments: [queue])
        {
            guard let id = d.id, let item = d.itemId else { continue }
            decisions[item, default: []].append(
                .init(
                    decision: id, reviewer: d.reviewer, action: d.action.rawValue, label: d.label,
                    bulk: d.bulkId))
        }
        return decisions
    }
}

/// Where a queue item stands (`queue items --state`).
public enum QueueItemState: String, CaseIterable, Sendable {
    case pending, claimed, waiting, disagreement, decided

    /// Decided once resolved; in disagreement with its overlap of verdicts unsettled; claimed
    /// while a lease on it runs; waiting with some verdicts; else pending.
    static func of(resolved: Bool, verdicts: Int, overlap: Int, claimed: Bool) -> QueueItemState {
        if resolved { return .decided }
        if verdicts >= overlap { return .disagreement }
        if claimed { return .claimed }
        if verdicts > 0 { return .waiting }
        return .pending
    }
}
