import Crypto
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
    /// Which pass over the file: `checking` (abort mode reads it whole first) or `importing`.
    public var phase: Phase

    public enum Phase: String, Sendable { case checking, importing }
}

/// Imports corpora into a store: streams each file, maps fields, hashes content, dedups
/// against the store, records every occurrence, and raises label-conflict flags, in short
/// batches that let other writers in (see `importFile`).
public struct Importer {
    public let store: Store
    public let options: ImportOptions

    public init(store: Store, options: ImportOptions) {
        self.store = store
        self.options = options
    }

    /// Imports one file (or standard input, as `-`).
    ///
    /// A file becomes visible batch by batch: each batch of records is its own short
    /// transaction (SPEC section 9: other writers wait at most one batch), and the file's
    /// `sources` row is marked pending (`PendingImport`) until the last one. With
    /// `--on-error abort` the whole file is checked first, without writing, so nothing of a
    /// bad file is ever visible. A killed import leaves the batches it committed; running
    /// it again resumes after them and ends as an uninterrupted import would have.
    public func importFile(_ path: String, progress: (@Sendable (ImportProgress) -> Void)? = nil) throws -> ImportResult {
        if options.update { return try updateFile(path) }
        let started = Date()
        try refuseStoreFile(path)
        let input = try InputFile(path: path)
        let display = input.displayPath
        let fileSize = try Importer.checkReadable(input.readPath, display: display)
        let format = try options.format ?? Importer.detectFormat(input.readPath, display: display, sniff: input.spooled)
        if let rejectsPath = options.rejectsPath { try Importer.prepareRejects(rejectsPath) }
        var result = ImportResult(path: display, format: format.rawValue)

        let sha256 = try Importer.fileSHA256(input.readPath, display: display)
        var announced = false
        let waitStarted = Date()
        while true {
            var resume: PendingImport.Interrupted?
            switch try PendingImport.state(store: store, sha256: sha256) {
            case .complete(let kind, let sourceID):
                result.kind = kind
                result.status = "unchanged"
                result.note = try updateHint(path: display, sourceID: sourceID)
                result.seconds = Date().timeIntervalSince(started)
                return result
            case .running(let pid):
                // The same bytes are being imported by another process: wait for it, then
                // this import finds them imported.
                if Date().timeIntervalSince(waitStarted) > BusyWait.limit {
                    throw WinnowError.invalidArgument("\(display) is still being imported by process \(pid); run this import again when it has finished")
                }
                if !announced {
                    announced = true
                    BusyWait.report("waiting for process \(pid), which is importing the same file (\(display)), to finish…")
                }
                usleep(100_000)
                continue
            case .interrupted(let interrupted):
                resume = interrupted
            case .new:
                break
            }
            if options.onError == .abort {
                try check(input.readPath, display: display, format: format, sha256: sha256, progress: progress)
            }
            do {
                return try write(input.readPath, display: display, format: format, fileSize: fileSize,
                                 sha256: sha256, started: started, resume: resume, progress: progress)
            } catch Writer.Restart.anotherImport {
                continue   // another process took the same file in the meantime: look again
            }
        }
    }

