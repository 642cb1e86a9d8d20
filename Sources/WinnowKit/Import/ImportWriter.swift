import Foundation
import GRDB

/// Writes one file's records into the store through prepared statements, one short
/// transaction (`batch`) at a time.
final class ImportWriter {
    /// Another process started or finished the same file between the look and the first batch.
    enum Restart: Error { case anotherImport }

    let path: String
    let format: InputFormat
    let options: ImportOptions
    let fileSize: Int
    let sha256: String
    let started: Date
    let progress: (@Sendable (ImportProgress) -> Void)?
    let now: String

    /// The connection of the batch being written.
    private var db: Database!
    var result: ImportResult
    var sourceID: Int64 = 0
    var mapping: FieldMapping?
    /// An interrupted import of the same bytes that this one finishes.
    let resume: PendingImport.Interrupted?
    /// Records (valid or not) already counted by the interrupted import: skipped, not stored again.
    var skip = 0
    var nextSample: Int64 = 0
    var nextContent: Int64 = 0
    var nextRevision: Int64 = 0
    var problems: [(RecordProblem, String?)] = []
    var problemCount = 0
    /// New samples per (dimension, category) in this batch, added to `scene_counts` with it.
    var sceneTally: [String: [String: Int]] = [:]
    var lastProgress = Date.distantPast

    // Prepared statements, made anew in each batch.
    var lookup: Statement!
    var insertSample: Statement!
    var insertContent: Statement!
    var insertRevision: Statement!
    var insertOccurrence: Statement!
    var insertScene: Statement!
    var openConflict: Statement!
    var insertFlag: Statement!

    /// `started`: when the import began (for its duration); `stamp`: the time written on its rows.
    init(
        path: String, format: InputFormat, options: ImportOptions, fileSize: Int, sha256: String, started: Date,
        stamp: Date, resume: PendingImport.Interrupted?, progress: (@Sendable (ImportProgress) -> Void)?
    ) {
        self.path = path
        self.format = format
        self.options = options
        self.fileSize = fileSize
        self.sha256 = sha256
        self.started = started
        self.resume = resume
        self.progress = progress
        self.now = Timestamp.string(stamp)
        self.result = ImportResult(path: path, format: format.rawValue)
        if let resume {
            sourceID = resume.sourceID
            skip = resume.read
            committedRead = resume.read
            result.read = resume.read
            result.imported = resume.imported
            result.duplicates = resume.duplicates
            result.labelConflicts = resume.labelConflicts
            result.rejected = resume.rejected
        }
    }

    /// Records (valid or not) of the file counted in committed batches so far.
    var storedRecords: Int { committedRead }
    private var committedRead = 0
    /// Whether a batch wrote the file's `sources` row (false while no valid record came).
    var hasSource: Bool { sourceID != 0 }
    /// A message received before the first transaction (the parser's first, which may take
    /// its lookahead of 1,000 records: the write lock is not held while it reads them).
    var carried: ParsedMessage?
    /// With --on-error skip: the problem that stopped the reading of the file early.
    var fileProblem: WinnowError?

    /// The error of a record whose id another sample already has.
    static func uidTaken(_ uid: String) -> String {
        "id '\(uid)' is already used by another sample with different content; give each record its own id, or pass --map id= to derive uids from the content"
    }

    /// Writes records from `channel` for about `Importer.batchSeconds` inside the caller's
    /// transaction, then records the file's counts so far; returns true once the file is done.
    func batch(db: Database, channel: Channel<ParsedMessage>, yield: () -> Bool = { false }) throws -> Bool {
        self.db = db
        if mapping != nil { try prepare() }
        let deadline = Date().addingTimeInterval(Importer.batchSeconds)
        var finished = false
        repeat {
            guard let message = carried ?? channel.receive() else {
                throw WinnowError.unreadableInput(path: path, reason: "reading stopped before the end of the file")
            }
            carried = nil
            switch message {
            case .failed(let error):
                // With --on-error skip a file that cannot be read to its end (a truncated gzip or
                // JSON array) keeps what was read before the problem: the import completes, and
                // the command then reports the problem (a new copy of the file imports the rest).
                if options.onError == .skip, mapping != nil, let problem = error as? WinnowError {
                    fileProblem = problem
                    try finish(compressed: false)
                    finished = true
                    break
                }
                throw error
            case .mapping(let mapping):
                try begin(mapping)
            case .warnings(let warnings):
                result.warnings = warnings
            case .batch(let items, let rawBytes):
                for item in items { try handle(item) }
                report(rawBytes: rawBytes)
            case .finished(let digest, let compressed):
                if digest != sha256 { throw Importer.changedWhileImported(path) }
                try finish(compressed: compressed)
                finished = true
            }
        } while !finished && Date() < deadline && !yield()
        if !finished { try recordProgress() }
        committedRead = result.read // the caller commits this batch
        return finished
    }

