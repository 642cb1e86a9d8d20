import Foundation
import GRDB
#if canImport(Glibc)
    import Glibc
#endif

/// What `winnow backup` wrote.
public struct BackupResult: Codable, Sendable {
    public var path: String
    public var bytes: Int
    public var samples: Int
    public var snapshots: Int
    public var decisions: Int
    public var seconds: Double
}

extension Store {
    /// Writes a consistent, self-contained copy of the store to `destination` while other
    /// processes keep writing: SQLite's online backup API, run inside one read transaction,
    /// into a temporary file beside the destination. The copy is turned into a plain
    /// (rollback-journal) database, checked like `winnow check`, synced, and only then renamed
    /// to `destination`. Refuses an existing file unless `force`, and never writes onto the
    /// store itself, its -wal or -shm, or a file that has a -wal or -shm beside it.
    public func backup(to destination: String, force: Bool) throws -> BackupResult {
        let started = Date()
        let fm = FileManager.default
        try Store.checkBackupTarget(destination, store: path, force: force)
        let url = URL(fileURLWithPath: destination)
        let parent = url.deletingLastPathComponent()
        let temp = parent.appendingPathComponent(".\(url.lastPathComponent).winnow-tmp-\(getpid())").path
        for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: temp + suffix) }
        defer { for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: temp + suffix) } }
        guard fm.createFile(atPath: temp, contents: nil) else {
            throw WinnowError.invalidArgument("cannot write in \(parent.path): the folder is missing or read-only")
        }
        do {
            let copy = try DatabaseQueue(path: temp)
            // One read transaction: the copy is the store as of one commit, whatever others write meanwhile.
            try backup(into: copy)
            // Stand alone: no -wal to need, whatever journal mode the store uses.
            try copy.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
            }
            try copy.close()
        } catch let error as DatabaseError {
            throw Store.backupFailure(error, destination: destination, store: path)
        }
        // The copy must be sound; a snapshot that fails its fingerprint in the store itself fails
        // in the copy too (a damaged store is when a backup is wanted most), so only a
        // difference from the store's own check refuses the copy.
        let check = try Store.check(path: temp)
        let failing = check.snapshots.filter { !$0.ok }.map(\.name)
        let storeFailing = failing.isEmpty ? [] : try Store.check(path: path).snapshots.filter { !$0.ok }.map(\.name)
        guard check.integrity == ["ok"], check.foreignKeyProblems == 0, failing == storeFailing else {
            let what =
                check.integrity != ["ok"]
                ? "integrity: \(check.integrity.prefix(3).joined(separator: "; "))"
                : check.foreignKeyProblems > 0
                    ? "\(check.foreignKeyProblems) foreign key problems"
                    : "snapshots whose fingerprint differs from the store's: \(failing.filter { !storeFailing.contains($0) }.joined(separator: ", "))"
            throw WinnowError.writeFailed(path: destination, detail: "the copy failed its check (\(what)); nothing was written there — run `winnow check` on the store")
        }
        let counts = try Store.readOnly(path: temp) { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshots") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions") ?? 0
            )
        }
        try Store.sync(path: temp)
        // Look again (the destination may have appeared meanwhile), then put the copy in place.
        try Store.checkBackupTarget(destination, store: path, force: force)
        guard rename(temp, destination) == 0 else {
            throw WinnowError.writeFailed(path: destination, detail: String(cString: strerror(errno)))
        }
        try? Store.sync(path: parent.path)
        let bytes = (try? fm.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        return BackupResult(
            path: destination, bytes: bytes, samples: counts.0, snapshots: counts.1, decisions: counts.2,
            seconds: Date().timeIntervalSince(started))
    }

    /// Refuses a backup destination that is the store (by any name), its -wal or -shm, a
    /// folder, a file with a -wal/-shm beside it (a store in use: its log would be replayed
    /// onto the copy), or any existing file unless `force`.
    static func checkBackupTarget(_ destination: String, store: String, force: Bool) throws {
        let real = ExportTarget.resolved(destination), storeReal = ExportTarget.resolved(store)
        for suffix in ["-wal", "-shm", "-journal"] where real == storeReal + suffix {
            throw WinnowError.invalidArgument("\(destination) is the store's \(suffix) file; back up to another file, such as \(store).backup")
        }
        var target = stat(), source = stat()
        guard lstat(destination, &target) == 0 else {
            let parent = URL(fileURLWithPath: destination).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: parent) else {
                throw WinnowError.invalidArgument("cannot write in \(parent): the folder is missing or read-only")
            }
            return
        }
        var resolved = target
        _ = stat(destination, &resolved) // through a symbolic link, if it is one
        for suffix in ["", "-wal", "-shm"] where stat(store + suffix, &source) == 0 {
            if (source.st_dev == target.st_dev && source.st_ino == target.st_ino)
                || (source.st_dev == resolved.st_dev && source.st_ino == resolved.st_ino)
            {
                throw WinnowError.invalidArgument(
                    "\(destination) is the store \(store)\(suffix.isEmpty ? "" : " (its \(suffix) file)") itself; back up to another file, such as \(store).backup")
            }
        }
        if (target.st_mode & S_IFMT) == S_IFDIR {
            throw WinnowError.invalidArgument("\(destination) is a folder; name the backup file, such as \(destination)/\(URL(fileURLWithPath: store).lastPathComponent)")
        }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: destination + suffix) {
            throw WinnowError.invalidArgument(
                "\(destination) has \(URL(fileURLWithPath: destination).lastPathComponent)\(suffix) beside it: it is a store in use (or one left unclosed), and that log would be replayed onto the backup; back up to another file, or close what uses it and remove it first"
            )
        }
        if !force {
            throw WinnowError.alreadyExists("\(destination) exists; pass --force to replace it, or name another file")
        }
        if (target.st_mode & S_IFMT) != S_IFREG {
            throw WinnowError.invalidArgument("\(destination) is not a regular file; name another file")
        }
    }

    /// Flushes a file (or folder) to the disk.
    static func sync(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WinnowError.writeFailed(path: path, detail: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WinnowError.writeFailed(path: path, detail: "fsync: \(String(cString: strerror(errno)))") }
    }

    private static func backupFailure(_ error: DatabaseError, destination: String, store: String) -> WinnowError {
        switch error.resultCode {
        case .SQLITE_FULL:
            return .writeFailed(path: destination, detail: "the disk is full; nothing was written there — free some space and run the backup again")
        case .SQLITE_CORRUPT:
            return .storeDamaged(path: store, detail: error.message ?? "database disk image is malformed")
        default:
            return .writeFailed(path: destination, detail: "\(error.message ?? "\(error)"); nothing was written there")
        }
    }
}