    /// Writes the file in batches, each its own transaction; see `importFile`.
    private func write(_ readPath: String, display: String, format: InputFormat, fileSize: Int, sha256: String,
                       started: Date, resume: PendingImport.Interrupted?,
                       progress: (@Sendable (ImportProgress) -> Void)?) throws -> ImportResult {
        let channel = startParser(readPath, display: display, format: format)
        defer { channel.cancel() }

        let writer = Writer(path: display, format: format, options: options, fileSize: fileSize, sha256: sha256,
                            started: started, resume: resume, progress: progress)
        writer.carried = channel.receive()
        var committed = 0
        do {
            var finished = false
            while !finished {
                finished = try store.writeImmediate { db in
                    try writer.batch(db: db, channel: channel, yield: { store.writersWaiting })
                }
                if finished { break }
                if writer.hasSource { committed += 1 }
                Faults.point("import")   // after each committed batch but the last
                // Let writers waiting for the lock (reviewers, SPEC section 9) in between batches.
                var paused: UInt32 = 0
                repeat {
                    usleep(Importer.pauseBetweenBatches)
                    paused += Importer.pauseBetweenBatches
                } while store.writersWaiting && paused < 50_000
            }
        } catch let error as DatabaseError {
            let reason = Store.translate(error, path: store.path)
            if committed == 0 && resume == nil { throw reason }
            var why = reason.detail
            if case .writeFailed(let path, let detail) = reason { why = "writing \(path) failed: \(detail)" }
            throw WinnowError.importUnfinished(path: display, stored: writer.storedRecords, reason: why)
        } catch let error as WinnowError where committed > 0 || resume != nil {
            if case .importUnfinished = error { throw error }
            if case .badRecords = error { throw error }   // says so itself
            throw WinnowError.importUnfinished(path: display, stored: writer.storedRecords, reason: error.description)
        } catch WinnowError.badRecords(let path, let problems, let total, _) {
            throw WinnowError.badRecords(path: path, problems: problems, total: total)   // nothing was committed
        }
        if let problem = writer.fileProblem {
            throw WinnowError.unreadableInput(path: display, reason: "\(problem.detail); the \(writer.result.imported) new samples read before it were imported (--on-error skip) and the import is complete — make a whole copy of the file and import it to add the rest")
        }
        var result = writer.result
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    private func updateHint(path: String, sourceID: Int64) throws -> String? {
        let stored = try store.pool.read { try String.fetchOne($0, sql: "SELECT options FROM sources WHERE id = ?", arguments: [sourceID]) }
        return Importer.updateHint(path: path, storedOptions: stored, options: options)
    }

    /// Starts the parsing thread over the file; its records arrive on the returned channel.
    private func startParser(_ readPath: String, display: String, format: InputFormat) -> Channel<ParsedMessage> {
        let channel = Channel<ParsedMessage>(capacity: 8)
        let parser = Parser(path: readPath, display: display, format: format, options: options, channel: channel)
        let thread = Thread { parser.run() }
        thread.stackSize = 8 << 20
        thread.start()
        return channel
    }

    /// Refuses the store's own files as input: opening and closing a descriptor of the store
    /// would drop this process's SQLite locks on it (see `Store.lock`).
    func refuseStoreFile(_ path: String) throws {
        var input = stat()
        guard stat(path, &input) == 0 else { return }
        for name in [store.path, store.path + "-wal", store.path + "-shm"] {
            var info = stat()
            if stat(name, &info) == 0 && info.st_dev == input.st_dev && info.st_ino == input.st_ino {
                throw WinnowError.unreadableInput(path: path, reason: "this is the store's own file (\(name)), not a corpus; pass the files to import, or another --db")
            }
        }
    }

    /// The file's bytes differ from those first read (it is still being written, say).
    static func changedWhileImported(_ path: String) -> WinnowError {
        .unreadableInput(path: path, reason: "the file changed while it was being imported (its SHA-256 is not the one read first); wait until it is complete, then import it again")
    }

    /// Microseconds of each pause between two batches of an import, in which waiting writers
    /// take the lock (the pause goes on, up to 50 ms, while one still waits).
    static let pauseBetweenBatches: UInt32 = 2000
    /// Longest a batch of an import holds the write lock, in seconds. A batch ends sooner, within
    /// 256 records, as soon as another writer waits: every commit rewrites the random-order index
    /// pages it touched (content hash, uid), so long batches when no one waits keep the import
    /// fast, and short ones when someone does keep the wait short (RELIABILITY K3).
    static let batchSeconds: Double = {
        // WINNOW_IMPORT_BATCH_SECONDS: a tuning knob (and how the kill tests get many batches).
        if let text = ProcessInfo.processInfo.environment["WINNOW_IMPORT_BATCH_SECONDS"], let value = Double(text),
           value.isFinite, value > 0 { return min(value, 60) }
        return 2
    }()

    /// Reads the whole file without writing and throws every malformed record (and every id
    /// already used by other content), so that `--on-error abort` never shows a bad file.
    private func check(_ readPath: String, display: String, format: InputFormat, sha256: String,
                       progress: (@Sendable (ImportProgress) -> Void)?) throws {
        let channel = startParser(readPath, display: display, format: format)
        defer { channel.cancel() }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: readPath)[.size] as? Int) ?? 0
        // Memory stays bounded: this pass's connection gets a small page cache (and is closed
        // after), and the file's new contents are remembered by 8 bytes of their hash (a clash of
        // two 64-bit prefixes only skips one id check, which the writing pass makes again).
        defer { store.pool.releaseMemory() }
        try store.pool.read { db in
            try db.execute(sql: "PRAGMA cache_size = -16384")
            let known = try db.makeStatement(sql: "SELECT 1 FROM contents WHERE hash = ?")
            let taken = try db.makeStatement(sql: "SELECT 1 FROM samples WHERE uid = ?")
            var newHashes = Set<UInt64>()
            var newUIDs = Set<String>()   // the records' own ids (derived ones follow the hash)
            var problems: [RecordProblem] = []
            var total = 0
            var records = 0
            var sawMapping = false
            var lastProgress = Date.distantPast
            func problem(_ p: RecordProblem) {
                total += 1
                if problems.count < 100 { problems.append(p) }
            }
            while let message = channel.receive() {
                switch message {
                case .failed(let error):
                    throw error
                case .mapping:
                    sawMapping = true
                case .warnings:
                    break   // reported by the writing pass
                case .batch(let items, let rawBytes):
                    for item in items {
                        records += 1
                        switch item {
                        case .bad(let p, _):
                            problem(p)
                        case .record(let record):
                            let prefix = record.hash.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                            if newHashes.contains(prefix) { continue }
                            let hash = Data(record.hash)
                            if try Bool.fetchOne(known, arguments: [hash]) == true { continue }
                            let uid: String = record.recordID ?? ContentHash.derivedUID(record.hash)
                            let inStore: Bool = try Bool.fetchOne(taken, arguments: [uid]) ?? false
                            if newUIDs.contains(uid) || inStore {
                                problem(RecordProblem(line: record.line, reason: Writer.uidTaken(uid)))
                                continue
                            }
                            newHashes.insert(prefix)
                            if record.recordID != nil { newUIDs.insert(uid) }
                        }
                    }
                    if let progress, Date().timeIntervalSince(lastProgress) >= 0.2 {
                        lastProgress = Date()
                        progress(ImportProgress(path: display, bytesRead: rawBytes, totalBytes: fileSize, records: records, phase: .checking))
                    }
                case .finished(let digest, _):
                    if digest != sha256 { throw Importer.changedWhileImported(display) }
                    guard sawMapping else {
                        let first = problems.first.map { " (first at line \($0.line): \($0.reason))" } ?? ""
                        throw WinnowError.unreadableInput(path: display, reason: "no valid record in the file: \(total) malformed\(first); check the format (--format) and the field mapping (--map)")
                    }
                    if total > 0 { throw WinnowError.badRecords(path: display, problems: problems, total: total) }
                    return
                }
            }
            throw WinnowError.unreadableInput(path: display, reason: "reading stopped before the end of the file")
        }
    }

    /// The file size, after refusing missing files, directories, empty and binary files.
    /// `display` names the input in messages (standard input is read from a spooled copy).
    static func checkReadable(_ path: String, display: String? = nil) throws -> Int {
        let display = display ?? path
        let source = try ByteSource(path: path, display: display)
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 1)
        defer { head.deallocate() }
        let n = try source.read(into: head)
        let bytes = UnsafeRawBufferPointer(rebasing: head[0..<n])
        if n == 0 {
            throw WinnowError.unreadableInput(path: display, reason: "the file is empty; nothing to import")
        }
        // A NUL on the first line means binary data (or UTF-16); later NULs are reported per line.
        let firstLine = bytes.firstIndex(of: 0x0A) ?? n
        if let base = bytes.baseAddress, let nul = memchr(base, 0, firstLine) {
            throw WinnowError.unreadableInput(path: display, reason: "this looks like a binary file (NUL byte at offset \(base.distance(to: UnsafeRawPointer(nul)))), not UTF-8 JSONL, JSON, CSV or TSV; check the path (UTF-16 files must be re-encoded as UTF-8)")
        }
        if n < head.count && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw WinnowError.unreadableInput(path: display, reason: "the file holds only white space; nothing to import")
        }
        return fileSize
    }

    /// The format from the file name, looking at the first byte when the name says `.json`
    /// (many `.json` files are really JSON Lines). With `sniff` (standard input, a pipe: no
    /// name to go by) the format is read off the first bytes alone.
    static func detectFormat(_ path: String, display: String? = nil, sniff: Bool = false) throws -> InputFormat {
        let display = display ?? path
        let guessed = sniff ? nil : InputFormat.guess(path: path)
        if guessed != nil && guessed != .json { return guessed! }
        let source = try ByteSource(path: path, display: display)
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 1)
        defer { head.deallocate() }
        let n = try source.read(into: head)
        let bytes = Array(head[0..<n])
        let first = bytes.first(where: { ![0x20, 0x0A, 0x0D, 0x09, 0xEF, 0xBB, 0xBF].contains($0) })
        if guessed == .json {
            return first == UInt8(ascii: "{") ? .jsonl : .json
        }
        if first == UInt8(ascii: "{") { return .jsonl }
        if first == UInt8(ascii: "[") { return .json }
        let firstLine = bytes.prefix(while: { $0 != 0x0A })
        if firstLine.contains(9) { return .tsv }
        if firstLine.contains(UInt8(ascii: ",")) { return .csv }
        let reason = sniff
            ? "cannot tell the format from the first bytes (not a JSON object or array, no tab or comma in the first line); pass --format jsonl, json, csv or tsv"
            : "cannot tell the format from the file name; pass --format jsonl, json, csv or tsv"
        throw WinnowError.unreadableInput(path: display, reason: reason)
    }

    /// SHA-256 of a file's bytes.
    static func fileSHA256(_ path: String, display: String? = nil) throws -> String {
        // The bytes as they are on disk (a gzip file is not inflated: a damaged one is still
        // named by its hash, and reported by the pass that reads it).
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WinnowError.unreadableInput(path: display ?? path, reason: "\(String(cString: strerror(errno))); check the file's permissions")
        }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ByteSource.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw WinnowError.unreadableInput(path: display ?? path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Makes sure the rejects file can be written before anything is imported: creates it
    /// when missing (empty), and refuses a folder or a file that cannot be appended to.
    public static func prepareRejects(_ rejectsPath: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: rejectsPath, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw WinnowError.invalidArgument("--rejects \(rejectsPath) is a folder; pass a file path (rejects are appended to it as JSONL)")
            }
        } else if !FileManager.default.createFile(atPath: rejectsPath, contents: nil) {
            throw WinnowError.invalidArgument("cannot create the rejects file \(rejectsPath); check that its folder exists and is writable — nothing was imported")
        }
        guard let handle = FileHandle(forWritingAtPath: rejectsPath) else {
            throw WinnowError.invalidArgument("cannot write the rejects file \(rejectsPath); check its permissions — nothing was imported")
        }
        try? handle.close()
    }

    static func appendRejects(_ rejects: [(RecordProblem, String?)], path: String, to rejectsPath: String) throws {
        var text = ""
        for (problem, raw) in rejects {
            text += "{\"file\":\(JSONText.quote(path)),\"line\":\(problem.line),\"reason\":\(JSONText.quote(problem.reason))"
            // Always present: null only where the record's text was not kept (a line over
            // --max-record-bytes, a CSV record whose quoting is broken).
            text += ",\"raw\":\(raw.map(JSONText.quote) ?? "null")"
            text += "}\n"
        }
        guard let data = text.data(using: .utf8) else { return }
        try prepareRejects(rejectsPath)
        guard let handle = FileHandle(forWritingAtPath: rejectsPath) else {
            throw WinnowError.invalidArgument("cannot write the rejects file \(rejectsPath); check its permissions")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw WinnowError.writeFailed(path: rejectsPath, detail: "\(error.localizedDescription) (writing the rejects)")
        }
    }
}

