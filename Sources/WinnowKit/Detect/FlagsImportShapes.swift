import Foundation
import GRDB
#if canImport(Glibc)
    import Glibc
#endif

/// The shapes of file `flags import` reads: outside scores, and what the engines that run
/// beyond one machine write back (README, "Flags from engines").
public enum FlagsShape: String, CaseIterable, Sendable {
    /// JSONL/CSV/TSV with a uid and a score per sample (`--score-field`).
    case scores
    /// datatrove's exclusion writer: the dropped documents, with `id` and `metadata.filter_reason`.
    case datatrove
    /// Dolma attribute files: `{"id", "attributes": {NAME: [[start, end, score], …]}}`.
    case dolma
    /// Data-Juicer's output with its stats: `{"id", "__dj__stats__": {FIELD: number, …}}`.
    case dataJuicer = "data-juicer"
    /// One uid per line: the samples to drop.
    case ids
    /// Duplicate pairs, `{"id_a", "id_b", "similarity"}` (a Spark MinHashLSH join, say).
    case pairs

    /// The detector name the flags carry when `--detector` is left out (scores needs one).
    var defaultDetector: String? {
        switch self {
        case .scores: return nil
        case .datatrove: return "datatrove"
        case .dolma: return "dolma"
        case .dataJuicer: return "data-juicer"
        case .ids: return "id-list"
        case .pairs: return "duplicate-pairs"
        }
    }

    /// Data-Juicer's key for the stats object.
    static let djStats = "__dj__stats__"
}

/// What `flags import` is asked to do.
public struct FlagsImportOptions: Sendable {
    /// Files, folders (every file under them but hidden ones and `_SUCCESS`-style markers) and
    /// quoted globs (`'out/*.jsonl.gz'`).
    public var paths: [String]
    /// nil: told from the first record of the first file (`FlagsShape.detect`).
    public var shape: FlagsShape?
    /// nil: the shape's default.
    public var detector: String?
    /// scores: the score field (required); data-juicer: the stats field (required); pairs: the
    /// similarity field (default `similarity`, else `score`, when present).
    public var scoreField: String?
    /// scores: `uid`; every other JSON shape: `id`.
    public var uidField: String?
    public var reasonField: String?
    /// Flag only scores at or above this (at or below, with `below`).
    public var threshold: Double?
    public var below = false
    /// dolma: the attribute names to read (empty: all).
    public var attributes: [String] = []

    public init(paths: [String]) { self.paths = paths }
}

/// What `flags import` did.
public struct FlagsImportResult: Codable, Sendable {
    public var detector: String
    public var shape: String
    public var files: [String]
    /// Records read (ids of an id list, pairs of a pairs file); `detect`'s `scanned`.
    public var scanned: Int
    public var flagged: Int
    public var keptReviewed: Int
    public var run: Int64
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case detector, run, scanned, flagged, seconds, shape, files
        case keptReviewed = "kept_reviewed"
    }
}

extension FlagsShape {
    /// The shape of a file, from its name and first record: CSV/TSV is scores; a line that is
    /// not a JSON object is an id list; an object with `attributes` is Dolma's, with
    /// `__dj__stats__` Data-Juicer's, with `id_a` and `id_b` pairs, with `metadata.filter_reason`
    /// (or `filter_reason`, or `text` and `metadata`) datatrove's; any other object is scores.
    static func detect(_ path: String) throws -> FlagsShape {
        var name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name = String(name.dropLast(3)) }
        if name.hasSuffix(".csv") || name.hasSuffix(".tsv") { return .scores }
        let lines = LineReader(source: try InputFile(path: path).source(), maxLineBytes: 64 << 20)
        while let line = try lines.next() {
            guard case .text(var bytes) = line else { return .datatrove }
            if bytes.starts(with: ByteChecks.bom) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
            if ByteChecks.isBlank(bytes) { continue }
            let first = bytes.first { $0 != 0x20 && $0 != 0x09 }
            guard first == UInt8(ascii: "{"), case .success(let object) = ByteChecks.parseObject(bytes) else { return .ids }
            if object["attributes"] is [String: Any] { return .dolma }
            if object[FlagsShape.djStats] is [String: Any] { return .dataJuicer }
            if object["id_a"] != nil && object["id_b"] != nil { return .pairs }
            let metadata = object["metadata"] as? [String: Any]
            if metadata?["filter_reason"] != nil || object["filter_reason"] != nil || (metadata != nil && object["text"] != nil) {
                return .datatrove
            }
            return .scores
        }
        return .ids // an empty file: nothing to flag, whatever it was meant to be
    }
}

