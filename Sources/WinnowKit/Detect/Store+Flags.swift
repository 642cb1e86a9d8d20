import Foundation
import GRDB

/// One flag as listed by `winnow flags`.
public struct FlagSummary: Codable, Sendable {
    public var uid: String
    public var detector: String
    public var score: Double
    public var reason: String
    /// The detector's details as a JSON object.
    public var details: JSONValue
    public var status: String
}

/// Per detector: open, confirmed and dismissed flags, and the detector's measured precision.
public struct DetectorPrecision: Codable, Sendable {
    public var detector: String
    public var open: Int
    /// Flags reviewers judged: confirmed and dismissed by a decision on this detector's flags.
    public var confirmed: Int
    public var dismissed: Int
    /// Closed, but by a decision on another detector's flags (before migration 0005 a decision
    /// closed all of a sample's flags): not part of the precision.
    public var unjudged: Int
    /// confirmed / (confirmed + dismissed); nil until something is reviewed.
    @NullEncodable public var precision: Double?
}

extension Store {
    /// Flags, most suspicious first, filtered by detector and status.
    public func flags(detector: String?, status: String?, limit: Int?) throws -> (count: Int, flags: [FlagSummary]) {
        var flags: [FlagSummary] = []
        let count = try eachFlag(detector: detector, status: status, limit: limit, count: { _ in }) { flags.append($0) }
        return (count, flags)
    }

