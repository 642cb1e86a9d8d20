import Foundation
import GRDB

extension Importer {
    /// Reads the whole file without writing and throws every malformed record (and every id
    /// already used by other content), so that `--on-error abort` never shows a bad file.
    func check(
        _ input: InputFile, format: InputFormat, sha256: String,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) throws {
        let display = input.displayPath
        let channel = startParser(input, format: format)
        defer { channel.cancel() }
        let fileSize = input.size
        // Memory stays bounded: this pass's connection gets a small page cache (and is closed
        // after), and the file's new contents are remembered by 8 bytes of their hash (a clash of
        // two 64-bit prefixes only skips one id check, which the writing pass makes again).
        defer { store.releaseMemory() }
        try store.read { db in
            try db.execute(sql: "PRAGMA cache_size = -16384")
            let known = try db.makeStatement(sql: "SELECT 1 FROM contents WHERE hash = ?")
            let taken = try db.makeStatement(sql: "SELECT 1 FROM samples WHERE uid = ?")
            var newHashes = Set<UInt64>()
            var newUIDs = Set<String>() // the records' own ids (derived ones follow the hash)
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
                    break // reported by the writing pass
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
                                problem(RecordProblem(line: record.line, reason: ImportWriter.uidTaken(uid)))
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
                        throw WinnowError.unreadableInput(
                            path: display, reason: "no valid record in the file: \(total) malformed\(first); check the format (--format) and the field mapping (--map)")
                    }
                    if total > 0 { throw WinnowError.badRecords(path: display, problems: problems, total: total) }
                    return
                }
            }
            throw WinnowError.unreadableInput(path: display, reason: "reading stopped before the end of the file")
        }
    }
}