/// One record a shape turned into a would-be flag, before its uid is looked up.
struct ImportedFlag {
    var file: String
    var line: Int
    var uid: String
    var score: Double
    var reason: String
    /// Extra keys of the flag's details, as JSON values.
    var details: [(String, String)] = []
    /// pairs: the other end of the pair.
    var other: String?
}

enum FlagsImportFiles {
    /// The files the paths name, in order, each once: a folder's files (recursively, sorted,
    /// without hidden ones and names starting with `_`, such as Spark's `_SUCCESS`), a glob's
    /// matches (sorted), or the file itself.
    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        var seen = Set<String>()
        func add(_ file: String) { if seen.insert(file).inserted { files.append(file) } }
        for path in paths {
            if path.contains(where: { "*?[".contains($0) }), ExportTarget.fileType(path) == nil {
                var g = glob_t()
                defer { globfree(&g) }
                guard glob(path, 0, nil, &g) == 0, g.gl_pathc > 0 else {
                    throw WinnowError.unreadableInput(path: path, reason: "no file matches this pattern; check the path")
                }
                var matches: [String] = []
                for i in 0..<Int(g.gl_pathc) { if let p = g.gl_pathv[i] { matches.append(String(cString: p)) } }
                for match in matches.sorted() {
                    if ExportTarget.fileType(match) == .directory { try folder(match).forEach(add) } else { add(match) }
                }
            } else if ExportTarget.fileType(ExportTarget.resolved(path)) == .directory {
                let inside = try folder(path)
                if inside.isEmpty { throw WinnowError.unreadableInput(path: path, reason: "the folder holds no files") }
                inside.forEach(add)
            } else {
                add(path)
            }
        }
        return files
    }

    /// The files under a folder, sorted, skipping hidden files and `_` markers.
    static func folder(_ dir: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else {
            throw WinnowError.unreadableInput(path: dir, reason: "cannot list the folder")
        }
        var files: [String] = []
        while let entry = walker.nextObject() as? String {
            let name = (entry as NSString).lastPathComponent
            if name.hasPrefix(".") || name.hasPrefix("_") {
                if ExportTarget.fileType(dir + "/" + entry) == .directory { walker.skipDescendants() }
                continue
            }
            if ExportTarget.fileType(ExportTarget.resolved(dir + "/" + entry)) == .regular { files.append(dir + "/" + entry) }
        }
        return files.sorted()
    }
}