    /// Streams flags, most suspicious first, up to `limit`, to `body` one at a time, after handing
    /// `count` the number of matches before the limit (one read transaction). Returns the count.
    @discardableResult
    public func eachFlag(
        detector: String?, status: String?, limit: Int?, count: (Int) throws -> Void,
        _ body: (FlagSummary) throws -> Void
    ) throws -> Int {
        try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let detector {
                try Store.checkDetectors(db, [detector], option: "--detector")
                conditions.append("f.detector = ?"); arguments += [detector]
            }
            if let status { conditions.append("f.status = ?"); arguments += [status] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM flags f \(whereClause)", arguments: arguments) ?? 0
            try count(total)
            var page = arguments
            page += [limit ?? -1]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.uid, f.detector, f.score, f.reason, f.details, f.status FROM flags f JOIN samples s ON s.id = f.sample_id
                    \(whereClause) ORDER BY f.score DESC, f.detector, s.id LIMIT ?
                    """, arguments: page)
            while let row = try rows.next() {
                try body(
                    FlagSummary(
                        uid: try row.value("uid"), detector: try row.value("detector"), score: try row.value("score"),
                        reason: try row.value("reason"), details: JSONValue(parsing: try row.value("details")),
                        status: (try row.value("status") as FlagStatus).rawValue))
            }
            return total
        }
    }

    /// Per-detector counts and precision. A confirmed or dismissed flag counts toward its
    /// detector's precision only when a reviewer judged it: its decision was in a queue made
    /// from that detector (or from no detector), or asked for all flags. Flags a decision on
    /// another detector's flags closed (stores from before 0005) are `unjudged`.
    public func flagSummary() throws -> [DetectorPrecision] {
        try read { db in
            var byDetector: [String: DetectorPrecision] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT f.detector, f.status, d.all_flags, q.selection, b.selection AS bulk, d.id IS NOT NULL AS decided, count(*) AS n
                    FROM flags f LEFT JOIN decisions d ON d.id = f.decision_id LEFT JOIN bulk_decisions b ON b.id = d.bulk_id
                    LEFT JOIN queue_items qi ON qi.id = d.item_id LEFT JOIN queues q ON q.id = qi.queue_id
                    GROUP BY f.detector, f.status, d.all_flags, q.selection, b.selection, decided
                    """)
            {
                let name: String = try row.value("detector")
                let n: Int = try row.value("n")
                var entry = byDetector[name] ?? DetectorPrecision(detector: name, open: 0, confirmed: 0, dismissed: 0, unjudged: 0, precision: nil)
                let status: FlagStatus = try row.value("status")
                let queueDetectors = QueueSelection.detectors(fromJSON: try row.value("selection"))
                let bulkDetectors = QueueSelection.detectors(fromJSON: try row.value("bulk")) // a bulk decision's --flag
                let decided: Bool = try row.value("decided"), allFlags: Bool? = try row.value("all_flags")
                let judged =
                    !decided || (allFlags ?? false)
                    || queueDetectors.isEmpty || queueDetectors.contains(name) || bulkDetectors.contains(name)
                switch status {
                case .open: entry.open += n
                case _ where !judged: entry.unjudged += n
                case .confirmed: entry.confirmed += n
                default: entry.dismissed += n
                }
                byDetector[name] = entry
            }
            return byDetector.values.map { entry in
                var e = entry
                let reviewed = e.confirmed + e.dismissed
                e.precision = reviewed > 0 ? Double(e.confirmed) / Double(reviewed) : nil
                return e
            }.sorted { $0.detector < $1.detector }
        }
    }

    /// Imports an outside model's per-sample scores as flags of detector `name`: every record
    /// with a score at or above `threshold` (all records without one) becomes a flag. All or
    /// nothing: an unknown uid or a malformed score stops it with `FILE:LINE` messages.
    public func importFlags(
        file: String, detector name: String, scoreField: String, uidField: String,
        threshold: Double?, reasonField: String? = nil
    ) throws -> DetectRunResult {
        if DetectorName(rawValue: name) != nil {
            throw WinnowError.invalidArgument("--detector \(name) is a built-in detector; name the outside model differently (for example model-\(name))")
        }
        let started = clock.now()
        let (scored, invalid) = try Store.readScores(file, scoreField: scoreField, uidField: uidField, reasonField: reasonField)
        var problems = invalid
        // Resolve uids in one read.
        var hits: [DetectorHit] = []
        try read { db in
            for entry in scored {
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT s.id, r.content_id FROM samples s \(CurrentRevision.join) WHERE s.uid = ?
                            """, arguments: [entry.uid])
                else {
                    problems.append(RecordProblem(line: entry.line, reason: "no sample with uid '\(entry.uid)'"))
                    continue
                }
                if let threshold, entry.score < threshold { continue }
                let reason = entry.reason ?? "\(name) scores it \(String(format: "%.3g", entry.score))\(threshold.map { " (threshold \(String(format: "%g", $0)))" } ?? "")"
                hits.append(
                    DetectorHit(
                        sampleID: try row.value("id"), contentID: try row.value("content_id"), score: entry.score, reason: reason,
                        details: jsonObject([
                            ("file", JSONText.quote(file)), ("line", "\(entry.line)"),
                            ("score", jsonNumber(entry.score)),
                        ])))
            }
        }
        if !problems.isEmpty {
            throw WinnowError.badRecords(
                path: file, problems: problems.sorted { $0.line < $1.line }, total: problems.count,
                outcome: "no flags were imported; fix these records and run again")
        }
        let parameters = jsonObject([
            ("file", JSONText.quote(file)), ("score_field", JSONText.quote(scoreField)),
            ("uid_field", JSONText.quote(uidField)), ("threshold", threshold.map(jsonNumber) ?? "null"),
        ])
        // Every record scored (any problem stopped it above).
        return try record(
            name, parameters: parameters, hits: hits, scanned: scored.count,
            started: Timestamp.string(started), seconds: clock.now().timeIntervalSince(started))
    }

    /// The scored records of a `flags import` file, and the problems of those that are not
    /// (the file's malformed records, then in order each record without a uid or a number).
    static func readScores(
        _ file: String, scoreField: String, uidField: String, reasonField: String?
    ) throws
        -> (scored: [(line: Int, uid: String, score: Double, reason: String?)], problems: [RecordProblem])
    {
        let (values, problems) = try readRecordFile(file, expected: "scores come as .jsonl, .csv or .tsv (optionally .gz)") { line, fields in
            let uid = (fields[uidField] as? String) ?? (fields[uidField] as? NSNumber)?.stringValue
            guard let uid, !uid.isEmpty else {
                throw RecordProblem(line: line, reason: "no '\(uidField)' field (pass --uid-field to name it)")
            }
            var score: Double?
            if let n = fields[scoreField] as? NSNumber, !RecordBuilder.isBoolean(n) {
                score = n.doubleValue
            } else if let s = fields[scoreField] as? String {
                score = Double(s.trimmingCharacters(in: .whitespaces))
            }
            guard let score, score.isFinite else {
                let shown = fields[scoreField].map { "\($0)" } ?? "missing"
                throw RecordProblem(line: line, reason: "score field '\(scoreField)' is \(shown == "missing" ? "missing" : "'\(shown.prefix(30))'"), expected a number")
            }
            return (uid: uid, score: score, reason: reasonField.flatMap { fields[$0] as? String })
        }
        return (values.map { (line: $0.line, uid: $0.value.uid, score: $0.value.score, reason: $0.value.reason) }, problems)
    }
}

/// Which open flags count, when a snapshot leaves flagged samples out, a queue takes flagged
/// samples in, or a bulk decision picks its samples: flags of these detectors (none named: any
/// detector) scoring at least `minScore`.
public struct FlagSelection: Sendable, Equatable {
    public var detectors: [String]
    public var minScore: Double?

    public init(detectors: [String] = [], minScore: Double? = nil) {
        self.detectors = detectors
        self.minScore = minScore
    }

    /// Detector names from options that take comma lists and may repeat
    /// (`--detector a,b --detector c`), in order, without blanks or repeats.
    public static func names(_ values: [String]) -> [String] {
        var names: [String] = []
        for value in values {
            for part in value.split(separator: ",") {
                let name = part.trimmingCharacters(in: .whitespaces)
                if !name.isEmpty, !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// The SQL condition a flag `alias` meets (besides its status), with its arguments.
    func condition(_ alias: String = "f") -> (sql: String, arguments: StatementArguments) {
        var parts: [String] = []
        var arguments: StatementArguments = []
        if !detectors.isEmpty {
            parts.append("\(alias).detector IN (\(Array(repeating: "?", count: detectors.count).joined(separator: ", ")))")
            arguments += StatementArguments(detectors)
        }
        if let minScore { parts.append("\(alias).score >= ?"); arguments += [minScore] }
        return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), arguments)
    }

    /// "label-noise, near-duplicate" or "any detector", with " at score ≥ S" when given.
    public var description: String {
        (detectors.isEmpty ? "any detector" : detectors.joined(separator: ", "))
            + (minScore.map { " at score ≥ \(String(format: "%g", $0))" } ?? "")
    }
}

extension Store {
    /// The detector names flags may carry: the built-in ones (`DetectorName`, in run order),
    /// then those of outside models whose scores `flags import` brought in.
    public func detectorNames() throws -> (builtIn: [String], imported: [String]) {
        try read { db in try Store.detectorNames(db) }
    }

    static func detectorNames(_ db: Database) throws -> (builtIn: [String], imported: [String]) {
        let builtIn = DetectorName.allCases.map(\.rawValue)
        let seen = try String.fetchAll(db, sql: "SELECT detector FROM detector_runs UNION SELECT DISTINCT detector FROM flags ORDER BY 1")
        return (builtIn, seen.filter { !builtIn.contains($0) })
    }

    /// Refuses detector names that are neither built in nor imported, naming the valid ones,
    /// so a typo (`label-nosie`) fails instead of selecting nothing.
    static func checkDetectors(_ db: Database, _ names: [String], option: String) throws {
        let builtIn = Set(DetectorName.allCases.map(\.rawValue))
        if names.allSatisfy(builtIn.contains) { return } // no need to read the store's flags
        let known = try detectorNames(db)
        let unknown = names.filter { !known.builtIn.contains($0) && !known.imported.contains($0) }
        guard !unknown.isEmpty else { return }
        let listed = unknown.map { "'\($0)'" }.joined(separator: ", ")
        throw WinnowError.invalidArgument(
            "\(option): unknown detector\(unknown.count == 1 ? "" : "s") \(listed); detectors are \(known.builtIn.joined(separator: ", "))"
                + (known.imported.isEmpty ? "" : ", and imported: \(known.imported.joined(separator: ", "))")
                + " (a comma list selects several)")
    }
}
