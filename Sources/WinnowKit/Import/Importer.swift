import Foundation
import GRDB
import GRDBSQLite

/// What to do with malformed records.
public enum OnError: String, CaseIterable, Sendable {
    /// Import nothing of a file that has a malformed record (the default).
    case abort
    /// Import the valid records; write each rejected one with its reason to the rejects file.
    case skip
}

/// How `winnow import` reads its files.
public struct ImportOptions: Sendable {
    public var format: InputFormat?
    public var kind: SampleKind?
    public var map: [FieldRole: String] = [:]
    public var onError: OnError = .abort
    public var rejectsPath: String?
    public var maxRecordBytes: Int = 16 << 20
    /// A `--map` field a file lacks is an error (false: a warning, for a `--map` shared by several files).
    public var strictMap = true
    /// Apply the file's labels, scenes and meta to samples already stored (`--update`).
    public var update = false
    public init() {}
}

/// The outcome of importing one file (SPEC section 11, `import --json`).
public struct ImportResult: Codable, Sendable, Equatable {
    public var path: String
    public var format: String
    @NullEncodable public var kind: String?
    public var read = 0
    public var imported = 0
    public var duplicates = 0
    public var labelConflicts = 0
    public var rejected = 0
    public var seconds = 0.0
    /// `imported`, or `unchanged` when this exact file was imported before.
    public var status = "imported"
    /// Malformed records (first 100), reported in skip mode.
    public var problems: [String]? = nil
    /// Fields the mapping ignored that look like a label or an id.
    public var warnings: [String]? = nil
    /// With `status` unchanged: how to apply other options to this file (`--update`).
    public var note: String? = nil
    /// With `--update`: samples given the file's label, scenes or meta; records not in the store.
    public var updated: Int? = nil
    public var notStored: Int? = nil

    enum CodingKeys: String, CodingKey {
        case path, format, kind, read, imported, duplicates
        case labelConflicts = "label_conflicts"
        case rejected, seconds, status, problems, warnings, note, updated
        case notStored = "not_stored"
    }
}

/// Progress of a running import, for a progress bar.
public struct ImportProgress: Sendable {
    public var path: String
    public var bytesRead: Int
    public var totalBytes: Int
    public var records: Int
}

/// Imports corpora into a store: streams each file, maps fields, hashes content, dedups
/// against the store, records every occurrence, and raises label-conflict flags. Each file
/// is one transaction, so a failed or killed import leaves the store as it was before it.
public struct Importer {
    public let store: Store
    public let options: ImportOptions

    public init(store: Store, options: ImportOptions) {
        self.store = store
        self.options = options
    }