extension Store {
    /// Imports flags from outside: a model's scores, or what an engine wrote back (`FlagsShape`).
    /// One detector run for all the files. All or nothing: a malformed record or an unknown uid
    /// in any file stops it, every problem reported as FILE:LINE.
    public func importFlags(_ options: FlagsImportOptions) throws -> FlagsImportResult {
        let files = try FlagsImportFiles.expand(options.paths)
        guard let firstFile = files.first else { throw WinnowError.invalidArgument("flags import needs at least one file") }
        var shapes: [FlagsShape] = []
        for file in files { shapes.append(try options.shape ?? FlagsShape.detect(file)) }
        let shape = shapes[0]
        if let i = shapes.firstIndex(where: { $0 != shape }) {
            throw WinnowError.invalidArgument(
                "\(files[i]) reads as --shape \(shapes[i].rawValue) but \(firstFile) as --shape \(shape.rawValue); import them separately, or pass --shape")
        }
        guard let name = options.detector ?? shape.defaultDetector else {
            throw WinnowError.invalidArgument("--shape scores needs --detector NAME (the name the flags carry)")
        }
        if DetectorName(rawValue: name) != nil {
            throw WinnowError.invalidArgument("--detector \(name) is a built-in detector; name the outside model differently (for example model-\(name))")
        }
        if shape == .scores || shape == .dataJuicer, options.scoreField == nil {
            throw WinnowError.invalidArgument(
                shape == .scores
                    ? "\(firstFile) holds scores: pass --score-field FIELD (or --shape datatrove, dolma, data-juicer, ids or pairs for an engine's output)"
                    : "--shape data-juicer needs --score-field FIELD, a key of \(FlagsShape.djStats) (\(try Self.djStatsKeys(firstFile)))")
        }
        let started = clock.now()

        var flags: [ImportedFlag] = []
        var problems: [(file: String, problem: RecordProblem)] = []
        var records = 0
        for file in files {
            let (read, bad, count) = try Self.readFlags(file, shape: shape, detector: name, options: options)
            flags += read
            problems += bad.map { (file, $0) }
            records += count
        }

        // Look the uids up in one read; unknown ones are problems of their lines.
        var ids: [String: (sample: Int64, content: Int64)] = [:]
        try read { db in
            let statement = try db.makeStatement(sql: "SELECT s.id, r.content_id FROM samples s \(CurrentRevision.join) WHERE s.uid = ?")
            var missing = Set<String>(), reported = Set<String>()
            for flag in flags {
                for uid in [flag.uid] + (flag.other.map { [$0] } ?? []) where ids[uid] == nil && !missing.contains(uid) {
                    if let row = try Row.fetchOne(statement, arguments: [uid]) {
                        ids[uid] = (try row.value("id"), try row.value("content_id"))
                    } else {
                        missing.insert(uid)
                    }
                }
                for uid in [flag.uid] + (flag.other.map { [$0] } ?? []) where missing.contains(uid) {
                    if reported.insert("\(flag.file)\u{1F}\(flag.line)\u{1F}\(uid)").inserted {
                        problems.append((flag.file, RecordProblem(line: flag.line, reason: "no sample with uid '\(uid)'")))
                    }
                }
            }
        }
        if !problems.isEmpty { throw Self.problemsError(problems, files: files) }

        let hits = shape == .pairs ? Self.clusterHits(flags, ids: ids, options: options) : Self.hits(flags, ids: ids, options: options)
        let parameters = jsonObject([
            ("files", jsonArray(files)), ("shape", JSONText.quote(shape.rawValue)),
            ("score_field", options.scoreField.map(JSONText.quote) ?? "null"), ("uid_field", options.uidField.map(JSONText.quote) ?? "null"),
            ("threshold", options.threshold.map(jsonNumber) ?? "null"), ("below", options.below ? "true" : "false"),
            ("attributes", jsonArray(options.attributes)),
        ])
        let run = try record(
            name, parameters: parameters, hits: hits, scanned: records,
            started: Timestamp.string(started), seconds: clock.now().timeIntervalSince(started))
        return FlagsImportResult(
            detector: name, shape: shape.rawValue, files: files, scanned: records, flagged: run.flagged, keptReviewed: run.keptReviewed, run: run.run,
            seconds: run.seconds)
    }

    /// Whether a score passes the threshold (every score, without one).
    static func passes(_ score: Double, _ options: FlagsImportOptions) -> Bool {
        guard let t = options.threshold else { return true }
        return options.below ? score <= t : score >= t
    }

    static func thresholdNote(_ options: FlagsImportOptions) -> String {
        options.threshold.map { " (threshold \(options.below ? "≤" : "≥") \(String(format: "%g", $0)))" } ?? ""
    }

    /// One hit per sample (its first record's flag for datatrove, ids and data-juicer; one per
    /// attribute for dolma, several records of one sample keeping the highest score).
    static func hits(_ flags: [ImportedFlag], ids: [String: (sample: Int64, content: Int64)], options: FlagsImportOptions) -> [DetectorHit] {
        var hits: [DetectorHit] = []
        var index: [String: Int] = [:]
        for flag in flags {
            guard let id = ids[flag.uid], passes(flag.score, options) else { continue }
            let attribute = flag.details.first { $0.0 == "attribute" }?.1 ?? ""
            let key = flag.uid + "\u{1F}" + attribute
            let hit = DetectorHit(
                sampleID: id.sample, contentID: id.content, score: flag.score, reason: flag.reason,
                details: jsonObject([("file", JSONText.quote(flag.file)), ("line", "\(flag.line)"), ("score", jsonNumber(flag.score))] + flag.details))
            if let i = index[key] {
                if flag.score > hits[i].score { hits[i] = hit }
            } else {
                index[key] = hits.count
                hits.append(hit)
            }
        }
        return hits
    }

