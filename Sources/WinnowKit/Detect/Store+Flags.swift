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
    public var confirmed: Int
    public var dismissed: Int
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
    public func eachFlag(detector: String?, status: String?, limit: Int?, count: (Int) throws -> Void,
                         _ body: (FlagSummary) throws -> Void) throws -> Int {
        try pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let detector { conditions.append("f.detector = ?"); arguments += [detector] }
            if let status { conditions.append("f.status = ?"); arguments += [status] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM flags f \(whereClause)", arguments: arguments) ?? 0
            try count(total)
            var page = arguments
            page += [limit ?? -1]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT s.uid, f.detector, f.score, f.reason, f.details, f.status FROM flags f JOIN samples s ON s.id = f.sample_id
                \(whereClause) ORDER BY f.score DESC, f.detector, s.id LIMIT ?
                """, arguments: page)
            while let row = try rows.next() {
                try body(FlagSummary(uid: row["uid"], detector: row["detector"], score: row["score"], reason: row["reason"],
                                     details: JSONValue(parsing: row["details"]), status: row["status"]))
            }
            return total
        }
    }

    /// Per-detector counts and precision.
    public func flagSummary() throws -> [DetectorPrecision] {
        try pool.read { db in
            var byDetector: [String: DetectorPrecision] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT detector, status, count(*) AS n FROM flags GROUP BY detector, status") {
                let name: String = row["detector"]
                var entry = byDetector[name] ?? DetectorPrecision(detector: name, open: 0, confirmed: 0, dismissed: 0, precision: nil)
                switch row["status"] as String {
                case "open": entry.open = row["n"]
                case "confirmed": entry.confirmed = row["n"]
                default: entry.dismissed = row["n"]
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
    public func importFlags(file: String, detector name: String, scoreField: String, uidField: String,
                            threshold: Double?, reasonField: String? = nil) throws -> DetectRunResult {
        if DetectorName(rawValue: name) != nil {
            throw WinnowError.invalidArgument("--detector \(name) is a built-in detector; name the outside model differently (for example model-\(name))")
        }
        let reader = try openRecordFile(file, expected: "scores come as .jsonl, .csv or .tsv (optionally .gz)")
        let started = Date()
        var problems: [RecordProblem] = []
        var scored: [(line: Int, uid: String, score: Double, reason: String?)] = []
        var records = 0
        while let item = try reader.next() {
            switch item {
            case .bad(let problem, _): problems.append(problem)
            case .record(let line, let fields):
                records += 1
                let uid = (fields[uidField] as? String) ?? (fields[uidField] as? NSNumber)?.stringValue
                guard let uid, !uid.isEmpty else {
                    problems.append(RecordProblem(line: line, reason: "no '\(uidField)' field (pass --uid-field to name it)"))
                    continue
                }
                var score: Double?
                if let n = fields[scoreField] as? NSNumber, !RecordBuilder.isBoolean(n) { score = n.doubleValue }
                else if let s = fields[scoreField] as? String { score = Double(s.trimmingCharacters(in: .whitespaces)) }
                guard let score, score.isFinite else {
                    let shown = fields[scoreField].map { "\($0)" } ?? "missing"
                    problems.append(RecordProblem(line: line, reason: "score field '\(scoreField)' is \(shown == "missing" ? "missing" : "'\(shown.prefix(30))'"), expected a number"))
                    continue
                }
                scored.append((line, uid, score, reasonField.flatMap { fields[$0] as? String }))
            }
        }
        // Resolve uids in one read.
        var hits: [DetectorHit] = []
        try pool.read { db in
            for entry in scored {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT s.id, r.content_id FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = ?
                    """, arguments: [entry.uid]) else {
                    problems.append(RecordProblem(line: entry.line, reason: "no sample with uid '\(entry.uid)'"))
                    continue
                }
                if let threshold, entry.score < threshold { continue }
                let reason = entry.reason ?? "\(name) scores it \(String(format: "%.3g", entry.score))\(threshold.map { " (threshold \(String(format: "%g", $0)))" } ?? "")"
                hits.append(DetectorHit(sampleID: row["id"], contentID: row["content_id"], score: entry.score, reason: reason,
                                        details: jsonObject([("file", JSONText.quote(file)), ("line", "\(entry.line)"),
                                                             ("score", jsonNumber(entry.score))])))
            }
        }
        if !problems.isEmpty {
            throw WinnowError.badRecords(path: file, problems: problems.sorted { $0.line < $1.line }, total: problems.count,
                                         outcome: "no flags were imported; fix these records and run again")
        }
        let parameters = jsonObject([("file", JSONText.quote(file)), ("score_field", JSONText.quote(scoreField)),
                                     ("uid_field", JSONText.quote(uidField)), ("threshold", threshold.map(jsonNumber) ?? "null")])
        return try record(name, parameters: parameters, hits: hits, scanned: records,
                          started: Timestamp.string(started), seconds: Date().timeIntervalSince(started))
    }
}
