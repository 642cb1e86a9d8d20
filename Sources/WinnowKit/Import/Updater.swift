import Foundation
import GRDB

extension Importer {
    /// `winnow import FILE --update`: the way to fix an import made with a wrong mapping.
    /// Reads FILE with the given options and, for each record whose content is stored
    /// already (matched by content hash), appends a revision with the record's label (and
    /// score), sets its scenes and merges its meta. Work a reviewer did is kept: a sample
    /// whose current revision or scene came from review is left as it is. Imports no new
    /// samples (run the import without `--update` for those). One transaction.
    public func updateFile(_ given: String) throws -> ImportResult {
        let started = Date()
        let input = try InputFile(path: given) // opened once; standard input and pipes: read once
        let path = input.displayPath
        _ = try input.checkReadable()
        let format = try options.format ?? input.detectFormat()
        var result = ImportResult(path: path, format: format.rawValue)
        result.status = "updated"
        let source = try openRecords(input, format: format, maxRecordBytes: options.maxRecordBytes)
        let (records, header) = (source.reader, source.header)
        let reader = try MappingLookahead(
            records, header: header, path: path, kind: options.kind, overrides: options.map,
            strict: options.strictMap)
        let builder = RecordBuilder(mapping: reader.mapping)
        result.kind = reader.mapping.kind.rawValue
        var tally = UpdateTally()
        var problems: [(RecordProblem, String?)] = []
        try store.writeImmediate { db in
            let now = Timestamp.string(store.clock.now())
            var apply = RecordUpdate(db: db, now: now, taxonomy: try Store.taxonomy(db))
            while let item = try reader.next() {
                result.read += 1
                switch item {
                case .bad(let problem, let raw):
                    problems.append((problem, raw))
                case .record(let line, let fields):
                    let record: PreparedRecord
                    do throws(RecordError) { record = try builder.build(fields, line: line) } catch {
                        problems.append((RecordProblem(line: line, reason: error.reason), reader.lastRaw)); continue
                    }
                    try apply.update(with: record, tally: &tally)
                }
            }
            if !problems.isEmpty && options.onError == .abort {
                throw WinnowError.badRecords(
                    path: path, problems: problems.prefix(100).map(\.0), total: problems.count,
                    outcome: "nothing was updated (--on-error abort); fix these records, or pass --on-error skip to update from the rest")
            }
            result.warnings = try reader.finish().nilIfEmpty
            // Provenance: the source of these bytes, when imported before, records the update.
            let entry = "{\"mapping\":\(reader.mapping.json),\"at\":\(JSONText.quote(now)),\"updated\":\(tally.updated)}"
            try db.execute(
                sql: """
                    UPDATE sources SET options = json_set(options, '$.updates',
                        json_insert(coalesce(json_extract(options, '$.updates'), '[]'), '$[#]', json(?))) WHERE sha256 = ?
                    """, arguments: [entry, try source.fileDigest()])
        }
        result.duplicates = tally.duplicates
        result.rejected = problems.count
        if !problems.isEmpty { result.problems = problems.prefix(100).map { "\(path):\($0.0.line): \($0.0.reason)" } }
        if let rejects = options.rejectsPath, !problems.isEmpty {
            try Importer.appendRejects(problems, path: path, to: rejects)
        }
        result.updated = tally.updated
        result.notStored = tally.notStored
        if tally.kept > 0 {
            result.warnings =
                (result.warnings ?? []) + [
                    "\(path): \(tally.kept) samples were reviewed since they were imported (kept, dropped, relabelled or edited); their labels were left as the review left them"
                ]
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// `stored` with the keys of `new` (both JSON objects) set; nil if either is not one.
    static func mergeMeta(_ stored: String?, _ new: String) -> String? {
        guard let newObject = try? JSONSerialization.jsonObject(with: Data(new.utf8)) as? [String: Any] else { return nil }
        var merged = stored.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        for (key, value) in newObject { merged[key] = value }
        guard let data = try? JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The hint for a file whose bytes were imported before, when this import's options map
    /// it differently from the stored mapping (nil when they agree).
    static func updateHint(path: String, storedOptions: String?, options: ImportOptions) -> String? {
        let stored = storedOptions.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let mapping = stored?["mapping"] as? [String: Any] ?? [:]
        var differs = false
        if let kind = options.kind, kind.rawValue != mapping["kind"] as? String { differs = true }
        for (role, field) in options.map where (mapping[role.description] as? String ?? "") != field { differs = true }
        guard differs else { return nil }
        let args = options.map.map { "--map \($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        return
            "it was imported before with another mapping (\(mapping.filter { $0.key != "kind" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))); to give its samples this mapping's labels, scenes and meta, run: winnow import \(path) --update\(options.kind.map { " --kind \($0.rawValue)" } ?? "")\(args.isEmpty ? "" : " " + args)"
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

/// What `--update` did to the stored samples, record by record.
private struct UpdateTally {
    /// Samples given the file's label, scenes or meta.
    var updated = 0
    /// Records whose content the store does not hold.
    var notStored = 0
    /// Samples whose label a review changed since import: left as the review left them.
    var kept = 0
    /// Records of a sample an earlier record of the file updated already.
    var duplicates = 0
}

/// Applies one record of an `--update` to the sample holding its content, inside the update's
/// transaction: the label and score (unless a review changed them), the scenes (unless a
/// reviewer set them) and the meta.
private struct RecordUpdate {
    let db: Database
    let now: String
    let taxonomy: Taxonomy
    var annotate = AnnotateResult()
    /// Samples updated so far: the first record of a sample decides, as on import.
    var done = Set<Int64>()

    init(db: Database, now: String, taxonomy: Taxonomy) {
        self.db = db
        self.now = now
        self.taxonomy = taxonomy
    }

    mutating func update(with record: PreparedRecord, tally: inout UpdateTally) throws {
        guard
            let match = try Row.fetchOne(
                db,
                sql: """
                    SELECT c.sample_id, c.id AS content_id, r.content_id AS current_content, r.label, r.score, r.origin, s.meta,
                           s.status <> '\(SampleStatus.active.rawValue)' OR EXISTS (SELECT 1 FROM decisions d WHERE d.sample_id = s.id
                               AND d.applied = 1 AND d.undone_at IS NULL AND d.action <> '\(DecisionAction.skip.rawValue)') AS reviewed
                    FROM contents c JOIN samples s ON s.id = c.sample_id \(CurrentRevision.join)
                    WHERE c.hash = ?
                    """, arguments: [Data(record.hash)])
        else { tally.notStored += 1; return }
        let sampleID: Int64 = try match.value("sample_id")
        guard done.insert(sampleID).inserted else { tally.duplicates += 1; return }
        let relabelled = try relabel(match, sampleID: sampleID, record: record, tally: &tally)
        let rescened = try setScenes(sampleID: sampleID, record.scenes)
        let remeta = try mergeMeta(match, sampleID: sampleID, record.meta)
        if relabelled || rescened || remeta { tally.updated += 1 }
    }

    /// A new revision with the record's label and score, unless review touched the sample.
    private func relabel(_ match: Row, sampleID: Int64, record: PreparedRecord, tally: inout UpdateTally) throws -> Bool {
        let label: String? = try match.value("label"), score: Double? = try match.value("score")
        let newLabel = record.label ?? label, newScore = record.score ?? score
        guard newLabel != label || newScore != score else { return false }
        let contentID: Int64 = try match.value("content_id")
        if try match.value("origin", as: String.self) != RevisionOrigin.import.rawValue
            || contentID != (try match.value("current_content", as: Int64.self)) || (try match.value("reviewed", as: Bool.self))
        {
            tally.kept += 1 // relabelled, edited, undone, kept or dropped in review since: keep it
            return false
        }
        try Store.appendRevision(
            db, sampleID: sampleID, contentID: contentID, label: newLabel,
            score: newScore, origin: .import, decision: nil, now: now)
        return true
    }

    /// The record's scenes, except in dimensions a reviewer set.
    private mutating func setScenes(sampleID: Int64, _ scenes: [(String, String)]) throws -> Bool {
        var changed = false
        for (dimension, category) in scenes {
            let origin = try String.fetchOne(
                db,
                sql: """
                    SELECT origin FROM scene_annotations WHERE sample_id = ? AND dimension = ? AND replaced_by IS NULL
                    """, arguments: [sampleID, dimension])
            if origin == AnnotationOrigin.review.rawValue { continue }
            let before = annotate.annotated
            try Store.setScene(
                db, sampleID: sampleID, dimension: dimension, category: category, origin: AnnotationOrigin.file.rawValue,
                now: now, taxonomy: taxonomy, result: &annotate)
            if annotate.annotated > before { changed = true }
        }
        return changed
    }

    /// The record's meta merged into the stored one.
    private func mergeMeta(_ match: Row, sampleID: Int64, _ meta: String?) throws -> Bool {
        let storedMeta: String? = try match.value("meta")
        guard let meta, let merged = Importer.mergeMeta(storedMeta, meta), merged != storedMeta else { return false }
        try db.execute(sql: "UPDATE samples SET meta = ? WHERE id = ?", arguments: [merged, sampleID])
        return true
    }
}