    /// Imports one file.
    public func importFile(_ path: String, progress: (@Sendable (ImportProgress) -> Void)? = nil) throws -> ImportResult {
        if options.update { return try updateFile(path) }
        let started = Date()
        let fileSize = try Importer.checkReadable(path)
        let format = try options.format ?? Importer.detectFormat(path)
        var result = ImportResult(path: path, format: format.rawValue)

        // A file of the same size was imported before: hash it first, so re-importing it is cheap.
        let sameSize = try store.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sources WHERE bytes = ?)", arguments: [fileSize]) ?? false
        }
        if sameSize, let previous = try previousImport(sha256: Importer.fileSHA256(path)) {
            result.kind = previous.kind
            result.status = "unchanged"
            result.note = try updateHint(path: path, sourceID: previous.id)
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        let channel = Channel<ParsedMessage>(capacity: 8)
        let parser = Parser(path: path, format: format, options: options, channel: channel)
        let thread = Thread { parser.run() }
        thread.stackSize = 8 << 20
        thread.start()
        defer { channel.cancel() }

        let outcome: WriteOutcome
        do {
            outcome = try store.pool.write { db in
                try Writer(db: db, path: path, format: format, options: options, fileSize: fileSize,
                           started: started, progress: progress).consume(channel)
            }
        } catch let error as DatabaseError {
            throw Store.translate(error, path: store.path)
        } catch Writer.Stop.alreadyImported(let kind) {
            result.kind = kind
            result.status = "unchanged"
            result.seconds = Date().timeIntervalSince(started)
            return result
        }
        result = outcome.result
        result.seconds = Date().timeIntervalSince(started)
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "UPDATE sources SET seconds = ? WHERE id = ?", arguments: [result.seconds, outcome.sourceID])
        }
        if let rejects = options.rejectsPath, !outcome.rejects.isEmpty {
            try Importer.appendRejects(outcome.rejects, path: path, to: rejects)
        }
        return result
    }

    private func updateHint(path: String, sourceID: Int64) throws -> String? {
        let stored = try store.pool.read { try String.fetchOne($0, sql: "SELECT options FROM sources WHERE id = ?", arguments: [sourceID]) }
        return Importer.updateHint(path: path, storedOptions: stored, options: options)
    }

    private func previousImport(sha256: String) throws -> (id: Int64, kind: String)? {
        try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, kind FROM sources WHERE sha256 = ?", arguments: [sha256])
                .map { ($0["id"], $0["kind"]) }
        }
    }

    /// The file size, after refusing missing files, directories, empty and binary files.
    static func checkReadable(_ path: String) throws -> Int {
        let source = try ByteSource(path: path)
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 1)
        defer { head.deallocate() }
        let n = try source.read(into: head)
        let bytes = UnsafeRawBufferPointer(rebasing: head[0..<n])
        if n == 0 {
            throw WinnowError.unreadableInput(path: path, reason: "the file is empty; nothing to import")
        }
        // A NUL on the first line means binary data (or UTF-16); later NULs are reported per line.
        let firstLine = bytes.firstIndex(of: 0x0A) ?? n
        if let base = bytes.baseAddress, let nul = memchr(base, 0, firstLine) {
            throw WinnowError.unreadableInput(path: path, reason: "this looks like a binary file (NUL byte at offset \(base.distance(to: UnsafeRawPointer(nul)))), not UTF-8 JSONL, JSON, CSV or TSV; check the path (UTF-16 files must be re-encoded as UTF-8)")
        }
        if n < head.count && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw WinnowError.unreadableInput(path: path, reason: "the file holds only white space; nothing to import")
        }
        return fileSize
    }

    /// The format from the file name, looking at the first byte when the name says `.json`
    /// (many `.json` files are really JSON Lines).
    static func detectFormat(_ path: String) throws -> InputFormat {
        guard let guessed = InputFormat.guess(path: path) else {
            throw WinnowError.unreadableInput(path: path, reason: "cannot tell the format from the file name; pass --format jsonl, json, csv or tsv")
        }
        if guessed == .json {
            let source = try ByteSource(path: path)
            let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
            defer { head.deallocate() }
            let n = try source.read(into: head)
            if let first = head[0..<n].first(where: { ![0x20, 0x0A, 0x0D, 0x09, 0xEF, 0xBB, 0xBF].contains($0) }),
               first == UInt8(ascii: "{") {
                return .jsonl
            }
        }
        return guessed
    }

    /// SHA-256 of a file's bytes.
    static func fileSHA256(_ path: String) throws -> String {
        // ByteSource hashes the bytes on disk as it reads them: drain it.
        let source = try ByteSource(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ByteSource.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while try source.read(into: buffer) > 0 {}
        return source.fileDigest()
    }

    static func appendRejects(_ rejects: [(RecordProblem, String?)], path: String, to rejectsPath: String) throws {
        var text = ""
        for (problem, raw) in rejects {
            text += "{\"file\":\(JSONText.quote(path)),\"line\":\(problem.line),\"reason\":\(JSONText.quote(problem.reason))"
            if let raw { text += ",\"raw\":\(JSONText.quote(raw))" }
            text += "}\n"
        }
        guard let data = text.data(using: .utf8) else { return }
        if !FileManager.default.fileExists(atPath: rejectsPath) {
            guard FileManager.default.createFile(atPath: rejectsPath, contents: nil) else {
                throw WinnowError.invalidArgument("cannot create the rejects file \(rejectsPath); check that its folder exists and is writable")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: rejectsPath) else {
            throw WinnowError.invalidArgument("cannot write the rejects file \(rejectsPath); check its permissions")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}

// MARK: - Parsing thread

/// Reads, maps, normalises and hashes records on its own thread.
private final class Parser: @unchecked Sendable {
    let path: String
    let format: InputFormat
    let options: ImportOptions
    let channel: Channel<ParsedMessage>
    static let batchSize = 256

    init(path: String, format: InputFormat, options: ImportOptions, channel: Channel<ParsedMessage>) {
        self.path = path
        self.format = format
        self.options = options
        self.channel = channel
    }

    func run() {
        do {
            try parse()
        } catch {
            _ = channel.send(.failed(error))
        }
        channel.close()
    }

    private func parse() throws {
        let source = try ByteSource(path: path)
        let lines = LineReader(source: source, maxLineBytes: options.maxRecordBytes)
        let (records, header) = try makeRecordReader(lines, format: format, maxRecordBytes: options.maxRecordBytes)
        let reader = try MappingLookahead(records, header: header, path: path, kind: options.kind, overrides: options.map,
                                          strict: options.strictMap)
        let builder = RecordBuilder(mapping: reader.mapping)
        if reader.resolved { _ = channel.send(.mapping(reader.mapping)) }
        var pending: [ParsedItem] = []
        pending.reserveCapacity(Parser.batchSize)
        func flush() -> Bool {
            if pending.isEmpty { return true }
            let ok = channel.send(.batch(pending, rawBytes: source.rawBytes))
            pending.removeAll(keepingCapacity: true)
            return ok
        }
        while let item = try reader.next() {
            switch item {
            case .bad(let problem, let raw):
                pending.append(.bad(problem, raw: raw))
            case .record(let line, let fields):
                do {
                    pending.append(.record(try builder.build(fields, line: line)))
                } catch {
                    pending.append(.bad(RecordProblem(line: line, reason: error.reason), raw: nil))
                }
            }
            if pending.count >= Parser.batchSize, !flush() { return }
        }
        if !reader.resolved && pending.isEmpty {
            throw WinnowError.unreadableInput(path: path, reason: "the file holds no records; nothing to import")
        }
        let warnings = try reader.finish()
        if !warnings.isEmpty { _ = channel.send(.warnings(warnings)) }
        guard flush() else { return }
        _ = channel.send(.finished(sha256: source.fileDigest(), compressed: source.compressed))
    }
}

// MARK: - Writing (inside the import's transaction)

struct WriteOutcome: Sendable {
    var result: ImportResult
    var sourceID: Int64
    var rejects: [(RecordProblem, String?)]
}

/// Writes one file's records into the store through prepared statements.
private final class Writer {
    enum Stop: Error { case alreadyImported(kind: String?) }

    let db: Database
    let path: String
    let format: InputFormat
    let options: ImportOptions
    let fileSize: Int
    let started: Date
    let progress: (@Sendable (ImportProgress) -> Void)?
    let now: String

    var result: ImportResult
    var sourceID: Int64 = 0
    var mapping: FieldMapping?
    var nextSample: Int64 = 0
    var nextContent: Int64 = 0
    var nextRevision: Int64 = 0
    var problems: [(RecordProblem, String?)] = []
    var problemCount = 0
    /// New samples per (dimension, category), added to `scene_counts` at the end of the file.
    var sceneTally: [String: [String: Int]] = [:]
    var lastProgress = Date.distantPast

    // Prepared statements.
    var lookup: Statement!
    var insertSample: Statement!
    var insertContent: Statement!
    var insertRevision: Statement!
    var insertOccurrence: Statement!
    var insertScene: Statement!
    var openConflict: Statement!
    var insertFlag: Statement!

    init(db: Database, path: String, format: InputFormat, options: ImportOptions, fileSize: Int, started: Date,
         progress: (@Sendable (ImportProgress) -> Void)?) {
        self.db = db
        self.path = path
        self.format = format
        self.options = options
        self.fileSize = fileSize
        self.started = started
        self.progress = progress
        self.now = Timestamp.string(started)
        self.result = ImportResult(path: path, format: format.rawValue)
    }

    func consume(_ channel: Channel<ParsedMessage>) throws -> WriteOutcome {
        while let message = channel.receive() {
            switch message {
            case .failed(let error):
                throw error
            case .mapping(let mapping):
                try begin(mapping)
            case .warnings(let warnings):
                result.warnings = warnings
            case .batch(let items, let rawBytes):
                for item in items { try handle(item) }
                report(rawBytes: rawBytes)
                Faults.point("import")
            case .finished(let sha256, let compressed):
                return try finish(sha256: sha256, compressed: compressed)
            }
        }
        throw WinnowError.unreadableInput(path: path, reason: "reading stopped before the end of the file")
    }

    private func begin(_ mapping: FieldMapping) throws {
        self.mapping = mapping
        result.kind = mapping.kind.rawValue
        nextSample = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM samples") ?? 0) + 1
        nextContent = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM contents") ?? 0) + 1
        nextRevision = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM revisions") ?? 0) + 1
        let options = "{\"mapping\":\(mapping.json),\"on_error\":\(JSONText.quote(self.options.onError.rawValue))}"
        try db.execute(sql: """
            INSERT INTO sources (path, name, format, compressed, kind, sha256, bytes, options, imported_at)
            VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)
            """, arguments: [path, (path as NSString).lastPathComponent, format.rawValue, mapping.kind.rawValue,
                             "pending:" + UUID().uuidString, fileSize, options, now])
        sourceID = db.lastInsertedRowID
        lookup = try db.makeStatement(sql: """
            SELECT c.sample_id, c.id, r.label FROM contents c
            JOIN samples s ON s.id = c.sample_id JOIN revisions r ON r.id = s.revision_id
            WHERE c.hash = ?
            """)
        insertSample = try db.makeStatement(sql: """
            INSERT INTO samples (id, uid, kind, revision_id, source_id, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        insertContent = try db.makeStatement(sql: """
            INSERT INTO contents (id, sample_id, hash, text, text_a, text_b, instruction, input, output, messages)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertRevision = try db.makeStatement(sql: """
            INSERT INTO revisions (id, sample_id, content_id, label, score, origin, created_at) VALUES (?, ?, ?, ?, ?, 'import', ?)
            """)
        insertOccurrence = try db.makeStatement(sql: """
            INSERT INTO occurrences (source_id, line, sample_id, record_id, label) VALUES (?, ?, ?, ?, ?)
            """)
        insertScene = try db.makeStatement(sql: """
            INSERT INTO scene_annotations (sample_id, dimension, category, origin, source_id, created_at) VALUES (?, ?, ?, 'import', ?, ?)
            """)
        openConflict = try db.makeStatement(sql: """
            SELECT 1 FROM flags WHERE sample_id = ? AND detector = 'label-conflict' AND status = 'open'
            """)
        insertFlag = try db.makeStatement(sql: """
            INSERT INTO flags (sample_id, content_id, detector, source_id, score, reason, details, created_at)
            VALUES (?, ?, 'label-conflict', ?, 1.0, ?, ?, ?)
            """)
    }

    private func handle(_ item: ParsedItem) throws {
        result.read += 1
        switch item {
        case .bad(let problem, let raw):
            reject(problem, raw: raw)
        case .record(let record):
            // In abort mode too: the transaction is rolled back at the end, but storing finds the
            // problems only the store can see (an id already used), so the report is complete.
            try store(record)
        }
    }

    private func reject(_ problem: RecordProblem, raw: String?) {
        problemCount += 1
        result.rejected += 1
        if options.onError == .skip || problems.count < 100 {
            problems.append((problem, raw))
        }
    }

    private func store(_ record: PreparedRecord) throws {
        let lookup = self.lookup!.sqliteStatement
        sqlite3_reset(lookup)
        record.hash.withUnsafeBytes { _ = sqlite3_bind_blob(lookup, 1, $0.baseAddress, 32, SQLITE_TRANSIENT_) }
        let found = try stepRow(lookup)
        if found {
            // The same content is stored already: record this occurrence only.
            let sampleID = sqlite3_column_int64(lookup, 0)
            let contentID = sqlite3_column_int64(lookup, 1)
            let storedLabel: String? = sqlite3_column_type(lookup, 2) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(lookup, 2))
            sqlite3_reset(lookup)
            result.duplicates += 1
            try occurrence(record, sampleID: sampleID)
            if let label = record.label, let storedLabel, label != storedLabel {
                result.labelConflicts += 1
                try raiseConflict(sampleID: sampleID, contentID: contentID, stored: storedLabel, record: record)
            }
            return
        }
        sqlite3_reset(lookup)
        let sampleID = nextSample, contentID = nextContent, revisionID = nextRevision
        let uid = record.recordID ?? ContentHash.derivedUID(record.hash)

        let s = insertSample!.sqliteStatement
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, sampleID)
        bindText(s, 2, uid)
        bindText(s, 3, record.content.kind.rawValue)
        sqlite3_bind_int64(s, 4, revisionID)
        sqlite3_bind_int64(s, 5, sourceID)
        bindText(s, 6, record.meta)
        bindText(s, 7, now)
        let code = sqlite3_step(s)
        if code != SQLITE_DONE {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(s)
            if code & 0xFF == SQLITE_CONSTRAINT && message.contains("samples.uid") {
                reject(RecordProblem(line: record.line, reason: "id '\(uid)' is already used by another sample with different content; give each record its own id, or pass --map id= to derive uids from the content"), raw: nil)
                return
            }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        nextSample += 1; nextContent += 1; nextRevision += 1

        let c = insertContent!.sqliteStatement
        sqlite3_reset(c)
        sqlite3_bind_int64(c, 1, contentID)
        sqlite3_bind_int64(c, 2, sampleID)
        record.hash.withUnsafeBytes { _ = sqlite3_bind_blob(c, 3, $0.baseAddress, 32, SQLITE_TRANSIENT_) }
        for index in 4...10 { sqlite3_bind_null(c, Int32(index)) }
        switch record.content {
        case .text(let text):
            bindText(c, 4, text)
        case .pair(let a, let b):
            bindText(c, 5, a); bindText(c, 6, b)
        case .instruction(let instruction, let input, let output):
            bindText(c, 7, instruction); bindText(c, 8, input); bindText(c, 9, output)
        case .chat(let messages):
            bindText(c, 10, SampleContent.messagesJSON(messages))
        }
        try stepDone(c)

        let r = insertRevision!.sqliteStatement
        sqlite3_reset(r)
        sqlite3_bind_int64(r, 1, revisionID)
        sqlite3_bind_int64(r, 2, sampleID)
        sqlite3_bind_int64(r, 3, contentID)
        bindText(r, 4, record.label)
        if let score = record.score { sqlite3_bind_double(r, 5, score) } else { sqlite3_bind_null(r, 5) }
        bindText(r, 6, now)
        try stepDone(r)

        try occurrence(record, sampleID: sampleID)
        for (dimension, category) in record.scenes {
            let a = insertScene!.sqliteStatement
            sqlite3_reset(a)
            sqlite3_bind_int64(a, 1, sampleID)
            bindText(a, 2, dimension)
            bindText(a, 3, category)
            sqlite3_bind_int64(a, 4, sourceID)
            bindText(a, 5, now)
            try stepDone(a)
            sceneTally[dimension, default: [:]][category, default: 0] += 1
        }
        result.imported += 1
    }

    private func occurrence(_ record: PreparedRecord, sampleID: Int64) throws {
        let o = insertOccurrence!.sqliteStatement
        sqlite3_reset(o)
        sqlite3_bind_int64(o, 1, sourceID)
        sqlite3_bind_int64(o, 2, Int64(record.line))
        sqlite3_bind_int64(o, 3, sampleID)
        bindText(o, 4, record.recordID)
        bindText(o, 5, record.label)
        try stepDone(o)
    }

    private func raiseConflict(sampleID: Int64, contentID: Int64, stored: String, record: PreparedRecord) throws {
        let q = openConflict!.sqliteStatement
        sqlite3_reset(q)
        sqlite3_bind_int64(q, 1, sampleID)
        let exists = try stepRow(q)
        sqlite3_reset(q)
        if exists { return }
        let f = insertFlag!.sqliteStatement
        sqlite3_reset(f)
        sqlite3_bind_int64(f, 1, sampleID)
        sqlite3_bind_int64(f, 2, contentID)
        sqlite3_bind_int64(f, 3, sourceID)
        let name = (path as NSString).lastPathComponent
        bindText(f, 4, "same content labelled '\(stored)' before and '\(record.label ?? "")' at \(name):\(record.line)")
        bindText(f, 5, "{\"labels\":[\(JSONText.quote(stored)),\(JSONText.quote(record.label ?? ""))],\"file\":\(JSONText.quote(path)),\"line\":\(record.line)}")
        bindText(f, 6, now)
        try stepDone(f)
    }

    private func report(rawBytes: Int) {
        guard let progress else { return }
        let now = Date()
        if now.timeIntervalSince(lastProgress) < 0.2 { return }
        lastProgress = now
        progress(ImportProgress(path: path, bytesRead: rawBytes, totalBytes: fileSize, records: result.read))
    }

    private func finish(sha256: String, compressed: Bool) throws -> WriteOutcome {
        guard mapping != nil else {
            let first = problems.first.map { " (first at line \($0.0.line): \($0.0.reason))" } ?? ""
            throw WinnowError.unreadableInput(path: path, reason: "no valid record in the file: \(problemCount) malformed\(first); check the format (--format) and the field mapping (--map)")
        }
        if problemCount > 0 && options.onError == .abort {
            throw WinnowError.badRecords(path: path, problems: problems.map(\.0), total: problemCount)
        }
        if let kind = try String.fetchOne(db, sql: "SELECT kind FROM sources WHERE sha256 = ?", arguments: [sha256]) {
            throw Stop.alreadyImported(kind: kind)
        }
        for (dimension, categories) in sceneTally {
            for (category, count) in categories {
                try db.execute(sql: """
                    INSERT INTO scene_counts (dimension, category, count) VALUES (?, ?, ?)
                    ON CONFLICT (dimension, category) DO UPDATE SET count = count + excluded.count
                    """, arguments: [dimension, category, count])
            }
        }
        try db.execute(sql: """
            UPDATE sources SET sha256 = ?, compressed = ?, read = ?, imported = ?, duplicates = ?,
                label_conflicts = ?, rejected = ? WHERE id = ?
            """, arguments: [sha256, compressed, result.read, result.imported, result.duplicates,
                             result.labelConflicts, result.rejected, sourceID])
        if !problems.isEmpty {
            result.problems = problems.prefix(100).map { "\(path):\($0.0.line): \($0.0.reason)" }
        }
        return WriteOutcome(result: result, sourceID: sourceID, rejects: problems)
    }

    // MARK: SQLite helpers

    private func bindText(_ statement: OpaquePointer?, _ index: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(statement, index); return }
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                  Int32(bytes.count), SQLITE_TRANSIENT_)
        }
    }

    private func stepDone(_ statement: OpaquePointer?) throws {
        let code = sqlite3_step(statement)
        if code != SQLITE_DONE {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
    }

    private func stepRow(_ statement: OpaquePointer?) throws -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }
}

/// SQLite's SQLITE_TRANSIENT, which Swift cannot import as a macro.
let SQLITE_TRANSIENT_ = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Timestamps as stored: UTC ISO-8601 with milliseconds.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