// MARK: - Parsing thread

/// Reads, maps, normalises and hashes records on its own thread.
private final class Parser: @unchecked Sendable {
    let path: String
    let display: String
    let format: InputFormat
    let options: ImportOptions
    let channel: Channel<ParsedMessage>
    static let batchSize = 256

    init(path: String, display: String, format: InputFormat, options: ImportOptions, channel: Channel<ParsedMessage>) {
        self.path = path
        self.display = display
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
        let source = try ByteSource(path: path, display: display)
        let lines = LineReader(source: source, maxLineBytes: options.maxRecordBytes)
        let (records, header) = try makeRecordReader(lines, format: format, maxRecordBytes: options.maxRecordBytes)
        // With --on-error skip the file is written as it is read: a --map field must show in
        // the lookahead window, before anything is written (abort mode checks the whole file).
        let reader = try MappingLookahead(records, header: header, path: display, kind: options.kind, overrides: options.map,
                                          strict: options.strictMap, windowOnly: options.onError == .skip)
        let builder = RecordBuilder(mapping: reader.mapping)
        let keepRaw = options.rejectsPath != nil && options.onError == .skip
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
                    var record = try builder.build(fields, line: line)
                    // A record with its own id may yet be refused by the store (the id is taken):
                    // with a rejects file it carries its text along for that case.
                    if keepRaw && record.recordID != nil { record.raw = reader.lastRaw }
                    pending.append(.record(record))
                } catch {
                    pending.append(.bad(RecordProblem(line: line, reason: error.reason), raw: reader.lastRaw))
                }
            }
            if pending.count >= Parser.batchSize, !flush() { return }
        }
        if !reader.resolved && pending.isEmpty {
            throw WinnowError.unreadableInput(path: display, reason: "the file holds no records; nothing to import")
        }
        let warnings = try reader.finish()
        if !warnings.isEmpty { _ = channel.send(.warnings(warnings)) }
        guard flush() else { return }
        _ = channel.send(.finished(sha256: source.fileDigest(), compressed: source.compressed))
    }
}