    /// pairs: union-find clusters of the pairs that pass the threshold; every member but the
    /// earliest (the first imported, as near-duplicate keeps it) is flagged, naming its best
    /// match and the cluster's representative.
    static func clusterHits(_ flags: [ImportedFlag], ids: [String: (sample: Int64, content: Int64)], options: FlagsImportOptions) -> [DetectorHit] {
        var parent: [Int64: Int64] = [:]
        var uidOf: [Int64: String] = [:]
        var content: [Int64: Int64] = [:]
        func find(_ x: Int64) -> Int64 {
            var r = x
            while let p = parent[r], p != r { r = p }
            var y = x
            while let p = parent[y], p != r { parent[y] = r; y = p }
            return r
        }
        var best: [Int64: (other: Int64, score: Double, flag: ImportedFlag)] = [:]
        for flag in flags {
            guard let other = flag.other, let a = ids[flag.uid], let b = ids[other], a.sample != b.sample, passes(flag.score, options) else { continue }
            for (x, u) in [(a, flag.uid), (b, other)] {
                if parent[x.sample] == nil { parent[x.sample] = x.sample }
                uidOf[x.sample] = u
                content[x.sample] = x.content
            }
            let ra = find(a.sample), rb = find(b.sample)
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) } // the earliest sample is the root
            for (x, y) in [(a.sample, b.sample), (b.sample, a.sample)] where best[x].map({ flag.score > $0.score }) ?? true {
                best[x] = (y, flag.score, flag)
            }
        }
        return parent.keys.sorted().compactMap { sample in
            let root = find(sample)
            guard root != sample, let match = best[sample], let rep = uidOf[root], let otherUID = uidOf[match.other] else { return nil }
            let similar =
                options.scoreField == nil && match.flag.details.isEmpty ? "paired with \(otherUID)" : "\(String(format: "%.0f", match.score * 100))% similar to \(otherUID)"
            return DetectorHit(
                sampleID: sample, contentID: content[sample] ?? 0, score: match.score,
                reason: "\(similar) (\((match.flag.file as NSString).lastPathComponent)); cluster of \(rep)",
                details: jsonObject([
                    ("file", JSONText.quote(match.flag.file)), ("line", "\(match.flag.line)"), ("score", jsonNumber(match.score)),
                    ("cluster", "\(root)"), ("representative", JSONText.quote(rep)), ("match", JSONText.quote(otherUID)),
                ]))
        }
    }

    /// The flags one file's records make, the problems of the others, and how many records it held.
    static func readFlags(_ file: String, shape: FlagsShape, detector: String, options: FlagsImportOptions) throws -> ([ImportedFlag], [RecordProblem], Int) {
        switch shape {
        case .scores:
            let (scored, problems) = try readScores(
                file, scoreField: options.scoreField ?? "", uidField: options.uidField ?? "uid", reasonField: options.reasonField)
            let flags = scored.map { entry in
                ImportedFlag(
                    file: file, line: entry.line, uid: entry.uid, score: entry.score,
                    reason: entry.reason ?? "\(detector) scores it \(String(format: "%.3g", entry.score))\(thresholdNote(options))")
            }
            return (flags, problems, scored.count + problems.count)
        case .ids:
            var flags: [ImportedFlag] = []
            var problems: [RecordProblem] = []
            let lines = LineReader(source: try InputFile(path: file).source(), maxLineBytes: 1 << 20)
            let name = (file as NSString).lastPathComponent
            while let line = try lines.next() {
                switch line {
                case .tooLong(let bytes): problems.append(RecordProblem(line: lines.lineNumber, reason: "line is \(bytes) bytes: not an id (one id per line)"))
                case .text(var bytes):
                    if lines.lineNumber == 1, bytes.starts(with: ByteChecks.bom) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
                    if let problem = ByteChecks.textProblem(bytes) {
                        problems.append(RecordProblem(line: lines.lineNumber, reason: problem))
                        continue
                    }
                    let uid = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    if uid.isEmpty || uid.hasPrefix("#") { continue }
                    flags.append(ImportedFlag(file: file, line: lines.lineNumber, uid: uid, score: 1, reason: "listed to drop in \(name)"))
                }
            }
            return (flags, problems, flags.count + problems.count)
        case .datatrove, .dolma, .dataJuicer, .pairs:
            let reader = JSONLinesReader(lines: LineReader(source: try InputFile(path: file).source(), maxLineBytes: 64 << 20))
            var flags: [ImportedFlag] = []
            var problems: [RecordProblem] = []
            var records = 0
            while let item = try reader.next() {
                records += 1
                switch item {
                case .bad(let problem, _): problems.append(problem)
                case .record(let line, let fields):
                    do { flags += try engineFlags(fields, line: line, file: file, shape: shape, detector: detector, options: options) } catch let problem as RecordProblem {
                        problems.append(problem)
                    }
                }
            }
            return (flags, problems, records)
        }
    }

    /// A field's value as a uid: a string, or a whole number.
    static func uid(_ value: Any?) -> String? {
        if let s = value as? String, !s.isEmpty { return s }
        if let n = value as? NSNumber, !RecordBuilder.isBoolean(n) { return n.stringValue }
        return nil
    }

    static func number(_ value: Any?) -> Double? {
        guard let n = value as? NSNumber, !RecordBuilder.isBoolean(n), n.doubleValue.isFinite else { return nil }
        return n.doubleValue
    }

    /// The flags of one record of an engine's file.
    static func engineFlags(
        _ fields: [String: Any], line: Int, file: String, shape: FlagsShape, detector: String, options: FlagsImportOptions
    ) throws -> [ImportedFlag] {
        if shape == .pairs {
            guard let a = uid(fields["id_a"]), let b = uid(fields["id_b"]) else {
                throw RecordProblem(line: line, reason: "a pair needs 'id_a' and 'id_b' (the two uids)")
            }
            let field = options.scoreField ?? (fields["similarity"] != nil ? "similarity" : fields["score"] != nil ? "score" : nil)
            var score = 1.0
            if let field {
                guard let s = number(fields[field]) else {
                    throw RecordProblem(line: line, reason: "'\(field)' is \(fields[field] == nil ? "missing" : "not a number"), expected the pair's similarity")
                }
                score = s
            }
            return [ImportedFlag(file: file, line: line, uid: a, score: score, reason: "", details: field.map { [("field", JSONText.quote($0))] } ?? [], other: b)]
        }
        let idField = options.uidField ?? "id"
        guard let id = uid(fields[idField]) else {
            throw RecordProblem(line: line, reason: "no '\(idField)' field (the document's uid; pass --uid-field to name another)")
        }
        switch shape {
        case .datatrove:
            let metadata = fields["metadata"] as? [String: Any]
            let given = options.reasonField.flatMap { (fields[$0] ?? metadata?[$0]) as? String }
            let filterReason = (metadata?["filter_reason"] ?? fields["filter_reason"]) as? String
            let reason = given ?? filterReason.map { "\(detector) dropped it: \($0)" } ?? "\(detector) dropped it"
            return [
                ImportedFlag(
                    file: file, line: line, uid: id, score: 1, reason: reason,
                    details: [("filter_reason", filterReason.map(JSONText.quote) ?? "null")])
            ]
        case .dolma:
            guard let attributes = fields["attributes"] as? [String: Any] else {
                throw RecordProblem(line: line, reason: "no 'attributes' object (a Dolma attribute file has {\"id\", \"attributes\": {NAME: [[start, end, score], …]}})")
            }
            var flags: [ImportedFlag] = []
            for name in attributes.keys.sorted() where options.attributes.isEmpty || options.attributes.contains(name) {
                guard let spans = attributes[name] as? [Any] else {
                    throw RecordProblem(line: line, reason: "attribute '\(name)' is not a list of [start, end, score] spans")
                }
                var best: Double?
                for span in spans {
                    guard let s = span as? [Any], s.count == 3, number(s[0]) != nil, number(s[1]) != nil, let score = number(s[2]) else {
                        throw RecordProblem(line: line, reason: "attribute '\(name)' has a span that is not [start, end, score]: \(String(describing: span).prefix(40))")
                    }
                    best = max(best ?? score, score)
                }
                guard let best else { continue } // no span: the tagger found nothing
                flags.append(
                    ImportedFlag(
                        file: file, line: line, uid: id, score: best,
                        reason: "\(name): \(String(format: "%.3g", best)), the highest of \(spans.count) span\(spans.count == 1 ? "" : "s")\(thresholdNote(options))",
                        details: [("attribute", JSONText.quote(name)), ("spans", "\(spans.count)")]))
            }
            return flags
        case .dataJuicer:
            let field = options.scoreField ?? ""
            guard let stats = fields[FlagsShape.djStats] as? [String: Any] else {
                throw RecordProblem(line: line, reason: "no '\(FlagsShape.djStats)' object (run Data-Juicer with its stats kept in the output)")
            }
            var score = number(stats[field])
            if score == nil, let list = stats[field] as? [Any], !list.isEmpty {
                let values = list.compactMap(number)
                if values.count == list.count { score = values.max() }
            }
            guard let score else {
                let known = stats.keys.sorted().joined(separator: ", ")
                throw RecordProblem(
                    line: line, reason: "\(FlagsShape.djStats).\(field) is \(stats[field] == nil ? "missing (its keys: \(known))" : "not a number"), expected a number")
            }
            let given = options.reasonField.flatMap { fields[$0] as? String }
            return [
                ImportedFlag(
                    file: file, line: line, uid: id, score: score,
                    reason: given ?? "\(field) is \(String(format: "%.4g", score))\(thresholdNote(options))",
                    details: [("field", JSONText.quote(field))])
            ]
        case .scores, .ids, .pairs: return []
        }
    }

    /// The stats keys of a Data-Juicer file's first record, for the message asking for one.
    static func djStatsKeys(_ file: String) throws -> String {
        let reader = JSONLinesReader(lines: LineReader(source: try InputFile(path: file).source(), maxLineBytes: 64 << 20))
        while let item = try reader.next() {
            if case .record(_, let fields) = item, let stats = fields[FlagsShape.djStats] as? [String: Any] {
                return "its first record has " + stats.keys.sorted().joined(separator: ", ")
            }
        }
        return "none found"
    }

    /// The error for every problem of every file: `FILE:LINE: reason`, the first 100, then the count.
    static func problemsError(_ problems: [(file: String, problem: RecordProblem)], files: [String]) -> WinnowError {
        let order = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        let sorted = problems.sorted { (order[$0.file] ?? 0, $0.problem.line) < (order[$1.file] ?? 0, $1.problem.line) }
        let first = sorted[0].file
        let own = sorted.filter { $0.file == first }.map(\.problem)
        let others = sorted.filter { $0.file != first }
        var outcome: [String] = []
        let room = max(0, 100 - own.count)
        outcome += others.prefix(room).map { "\($0.file):\($0.problem.line): \($0.problem.reason)" }
        if others.count > room { outcome.append("… and \(others.count - room) more bad records in other files") }
        let unknown = Set(problems.filter { $0.problem.reason.hasPrefix("no sample with uid") }.map(\.problem.reason)).count
        outcome.append(
            "no flags were imported (\(problems.count) bad record\(problems.count == 1 ? "" : "s")\(unknown > 0 ? ", \(unknown) unknown uid\(unknown == 1 ? "" : "s")" : ""), in \(Set(problems.map(\.file)).count) of \(files.count) file\(files.count == 1 ? "" : "s")); fix these records and run again"
        )
        return .badRecords(path: first, problems: Array(own.prefix(100)), total: own.count, outcome: outcome.joined(separator: "\n"))
    }
}
