import Foundation
import GRDB

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
        let fileSize = try input.checkReadable()
        let format = try options.format ?? input.detectFormat()
        if let rejectsPath = options.rejectsPath { try Importer.prepareRejects(rejectsPath) }
        var result = ImportResult(path: display, format: format.rawValue)

        let sha256 = try input.sha256()
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
                try check(input, format: format, sha256: sha256, progress: progress)
            }
            do {
                return try write(
                    input, format: format, fileSize: fileSize,
                    sha256: sha256, started: started, resume: resume, progress: progress)
            } catch ImportWriter.Restart.anotherImport {
                continue // another process took the same file in the meantime: look again
            }
        }
    }

    /// Writes the file in batches, each its own transaction; see `importFile`.
    private func write(
        _ input: InputFile, format: InputFormat, fileSize: Int, sha256: String,
        started: Date, resume: PendingImport.Interrupted?,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws -> ImportResult {
        let display = input.displayPath
        let channel = startParser(input, format: format)
        defer { channel.cancel() }

        let writer = ImportWriter(
            path: display, format: format, options: options, fileSize: fileSize, sha256: sha256,
            started: started, stamp: store.clock.now(), resume: resume, progress: progress)
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
                Faults.point("import") // after each committed batch but the last
                // Let writers waiting for the lock (reviewers, SPEC section 9) in between batches.
                var paused: UInt32 = 0
                repeat {
                    usleep(Importer.pauseBetweenBatches)
                    paused += Importer.pauseBetweenBatches
                } while store.writersWaiting && paused < 50_000
            }
        } catch let error as WinnowError where committed > 0 || resume != nil {
            if case .importUnfinished = error { throw error }
            if case .badRecords = error { throw error } // says so itself
            throw WinnowError.importUnfinished(path: display, stored: writer.storedRecords, reason: Importer.unfinishedReason(error))
        } catch WinnowError.badRecords(let path, let problems, let total, _) {
            throw WinnowError.badRecords(path: path, problems: problems, total: total) // nothing was committed
        }
        if let problem = writer.fileProblem {
            throw WinnowError.unreadableInput(
                path: display,
                reason:
                    "\(problem.detail); the \(writer.result.imported) new samples read before it were imported (--on-error skip) and the import is complete — make a whole copy of the file and import it to add the rest"
            )
        }
        var result = writer.result
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    private func updateHint(path: String, sourceID: Int64) throws -> String? {
        let stored = try store.read { try String.fetchOne($0, sql: "SELECT options FROM sources WHERE id = ?", arguments: [sourceID]) }
        return Importer.updateHint(path: path, storedOptions: stored, options: options)
    }

    /// Starts the parsing thread over the file; its records arrive on the returned channel.
    func startParser(_ input: InputFile, format: InputFormat) -> Channel<ParsedMessage> {
        let channel = Channel<ParsedMessage>(capacity: 8)
        let parser = ImportParser(input: input, format: format, options: options, channel: channel)
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

    /// Why an import with committed batches stopped, for `importUnfinished`: a store failure
    /// (as `Store.failure` translated it) by what went wrong, anything else by its message.
    static func unfinishedReason(_ error: WinnowError) -> String {
        switch error {
        case .writeFailed(let path, let detail): return "writing \(path) failed: \(detail)"
        case .storeUnavailable, .storeDamaged: return error.detail
        case .storeBusy: return "the store stayed locked by another process for more than \(Int(BusyWait.limit)) s (WINNOW_BUSY_TIMEOUT)"
        default: return error.description
        }
    }

    /// The file's bytes differ from those first read (it is still being written, say).
    static func changedWhileImported(_ path: String) -> WinnowError {
        .unreadableInput(
            path: path, reason: "the file changed while it was being imported (its SHA-256 is not the one read first); wait until it is complete, then import it again")
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
            value.isFinite, value > 0
        {
            return min(value, 60)
        }
        return 2
    }()
}