    private func begin(_ mapping: FieldMapping) throws {
        self.mapping = mapping
        result.kind = mapping.kind.rawValue
        let options = "{\"mapping\":\(mapping.json),\"on_error\":\(JSONText.quote(self.options.onError.rawValue))}"
        if let resume {
            // The error policy may change (an abort-mode import stopped by a record can be
            // finished with --on-error skip); the mapping may not.
            if !resume.options.hasPrefix("{\"mapping\":\(mapping.json),") {
                throw WinnowError.invalidArgument(
                    "\(path) was partly imported by an interrupted run with another mapping (\(resume.options)); run the import again with that mapping to finish it, or close it as it is with `winnow import --close-unfinished`"
                )
            }
            // Another process may have taken up the same interrupted import since the look.
            let row = try Row.fetchOne(db, sql: "SELECT sha256, read FROM sources WHERE id = ?", arguments: [sourceID])
            let marker: String? = try row?.value("sha256")
            let read: Int? = try row?.value("read")
            let owner = marker.flatMap(PendingImport.owner(of:))
            if (owner != nil && owner != getpid()) || read != resume.read { throw Restart.anotherImport }
            try db.execute(sql: "UPDATE sources SET sha256 = ? WHERE id = ?", arguments: [PendingImport.marker(sha256: sha256), sourceID])
        } else {
            // Checked again inside the transaction: another process may have started the same file.
            if case .new = try PendingImport.state(db: db, sha256: sha256) {} else { throw Restart.anotherImport }
            try db.execute(
                sql: """
                    INSERT INTO sources (path, name, format, compressed, kind, sha256, bytes, options, imported_at)
                    VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    path, (path as NSString).lastPathComponent, format.rawValue, mapping.kind.rawValue,
                    PendingImport.marker(sha256: sha256), fileSize, options, now,
                ])
            sourceID = db.lastInsertedRowID
        }
        try prepare()
    }

    /// Prepares this batch's statements and the next free row ids (other writers may have
    /// added rows since the last batch).
    private func prepare() throws {
        // The import is ours as long as its row carries our marker: a process that took it
        // over (it judged this one dead) has put its own; stop rather than write beside it.
        if let marker = try String.fetchOne(db, sql: "SELECT sha256 FROM sources WHERE id = ?", arguments: [sourceID]),
            marker != PendingImport.marker(sha256: sha256)
        {
            throw WinnowError.invalidArgument("\(path): another process took over this import (it judged this one stopped); this process stops here, and that one finishes it")
        }
        nextSample = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM samples") ?? 0) + 1
        nextContent = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM contents") ?? 0) + 1
        nextRevision = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM revisions") ?? 0) + 1
        lookup = try db.makeStatement(
            sql: """
                SELECT c.sample_id, c.id, r.label FROM contents c
                JOIN samples s ON s.id = c.sample_id \(CurrentRevision.join)
                WHERE c.hash = ?
                """)
        insertSample = try db.makeStatement(
            sql: """
                INSERT INTO samples (id, uid, kind, revision_id, source_id, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        insertContent = try db.makeStatement(
            sql: """
                INSERT INTO contents (id, sample_id, hash, \(ContentColumns.selectList("")))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        insertRevision = try db.makeStatement(
            sql: """
                INSERT INTO revisions (id, sample_id, content_id, label, score, origin, created_at) VALUES (?, ?, ?, ?, ?, '\(RevisionOrigin.import.rawValue)', ?)
                """)
        insertOccurrence = try db.makeStatement(
            sql: """
                INSERT INTO occurrences (source_id, line, sample_id, record_id, label) VALUES (?, ?, ?, ?, ?)
                """)
        insertScene = try db.makeStatement(
            sql: """
                INSERT INTO scene_annotations (sample_id, dimension, category, origin, source_id, created_at) VALUES (?, ?, ?, '\(AnnotationOrigin.import.rawValue)', ?, ?)
                """)
        openConflict = try db.makeStatement(
            sql: """
                SELECT 1 FROM flags WHERE sample_id = ? AND detector = '\(DetectorName.labelConflict.rawValue)' AND status = '\(FlagStatus.open.rawValue)'
                """)
        insertFlag = try db.makeStatement(
            sql: """
                INSERT INTO flags (sample_id, content_id, detector, source_id, score, reason, details, created_at)
                VALUES (?, ?, '\(DetectorName.labelConflict.rawValue)', ?, 1.0, ?, ?, ?)
                """)
    }

    private func handle(_ item: ParsedItem) throws {
        if skip > 0 {
            // Counted and stored by the interrupted run; its rejects are written again, whole:
            // the parser's, and those the store made (a record with no occurrence was refused
            // when written: its id was taken).
            skip -= 1
            switch item {
            case .bad(let problem, let raw):
                problems.append((problem, raw)); problemCount += 1
            case .record(let record):
                if try
                    !(Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM occurrences WHERE source_id = ? AND line = ?)",
                        arguments: [sourceID, record.line]) ?? false)
                {
                    let uid = record.recordID ?? ContentHash.derivedUID(record.hash)
                    problems.append((RecordProblem(line: record.line, reason: ImportWriter.uidTaken(uid)), record.raw)); problemCount += 1
                }
            }
            return
        }
        result.read += 1
        switch item {
        case .bad(let problem, let raw):
            try reject(problem, raw: raw)
        case .record(let record):
            try store(record)
        }
    }

    private func reject(_ problem: RecordProblem, raw: String?) throws {
        if options.onError == .abort {
            // The check before writing found no problem, so another process changed the store
            // since (a sample took this id): stop; the batches already written stay, pending.
            throw WinnowError.badRecords(
                path: path, problems: [problem], total: 1,
                outcome: """
                    another process stored a conflicting sample while \(path) was being imported: the records \
                    before line \(problem.line) are in the store and the import is unfinished; fix the record and \
                    run the same import again to finish it
                    """)
        }
        problemCount += 1
        result.rejected += 1
        problems.append((problem, raw))
    }

    private func store(_ record: PreparedRecord) throws {
        let lookup = RawStatement(self.lookup!)
        lookup.reset()
        lookup.bind(1, blob: record.hash)
        if try lookup.step() {
            // The same content is stored already: record this occurrence only.
            let sampleID = lookup.int64(0)
            let contentID = lookup.int64(1)
            let storedLabel = lookup.text(2)
            lookup.reset()
            result.duplicates += 1
            try occurrence(record, sampleID: sampleID)
            if let label = record.label, let storedLabel, label != storedLabel {
                result.labelConflicts += 1
                try raiseConflict(sampleID: sampleID, contentID: contentID, stored: storedLabel, record: record)
            }
            return
        }
        lookup.reset()
        let sampleID = nextSample, contentID = nextContent, revisionID = nextRevision
        let uid = record.recordID ?? ContentHash.derivedUID(record.hash)

        let s = RawStatement(insertSample!)
        s.reset()
        s.bind(1, sampleID)
        s.bind(2, uid)
        s.bind(3, record.content.kind.rawValue)
        s.bind(4, revisionID)
        s.bind(5, sourceID)
        s.bind(6, record.meta)
        s.bind(7, now)
        do {
            try s.run()
        } catch let error as DatabaseError
            where error.resultCode.primaryResultCode == .SQLITE_CONSTRAINT
            && (error.message ?? "").contains("samples.uid")
        {
            try reject(RecordProblem(line: record.line, reason: ImportWriter.uidTaken(uid)), raw: record.raw)
            return
        }
        nextSample += 1; nextContent += 1; nextRevision += 1

        let c = RawStatement(insertContent!)
        c.reset()
        c.bind(1, contentID)
        c.bind(2, sampleID)
        c.bind(3, blob: record.hash)
        for (index, value) in ContentColumns.values(record.content).enumerated() {
            c.bind(Int32(4 + index), value)
        }
        try c.run()

        let r = RawStatement(insertRevision!)
        r.reset()
        r.bind(1, revisionID)
        r.bind(2, sampleID)
        r.bind(3, contentID)
        r.bind(4, record.label)
        r.bind(5, record.score)
        r.bind(6, now)
        try r.run()

        try occurrence(record, sampleID: sampleID)
        for (dimension, category) in record.scenes {
            let a = RawStatement(insertScene!)
            a.reset()
            a.bind(1, sampleID)
            a.bind(2, dimension)
            a.bind(3, category)
            a.bind(4, sourceID)
            a.bind(5, now)
            try a.run()
            sceneTally[dimension, default: [:]][category, default: 0] += 1
        }
        result.imported += 1
    }

    private func occurrence(_ record: PreparedRecord, sampleID: Int64) throws {
        let o = RawStatement(insertOccurrence!)
        o.reset()
        o.bind(1, sourceID)
        o.bind(2, Int64(record.line))
        o.bind(3, sampleID)
        o.bind(4, record.recordID)
        o.bind(5, record.label)
        try o.run()
    }

    private func raiseConflict(sampleID: Int64, contentID: Int64, stored: String, record: PreparedRecord) throws {
        let q = RawStatement(openConflict!)
        q.reset()
        q.bind(1, sampleID)
        let exists = try q.step()
        q.reset()
        if exists { return }
        let f = RawStatement(insertFlag!)
        f.reset()
        f.bind(1, sampleID)
        f.bind(2, contentID)
        f.bind(3, sourceID)
        let hit = LabelConflicts.imported(
            sampleID: sampleID, contentID: contentID, stored: stored, other: record.label ?? "",
            path: path, line: record.line)
        f.bind(4, hit.reason)
        f.bind(5, hit.details)
        f.bind(6, now)
        try f.run()
    }

    private func report(rawBytes: Int) {
        guard let progress else { return }
        let now = Date()
        if now.timeIntervalSince(lastProgress) < 0.2 { return }
        lastProgress = now
        progress(ImportProgress(path: path, bytesRead: rawBytes, totalBytes: fileSize, records: result.read, phase: .importing))
    }

    /// Adds this batch's scene tallies to `scene_counts` and records the file's counts so far
    /// on its pending `sources` row (an interrupted import resumes from them).
    private func recordProgress(seconds: Double? = nil) throws {
        for (dimension, categories) in sceneTally {
            for (category, count) in categories {
                try db.execute(
                    sql: """
                        INSERT INTO scene_counts (dimension, category, count) VALUES (?, ?, ?)
                        ON CONFLICT (dimension, category) DO UPDATE SET count = count + excluded.count
                        """, arguments: [dimension, category, count])
            }
        }
        sceneTally = [:]
        try db.execute(
            sql: """
                UPDATE sources SET read = ?, imported = ?, duplicates = ?, label_conflicts = ?, rejected = ?,
                    seconds = seconds + ? WHERE id = ?
                """,
            arguments: [
                result.read, result.imported, result.duplicates, result.labelConflicts, result.rejected,
                seconds ?? 0, sourceID,
            ])
    }

    /// The last batch: the counts, the rejects file (written whole before the commit that
    /// completes the import), and the file's real SHA-256 in place of the pending marker.
    private func finish(compressed: Bool) throws {
        guard mapping != nil else {
            let first = problems.first.map { " (first at line \($0.0.line): \($0.0.reason))" } ?? ""
            throw WinnowError.unreadableInput(
                path: path, reason: "no valid record in the file: \(problemCount) malformed\(first); check the format (--format) and the field mapping (--map)")
        }
        try recordProgress(seconds: Date().timeIntervalSince(started))
        if let rejectsPath = options.rejectsPath, !problems.isEmpty {
            do {
                try Importer.appendRejects(problems, path: path, to: rejectsPath)
            } catch {
                throw WinnowError.invalidArgument(
                    "\(error); the import of \(path) is unfinished (the records of its earlier batches, if any, stay; its rejects were not written): fix the rejects path and run the same import again to finish it"
                )
            }
        }
        try db.execute(
            sql: "UPDATE sources SET sha256 = ?, compressed = ? WHERE id = ?",
            arguments: [sha256, compressed, sourceID])
        if !problems.isEmpty {
            result.problems = problems.prefix(100).map { "\(path):\($0.0.line): \($0.0.reason)" }
        }
    }
}
