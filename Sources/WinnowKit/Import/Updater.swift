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
        let input = try InputFile(path: given)   // standard input and pipes: read once
        let path = input.displayPath
        _ = try Importer.checkReadable(input.readPath, display: path)
        let format = try options.format ?? Importer.detectFormat(input.readPath, display: path, sniff: input.spooled)
        var result = ImportResult(path: path, format: format.rawValue)
        result.status = "updated"
        let source = try ByteSource(path: input.readPath, display: path)
        let lines = LineReader(source: source, maxLineBytes: options.maxRecordBytes)
        let (records, header) = try makeRecordReader(lines, format: format, maxRecordBytes: options.maxRecordBytes)
        let reader = try MappingLookahead(records, header: header, path: path, kind: options.kind, overrides: options.map,
                                          strict: options.strictMap)
        let builder = RecordBuilder(mapping: reader.mapping)
        result.kind = reader.mapping.kind.rawValue
        var updated = 0, notStored = 0, kept = 0
        var problems: [(RecordProblem, String?)] = []
        do {
            try store.writeImmediate { db in
                let now = Timestamp.string(started)
                let taxonomy = try Store.taxonomy(db)
                var annotate = AnnotateResult()
                var done = Set<Int64>()
                while let item = try reader.next() {
                    result.read += 1
                    let record: PreparedRecord
                    switch item {
                    case .bad(let problem, let raw):
                        problems.append((problem, raw)); continue
                    case .record(let line, let fields):
                        do throws(RecordError) { record = try builder.build(fields, line: line) } catch {
                            problems.append((RecordProblem(line: line, reason: error.reason), reader.lastRaw)); continue
                        }
                    }
                    guard let match = try Row.fetchOne(db, sql: """
                        SELECT c.sample_id, c.id AS content_id, r.content_id AS current_content, r.label, r.score, r.origin, s.meta,
                               s.status <> 'active' OR EXISTS (SELECT 1 FROM decisions d WHERE d.sample_id = s.id
                                   AND d.applied = 1 AND d.undone_at IS NULL AND d.action <> 'skip') AS reviewed
                        FROM contents c JOIN samples s ON s.id = c.sample_id JOIN revisions r ON r.id = s.revision_id
                        WHERE c.hash = ?
                        """, arguments: [Data(record.hash)]) else { notStored += 1; continue }
                    let sampleID: Int64 = match["sample_id"]
                    // The first record of a sample decides, as on import.
                    guard done.insert(sampleID).inserted else { result.duplicates += 1; continue }
                    var changed = false
                    let label: String? = match["label"], score: Double? = match["score"]
                    let newLabel = record.label ?? label, newScore = record.score ?? score
                    if newLabel != label || newScore != score {
                        if match["origin"] as String != "import" || match["content_id"] as Int64 != match["current_content"] as Int64
                            || match["reviewed"] as Bool {
                            kept += 1   // relabelled, edited, undone, kept or dropped in review since: keep it
                        } else {
                            try Store.appendRevision(db, sampleID: sampleID, contentID: match["content_id"], label: newLabel,
                                                     score: newScore, origin: "import", decision: nil, now: now)
                            changed = true
                        }
                    }
                    for (dimension, category) in record.scenes {
                        let origin = try String.fetchOne(db, sql: """
                            SELECT origin FROM scene_annotations WHERE sample_id = ? AND dimension = ? AND replaced_by IS NULL
                            """, arguments: [sampleID, dimension])
                        if origin == "review" { continue }
                        let before = annotate.annotated
                        try Store.setScene(db, sampleID: sampleID, dimension: dimension, category: category, origin: "file",
                                           now: now, taxonomy: taxonomy, result: &annotate)
                        if annotate.annotated > before { changed = true }
                    }
                    let storedMeta: String? = match["meta"]
                    if let meta = record.meta, let merged = Self.mergeMeta(storedMeta, meta), merged != storedMeta {
                        try db.execute(sql: "UPDATE samples SET meta = ? WHERE id = ?", arguments: [merged, sampleID])
                        changed = true
                    }
                    if changed { updated += 1 }
                }
                if !problems.isEmpty && options.onError == .abort {
                    throw WinnowError.badRecords(path: path, problems: problems.prefix(100).map(\.0), total: problems.count,
                                                 outcome: "nothing was updated (--on-error abort); fix these records, or pass --on-error skip to update from the rest")
                }
                result.warnings = try reader.finish().nilIfEmpty
                // Provenance: the source of these bytes, when imported before, records the update.
                let entry = "{\"mapping\":\(reader.mapping.json),\"at\":\(JSONText.quote(now)),\"updated\":\(updated)}"
                try db.execute(sql: """
                    UPDATE sources SET options = json_set(options, '$.updates',
                        json_insert(coalesce(json_extract(options, '$.updates'), '[]'), '$[#]', json(?))) WHERE sha256 = ?
                    """, arguments: [entry, source.fileDigest()])
            }
        } catch let error as DatabaseError {
            throw Store.translate(error, path: store.path)
        }
        result.rejected = problems.count
        if !problems.isEmpty { result.problems = problems.prefix(100).map { "\(path):\($0.0.line): \($0.0.reason)" } }
        if let rejects = options.rejectsPath, !problems.isEmpty {
            try Importer.appendRejects(problems, path: path, to: rejects)
        }
        result.updated = updated
        result.notStored = notStored
        if kept > 0 {
            result.warnings = (result.warnings ?? []) + ["\(path): \(kept) samples were reviewed since they were imported (kept, dropped, relabelled or edited); their labels were left as the review left them"]
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
        return "it was imported before with another mapping (\(mapping.filter { $0.key != "kind" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))); to give its samples this mapping's labels, scenes and meta, run: winnow import \(path) --update\(options.kind.map { " --kind \($0.rawValue)" } ?? "")\(args.isEmpty ? "" : " " + args)"
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
