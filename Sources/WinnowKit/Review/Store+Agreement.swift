import Foundation
import GRDB

/// `review agreement --json` (SPEC section 11).
public struct AgreementReport: Codable, Sendable {
    public struct Disagreement: Codable, Sendable {
        public var uid: String
        public var item: Int64
        /// "reviewer: verdict" for each live decision.
        public var decisions: [String]
    }
    public var queue: String
    public var reviewers: [String]
    /// Items with at least two live verdicts.
    public var items: Int
    @NullEncodable public var rawAgreement: Double?
    @NullEncodable public var cohenKappa: Double?
    @NullEncodable public var fleissKappa: Double?
    public var disagreements: [Disagreement]

    enum CodingKeys: String, CodingKey {
        case queue, reviewers, items, disagreements
        case rawAgreement = "raw_agreement"
        case cohenKappa = "cohen_kappa"
        case fleissKappa = "fleiss_kappa"
    }
}

extension Store {
    /// Agreement between reviewers on a queue's items: a verdict is the action, with the
    /// label for a relabel. Cohen's kappa when exactly two reviewers rated, Fleiss' kappa over
    /// items with the queue's overlap of ratings (or the most common count) otherwise.
    public func agreement(queue name: String) throws -> AgreementReport {
        try read { db in
            let (queue, overlap) = try Store.queueID(db, name)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT qi.id, s.uid, d.reviewer, d.action, d.label FROM decisions d
                    JOIN queue_items qi ON qi.id = d.item_id JOIN samples s ON s.id = qi.sample_id
                    WHERE qi.queue_id = ? AND d.undone_at IS NULL AND d.action <> ? AND d.adjudication = 0
                    ORDER BY qi.position, d.id
                    """, arguments: [queue, DecisionAction.skip])
            var byItem: [(item: Int64, uid: String, ratings: [(String, String)])] = []
            for row in rows {
                let item: Int64 = try row.value("id")
                let label: String? = try row.value("label")
                let verdict = try row.value("action", as: String.self) + (label.map { ":" + $0 } ?? "")
                if byItem.last?.item != item { byItem.append((item, try row.value("uid"), [])) }
                byItem[byItem.count - 1].ratings.append((try row.value("reviewer"), verdict))
            }
            let rated = byItem.filter { $0.ratings.count >= 2 }
            let reviewers = Array(Set(rated.flatMap { $0.ratings.map(\.0) })).sorted()
            var cohen: Double? = nil
            if reviewers.count == 2 {
                let pairs = rated.compactMap { item -> (String, String)? in
                    guard let a = item.ratings.first(where: { $0.0 == reviewers[0] })?.1,
                        let b = item.ratings.first(where: { $0.0 == reviewers[1] })?.1
                    else { return nil }
                    return (a, b)
                }
                cohen = Agreement.cohen(pairs)
            }
            var fleiss: Double? = nil
            if reviewers.count >= 3 || overlap >= 3 {
                var counts: [Int: Int] = [:]
                for item in rated { counts[item.ratings.count, default: 0] += 1 }
                let m = counts[overlap] != nil ? overlap : (counts.max { $0.value < $1.value }?.key ?? 0)
                fleiss = Agreement.fleiss(rated.filter { $0.ratings.count == m }.map { $0.ratings.map(\.1) })
            }
            let disagreements = rated.filter { Set($0.ratings.map(\.1)).count > 1 }.map {
                AgreementReport.Disagreement(uid: $0.uid, item: $0.item, decisions: $0.ratings.map { "\($0.0): \($0.1)" })
            }
            return AgreementReport(
                queue: name, reviewers: reviewers, items: rated.count,
                rawAgreement: Agreement.raw(rated.map { $0.ratings.map(\.1) }),
                cohenKappa: cohen, fleissKappa: fleiss, disagreements: disagreements)
        }
    }

    /// Applies a JSONL of decisions made elsewhere (`{"item" | "uid", "action", "label",
    /// "text", "note", "all_flags"}`) for one reviewer on one queue, all or nothing.
    public func applyDecisions(file: String, queue name: String, reviewer: String) throws -> [DecisionOutcome] {
        let outcome = "no decision was applied; fix these lines and run again"
        let lines = try readWholeRecordFile(
            file, expected: "decisions come as .jsonl (or .csv) with item or uid, action, label, text, note",
            outcome: outcome
        ) { _, fields in fields }
        return try writeImmediate { db in
            var problems: [RecordProblem] = []
            let (queue, _) = try Store.queueID(db, name)
            var outcomes: [DecisionOutcome] = []
            let now = clock.now()
            for (line, fields) in lines {
                do {
                    let request = try Store.decisionRequest(db, fields, queue: queue, queueName: name, reviewer: reviewer)
                    outcomes.append(try Store.decide(db, request, now: now))
                } catch let error as WinnowError {
                    problems.append(RecordProblem(line: line, reason: error.description))
                }
            }
            if !problems.isEmpty {
                throw WinnowError.badRecords(path: file, problems: problems, total: problems.count, outcome: outcome)
            }
            return outcomes
        }
    }

    /// The decision one line of `review apply` asks for: its item (by `item` id, or by the
    /// sample's `uid` in the queue), action, label, text, note and `all_flags`.
    static func decisionRequest(
        _ db: Database, _ fields: [String: Any], queue: Int64, queueName: String,
        reviewer: String
    ) throws -> DecisionRequest {
        let itemID: Int64
        if let n = fields["item"] as? NSNumber {
            itemID = n.int64Value
        } else if let uid = fields["uid"] as? String {
            guard
                let id = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT qi.id FROM queue_items qi JOIN samples s ON s.id = qi.sample_id WHERE qi.queue_id = ? AND s.uid = ?
                        """, arguments: [queue, uid])
            else {
                throw WinnowError.invalidArgument("sample '\(uid)' is not in queue '\(queueName)'")
            }
            itemID = id
        } else {
            throw WinnowError.invalidArgument("each line needs \"item\" (a queue item id) or \"uid\"")
        }
        guard let actionName = fields["action"] as? String, let action = DecisionAction(rawValue: actionName) else {
            throw WinnowError.invalidArgument("\"action\" must be one of \(DecisionAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var request = DecisionRequest(item: itemID, reviewer: reviewer, action: action)
        request.label = fields["label"] as? String
        request.text = fields["text"] as? String
        request.note = fields["note"] as? String
        if let value = fields["all_flags"], !(value is NSNull) {
            guard let flag = value as? NSNumber, RecordBuilder.isBoolean(flag) else {
                throw WinnowError.invalidArgument("\"all_flags\" must be true or false")
            }
            request.allFlags = flag.boolValue
        }
        return request
    }
}