// MARK: - Writing (inside the import's transaction)

/// Writes one file's records into the store through prepared statements, one short
/// transaction (`batch`) at a time.
private final class Writer {
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

    init(path: String, format: InputFormat, options: ImportOptions, fileSize: Int, sha256: String, started: Date,
         resume: PendingImport.Interrupted?, progress: (@Sendable (ImportProgress) -> Void)?) {
        self.path = path
        self.format = format
        self.options = options
        self.fileSize = fileSize
        self.sha256 = sha256
        self.started = started
        self.resume = resume
        self.progress = progress
        self.now = Timestamp.string(started)
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
        committedRead = result.read   // the caller commits this batch
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
                throw WinnowError.invalidArgument("\(path) was partly imported by an interrupted run with another mapping (\(resume.options)); run the import again with that mapping to finish it, or close it as it is with `winnow import --close-unfinished`")
            }
            // Another process may have taken up the same interrupted import since the look.
            let row = try Row.fetchOne(db, sql: "SELECT sha256, read FROM sources WHERE id = ?", arguments: [sourceID])
            let marker: String? = row?["sha256"]
            let read: Int? = row?["read"]
            let owner = marker.flatMap(PendingImport.owner(of:))
            if (owner != nil && owner != getpid()) || read != resume.read { throw Restart.anotherImport }
            try db.execute(sql: "UPDATE sources SET sha256 = ? WHERE id = ?", arguments: [PendingImport.marker(sha256: sha256), sourceID])
        } else {
            // Checked again inside the transaction: another process may have started the same file.
            if case .new = try PendingImport.state(db: db, sha256: sha256) {} else { throw Restart.anotherImport }
            try db.execute(sql: """
                INSERT INTO sources (path, name, format, compressed, kind, sha256, bytes, options, imported_at)
                VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)
                """, arguments: [path, (path as NSString).lastPathComponent, format.rawValue, mapping.kind.rawValue,
                                 PendingImport.marker(sha256: sha256), fileSize, options, now])
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
           marker != PendingImport.marker(sha256: sha256) {
            throw WinnowError.invalidArgument("\(path): another process took over this import (it judged this one stopped); this process stops here, and that one finishes it")
        }
        nextSample = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM samples") ?? 0) + 1
        nextContent = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM contents") ?? 0) + 1
        nextRevision = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM revisions") ?? 0) + 1
        lookup = try db.makeStatement(sql: """
            SELECT c.sample_id, c.id, r.label FROM contents c
            JOIN samples s ON s.id = c.sample_id JOIN revisions r ON r.id = s.revision_id
            WHERE c.hash = ?
            """)
        insertSample = try db.makeStatement(sql: """
            INSERT INTO samples (id, uid, kind, revision_id, source_id, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        insertContent = try db.makeStatement(sql: """
            INSERT INTO contents (id, sample_id, hash, \(ContentColumns.selectList("")))
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
        if skip > 0 {
            // Counted and stored by the interrupted run; its rejects are written again, whole:
            // the parser's, and those the store made (a record with no occurrence was refused
            // when written: its id was taken).
            skip -= 1
            switch item {
            case .bad(let problem, let raw):
                problems.append((problem, raw)); problemCount += 1
            case .record(let record):
                if try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM occurrences WHERE source_id = ? AND line = ?)",
                                       arguments: [sourceID, record.line]) ?? false) {
                    let uid = record.recordID ?? ContentHash.derivedUID(record.hash)
                    problems.append((RecordProblem(line: record.line, reason: Writer.uidTaken(uid)), record.raw)); problemCount += 1
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
            throw WinnowError.badRecords(path: path, problems: [problem], total: 1, outcome: """
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
                try reject(RecordProblem(line: record.line, reason: Writer.uidTaken(uid)), raw: record.raw)
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
        for (index, value) in ContentColumns.values(record.content).enumerated() {
            if let value { bindText(c, Int32(4 + index), value) } else { sqlite3_bind_null(c, Int32(4 + index)) }
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
        let hit = LabelConflicts.imported(sampleID: sampleID, contentID: contentID, stored: stored, other: record.label ?? "", path: path, line: record.line)
        bindText(f, 4, hit.reason)
        bindText(f, 5, hit.details)
        bindText(f, 6, now)
        try stepDone(f)
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
                try db.execute(sql: """
                    INSERT INTO scene_counts (dimension, category, count) VALUES (?, ?, ?)
                    ON CONFLICT (dimension, category) DO UPDATE SET count = count + excluded.count
                    """, arguments: [dimension, category, count])
            }
        }
        sceneTally = [:]
        try db.execute(sql: """
            UPDATE sources SET read = ?, imported = ?, duplicates = ?, label_conflicts = ?, rejected = ?,
                seconds = seconds + ? WHERE id = ?
            """, arguments: [result.read, result.imported, result.duplicates, result.labelConflicts, result.rejected,
                             seconds ?? 0, sourceID])
    }

    /// The last batch: the counts, the rejects file (written whole before the commit that
    /// completes the import), and the file's real SHA-256 in place of the pending marker.
    private func finish(compressed: Bool) throws {
        guard mapping != nil else {
            let first = problems.first.map { " (first at line \($0.0.line): \($0.0.reason))" } ?? ""
            throw WinnowError.unreadableInput(path: path, reason: "no valid record in the file: \(problemCount) malformed\(first); check the format (--format) and the field mapping (--map)")
        }
        try recordProgress(seconds: Date().timeIntervalSince(started))
        if let rejectsPath = options.rejectsPath, !problems.isEmpty {
            do {
                try Importer.appendRejects(problems, path: path, to: rejectsPath)
            } catch {
                throw WinnowError.invalidArgument("\(error); the import of \(path) is unfinished (the records of its earlier batches, if any, stay; its rejects were not written): fix the rejects path and run the same import again to finish it")
            }
        }
        try db.execute(sql: "UPDATE sources SET sha256 = ?, compressed = ? WHERE id = ?",
                       arguments: [sha256, compressed, sourceID])
        if !problems.isEmpty {
            result.problems = problems.prefix(100).map { "\(path):\($0.0.line): \($0.0.reason)" }
        }
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
