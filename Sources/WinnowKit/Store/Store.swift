import Foundation
import GRDB
#if canImport(Glibc)
    import Glibc
#endif

/// The schema history embedded in the binary, applied through GRDB's migrator.
public enum Migrations {
    /// Identifiers of every migration this build knows, oldest first.
    public static var identifiers: [String] { embedded.map(\.identifier) }

    /// The data steps of migrations, by identifier (work SQL alone cannot do).
    static let dataSteps: [String: @Sendable (Database) throws -> Void] = [
        "0004_content_hash": ContentRehash.run
    ]

    /// A migrator holding every embedded migration. Each runs in its own transaction,
    /// so a failing migration leaves the store at the previous one.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.eraseDatabaseOnSchemaChange = false
        for migration in embedded {
            let sql = migration.sql
            let identifier = migration.identifier
            migrator.registerMigration(identifier) { db in
                do {
                    // A migration may hold one data step in Swift, run where its marker line is.
                    let parts = sql.components(separatedBy: "\n-- winnow: data step \(identifier)\n")
                    try db.execute(sql: parts[0])
                    if parts.count > 1 {
                        guard let step = dataSteps[identifier] else {
                            throw DatabaseError(resultCode: .SQLITE_ERROR, message: "this build has no data step for it")
                        }
                        try step(db)
                        try db.execute(sql: parts[1])
                    }
                    if Faults.fails("migration-error") { throw DatabaseError(resultCode: .SQLITE_ERROR, message: "injected fault") }
                } catch let error as DatabaseError {
                    // Name the migration: the store stays at the one before it (one transaction each).
                    throw DatabaseError(
                        resultCode: error.resultCode,
                        message: "migration \(identifier) failed and was rolled back, the store is unchanged: \(error.message ?? "\(error)")")
                }
                Faults.point("migration") // inside the migration's transaction
            }
        }
        return migrator
    }
}

/// The Winnow store: one SQLite file in WAL mode. It owns the connection pool, migrates on
/// open under an exclusive file lock, and is the only way commands reach the database.
public final class Store: Sendable {
    /// The `PRAGMA application_id` that marks a Winnow store ('WINN').
    public static let applicationID: Int32 = 0x5749_4E4E

    /// Where the store lives, as given.
    public let path: String
    /// The connection pool: one writer, concurrent readers. Subsystems reach it through
    /// `read`, `write` and `writeImmediate`, which turn SQLite's failures into `WinnowError`s.
    private let pool: DatabasePool
    /// Where the store reads the time.
    public let clock: WallClock
    /// Our descriptors of the store file, open as long as the pool: closing any descriptor of
    /// the file drops every POSIX lock this process holds on it, SQLite's included, after which
    /// another process could take the file for its last-connection checkpoint and truncate a
    /// WAL this process still writes to. So they are closed only after the pool. `lock` is
    /// held exclusively while opening and migrating; `presence` is held shared for the life of
    /// the store, so an opener can tell whether any other Winnow process has the file open.
    private let lock: FileLock
    private let presence: PresenceLock

    /// How `open` treats a missing file.
    public enum OpenMode: Sendable {
        /// The store must exist.
        case existing
        /// Create the store when the file is missing.
        case createIfMissing
    }

    /// Opens (and if allowed creates) the store at `path`, refusing files that are not Winnow
    /// stores or were written by a newer Winnow, and applying pending migrations.
    public init(path: String, mode: OpenMode = .existing, clock: WallClock = .system) throws {
        self.path = path
        self.clock = clock
        _ = try Store.checkFile(path: path, allowMissing: mode == .createIfMissing)
        // Hold an exclusive lock on the file itself while opening and migrating, so that
        // several processes opening a new or old store at once migrate it exactly once.
        let lock = try FileLock(path: path, create: mode == .createIfMissing)
        self.lock = lock
        defer { lock.unlock() }
        let presence = try PresenceLock(path: path)
        self.presence = presence
        // Alone with the file: no other Winnow process has it open (they hold `presence`).
        let alone = presence.tryExclusive()
        presence.share()
        try Store.checkLinks(path: path)
        if alone { try Store.checkLeftoverLog(path: path) }

        // Look before writing anything: opening a pool may write (WAL set-up), so a store that
        // is not ours, or is newer than this build, is refused through a read-only connection.
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0 {
            try Store.preflight(path: path)
        }

        var config = Configuration()
        config.busyMode = .callback(BusyWait(path: path, presence: presence).callback)
        config.foreignKeysEnabled = true
        config.label = "winnow"
        config.prepareDatabase { db in
            // 16 KiB pages: fewer B-tree pages and WAL frames for texts of a few KB (takes
            // effect only while the file is still empty).
            try db.execute(sql: "PRAGMA page_size = 16384")
            // A 128 MiB page cache: a 1M-sample import keeps its random-order hash index in
            // memory (45 s -> 34 s measured), and peak memory stays under 200 MB.
            try db.execute(sql: "PRAGMA cache_size = -131072")
            // A log that grew while a long reader (an export) held back checkpoints is cut
            // back to 64 MiB when it restarts (RELIABILITY K4: the -wal stays bounded).
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Migrations.migrator().migrate(pool)
        } catch {
            throw Store.failure(error, path: path)
        }
    }

    /// Looks at what is at `path` before any connection: refuses a directory, a file that is
    /// not an SQLite database, and (unless `allowMissing`) a missing file. Returns whether
    /// the file exists.
    static func checkFile(path: String, allowMissing: Bool) throws -> Bool {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            throw WinnowError.notAWinnowStore(path: path, why: "it is a directory")
        }
        if !exists && !allowMissing {
            throw WinnowError.storeMissing(path: path)
        }
        if exists {
            try checkHeader(path: path)
        }
        return exists
    }

    /// Runs `body` on a read-only connection to `path` (nothing is written, not even the
    /// WAL set-up a pool does), with SQLite's failures mapped to Winnow's errors.
    static func readOnly<T>(path: String, _ body: (Database) throws -> T) throws -> T {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            return try queue.read(body)
        } catch {
            throw Store.failure(error, path: path)
        }
    }

    /// Refuses files whose first bytes show they are not an SQLite database at all.
    private static func checkHeader(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WinnowError.storeUnavailable(path: path, detail: "permission denied when reading it; check the file's permissions")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        if header.isEmpty { return } // an empty file becomes a new store
        let magic = Data("SQLite format 3\u{0}".utf8)
        if header.count < magic.count || header.prefix(magic.count) != magic {
            throw WinnowError.notAWinnowStore(path: path, why: "not an SQLite database")
        }
        if header.count < 100 {
            throw WinnowError.storeDamaged(path: path, detail: "the file is truncated: \(header.count) bytes, shorter than an SQLite header")
        }
    }

    /// Refuses, without writing, a file that is another application's database or a store
    /// written by a newer Winnow.
    static func preflight(path: String) throws {
        try readOnly(path: path) { db in
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            if applicationID != Store.applicationID {
                // Empty, or only the migration ledger: a store whose creation was interrupted
                // before its first migration committed (the migrator creates its ledger first).
                let others =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM sqlite_master WHERE name <> 'grdb_migrations'
                              AND NOT (type = 'index' AND tbl_name = 'grdb_migrations')
                            """) ?? 0
                let recorded =
                    others > 0
                    ? 0
                    : (try Int.fetchOne(
                        db,
                        sql: """
                            SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'grdb_migrations')
                                   THEN (SELECT count(*) FROM grdb_migrations) ELSE 0 END
                            """) ?? 0)
                if others > 0 || recorded > 0 {
                    throw WinnowError.notAWinnowStore(path: path, why: "an SQLite database of another application")
                }
                return
            }
            let migrator = Migrations.migrator()
            if try migrator.hasBeenSuperseded(db) {
                let applied = try migrator.appliedIdentifiers(db).sorted()
                let unknown = applied.filter { !Migrations.identifiers.contains($0) }
                throw WinnowError.storeTooNew(
                    path: path,
                    storeVersion: unknown.last ?? applied.last ?? "?",
                    knownVersion: Migrations.identifiers.last ?? "none")
            }
        }
    }

    /// Maps SQLite's result codes to messages that say what to do; used by `failure` alone.
    private static func translate(_ error: DatabaseError, path: String) -> WinnowError {
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return .notAWinnowStore(path: path, why: "not an SQLite database")
        case .SQLITE_CORRUPT:
            return .storeDamaged(path: path, detail: error.message ?? "database disk image is malformed")
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return .storeUnavailable(
                path: path,
                detail: "\(error.message ?? "cannot open") — check that the file and its folder are writable (SQLite in WAL mode writes PATH-wal and PATH-shm beside it)")
        case .SQLITE_FULL:
            return .writeFailed(path: path, detail: "the disk is full; free some space and run the command again")
        case .SQLITE_IOERR:
            return .writeFailed(path: path, detail: "I/O error (\(error.message ?? "unknown")); check the disk")
        default:
            return .storeUnavailable(path: path, detail: error.message ?? "\(error)")
        }
    }

    /// Whether another connection is waiting for the write lock right now (an import ends
    /// its batch then).
    var writersWaiting: Bool { presence.someoneWaiting() }

    deinit {
        // Readers first, then the writer: the last connection to close checkpoints the WAL
        // into the file and deletes it, so the .db file alone holds everything committed.
        // (GRDB's own close closes the writer first, which skips that checkpoint.)
        pool.releaseMemory()
        try? pool.close()
        presence.close()
        lock.close()
    }

    /// The schema version of this store: the identifier of its last applied migration.
    public func schemaVersion() throws -> String {
        try read { db in
            try Migrations.migrator().appliedMigrations(db).last ?? "none"
        }
    }
}

/// An exclusive advisory lock (flock) on a file, held while a store is opened and migrated.
final class FileLock: @unchecked Sendable {
    private var fd: Int32

    init(path: String, create: Bool) throws {
        let flags = create ? (O_RDWR | O_CREAT) : O_RDONLY
        fd = open(path, flags | O_CLOEXEC, 0o644)
        if fd < 0 && create && errno == EACCES {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw WinnowError.storeUnavailable(path: path, detail: "\(reason); check the path and its folder's permissions")
        }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    /// Releases the lock; the descriptor stays open (see `Store.lock`).
    func unlock() {
        if fd >= 0 { flock(fd, LOCK_UN) }
    }

    /// Closes the descriptor: only once no SQLite connection to the file is left open.
    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}

extension Store {
    /// Runs `body` on a reader, in a snapshot of the store.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw failure(error) }
    }

    /// Runs `body` in a write transaction (committed when it returns, rolled back when it throws).
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw failure(error) }
    }

    /// Runs `body` on the writer outside a transaction (for work that commits in batches of its own).
    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.writeWithoutTransaction(body) } catch { throw failure(error) }
    }

    /// Runs `body` in an IMMEDIATE transaction: the write lock is taken up front, so a
    /// read-then-write (a claim, a decision) can never fail half-way on a busy store.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            guard let result else { throw WinnowError.writeFailed(path: path, detail: "the transaction returned nothing") }
            return result
        }
    }

    /// Copies the store, as of one commit, into `copy` (`winnow backup`). SQLite's failures
    /// come back untranslated: the backup says them about its destination.
    func backup(into copy: DatabaseQueue) throws {
        try pool.backup(to: copy)
    }

    /// Frees the pool's caches (after a pass that read much, such as an import's check).
    func releaseMemory() {
        pool.releaseMemory()
    }

    /// The one translation of a failure inside the store into a `WinnowError`: SQLite's result
    /// codes become messages that say what to do (busy, disk full, read-only, damaged), a value
    /// of the wrong type in a column becomes `unexpectedValue`; other errors pass unchanged.
    func failure(_ error: Error) -> Error {
        Store.failure(error, path: path)
    }

    /// `failure` for a store at `path` (on open, before there is a `Store`).
    static func failure(_ error: Error, path: String) -> Error {
        switch error {
        case let error as DatabaseError:
            if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                return WinnowError.storeBusy(Store.describe(error, path: path))
            }
            return Store.translate(error, path: path)
        case let error as RowDecodingError:
            // GRDB's text carries the SQL and the whole row: keep what it says and the column.
            let text = "\(error)"
            let what = text.components(separatedBy: " - ").first ?? text
            let column = text.range(of: #"column: "[^"]*""#, options: .regularExpression).map { String(text[$0]) }
            return WinnowError.unexpectedValue(path: path, detail: [what, column].compactMap { $0 }.joined(separator: ", "))
        default:
            return error
        }
    }
}

/// A shared lock every Winnow process holds on its store for as long as it has it open, so an
/// opener can tell whether it is alone with the file. An open-file-description byte-range lock
/// far past SQLite's own lock bytes (which sit at 1 GiB): it neither meets SQLite's POSIX locks
/// nor the open lock's flock, and closing another descriptor of the file does not drop it.
final class PresenceLock: @unchecked Sendable {
    private var fd: Int32
    private static let offset: Int = 1 << 40
    private static let F_OFD_GETLK: Int32 = 36
    private static let F_OFD_SETLK: Int32 = 37

    init(path: String) throws {
        fd = open(path, O_RDWR | O_CLOEXEC)
        if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw WinnowError.storeUnavailable(path: path, detail: "\(String(cString: strerror(errno))); check the path and its folder's permissions")
        }
    }

    private func set(_ type: Int32, byte: Int = 0) -> Bool {
        guard fd >= 0 else { return false }
        var range = Glibc.flock()
        range.l_type = Int16(type)
        range.l_whence = Int16(SEEK_SET)
        range.l_start = PresenceLock.offset + byte
        range.l_len = 1
        return fcntl(fd, PresenceLock.F_OFD_SETLK, &range) == 0
    }

    /// A writer waiting for the write lock holds the next byte shared while it sleeps between
    /// its tries; an import looks at it between records and ends its batch when it is held.
    func signalWaiting(_ waiting: Bool) {
        _ = set(waiting ? Int32(F_RDLCK) : Int32(F_UNLCK), byte: 1)
    }

    /// Whether another connection (of any process) is waiting for the write lock.
    func someoneWaiting() -> Bool {
        guard fd >= 0 else { return false }
        var range = Glibc.flock()
        range.l_type = Int16(F_WRLCK)
        range.l_whence = Int16(SEEK_SET)
        range.l_start = PresenceLock.offset + 1
        range.l_len = 1
        guard fcntl(fd, PresenceLock.F_OFD_GETLK, &range) == 0 else { return false }
        return range.l_type != Int16(F_UNLCK)
    }

    /// Takes the lock exclusively if no other process holds it: true when this process is alone.
    func tryExclusive() -> Bool { set(Int32(F_WRLCK)) }

    /// Holds the lock shared (converting an exclusive one).
    func share() { _ = set(Int32(F_RDLCK)) }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

extension Store {
    /// Refuses a store file with more than one name: SQLite keeps its write-ahead log by name
    /// (PATH-wal), so writing through two names keeps two logs and corrupts the file.
    static func checkLinks(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_nlink > 1 else { return }
        throw WinnowError.storeUnavailable(
            path: path,
            detail: """
                the file has \(info.st_nlink) hard links (other names for the same file); SQLite keeps its \
                log by file name, so writing through two names corrupts the store. Keep one name: remove \
                the other links (find them with `find / -xdev -samefile \(path)`); for a second copy, \
                use `cp` while no process uses the store, or `winnow backup FILE` once it has one name
                """)
    }

    /// Refuses a write-ahead log that cannot belong to the file beside it. Checked only when
    /// no other Winnow process has the store open. Winnow deletes the log when the last
    /// process closes the store, so a log left behind is from a process that was killed — and
    /// then the file was last written when the log was. A file modified well after its log
    /// was last written was replaced (a copy restored over it, say): replaying the old log
    /// onto it would corrupt it.
    static func checkLeftoverLog(path: String) throws {
        var db = stat(), wal = stat()
        guard stat(path, &db) == 0, stat(path + "-wal", &wal) == 0, wal.st_size > 0 else { return }
        let dbTime = Double(db.st_mtim.tv_sec) + Double(db.st_mtim.tv_nsec) / 1e9
        let walTime = Double(wal.st_mtim.tv_sec) + Double(wal.st_mtim.tv_nsec) / 1e9
        guard dbTime > walTime + Store.leftoverLogSlack else { return }
        throw WinnowError.storeUnavailable(
            path: path,
            detail: """
                \(path)-wal, the write-ahead log left by a process that did not close the store, is \
                older than the store file itself (by \(Int(dbTime - walTime)) s): the file may have been \
                replaced (a backup restored over it?) while the old log is still beside it, and opening it \
                would replay that log onto the wrong file. If you did not replace \(path), the log is its \
                own and holds committed work: apply it with `sqlite3 \(path) 'PRAGMA wal_checkpoint(TRUNCATE)'` \
                and run the command again. Only if you restored \(path) from a copy, delete \(path)-wal and \
                \(path)-shm (they belong to the store it replaced), then run the command again
                """)
    }

    /// The message and exit code for an SQLite failure that reached the command line without
    /// being translated where it happened; nil for other errors.
    public static func userMessage(for error: Error) -> (message: String, exitCode: Int32)? {
        guard let error = error as? DatabaseError else { return nil }
        return (describe(error), (failure(error, path: "the store") as? WinnowError)?.exitCode ?? 1)
    }

    /// How much later than its leftover log a store file may have been written by SQLite itself.
    static let leftoverLogSlack: Double = 5

    /// Describes a failure SQLite reported outside of opening, without its SQL.
    public static func describe(_ error: DatabaseError, path: String = "") -> String {
        let path = path.isEmpty ? (ProcessInfo.processInfo.environment["WINNOW_DB"] ?? "") : path
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return
                "the store\(path.isEmpty ? "" : " " + path) stayed locked by another process for more than \(Int(BusyWait.limit)) s (WINNOW_BUSY_TIMEOUT); nothing was changed by this command — run it again when the other process has finished"
        default:
            return translate(error, path: path).description
        }
    }
}

/// How a connection waits for the store's write lock held by another process: it polls every
/// millisecond or two (so it gets in between an import's short batches), says after two seconds
/// what it waits for, and gives up only after `limit` (WINNOW_BUSY_TIMEOUT, default one hour).
final class BusyWait: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    /// Each waiting connection's wait, by the thread it waits on (a wait is synchronous).
    private var waits: [pthread_t: (started: Date, announced: Bool)] = [:]

    /// Seconds a writer waits before it fails.
    static let limit: Double = {
        if let text = ProcessInfo.processInfo.environment["WINNOW_BUSY_TIMEOUT"], let value = Double(text), value >= 0, value.isFinite { return value }
        return 3600
    }()
    /// Seconds of waiting after which the wait is announced.
    static let announceAfter: Double = 2

    /// Where the announcement goes (the CLI's standard error by default).
    nonisolated(unsafe) static var report: @Sendable (String) -> Void = { message in
        try? FileHandle.standardError.write(contentsOf: Data("note: \(message)\n".utf8)) // a closed or full stderr must not crash a waiting writer
    }

    /// Where a waiting connection says that it waits (see `PresenceLock.signalWaiting`).
    private let presence: PresenceLock

    init(path: String, presence: PresenceLock) {
        self.path = path
        self.presence = presence
    }

    var callback: Database.BusyCallback {
        { [self] tries in self.wait(tries) }
    }

    private func wait(_ tries: Int) -> Bool {
        let thread = pthread_self()
        lock.lock()
        if tries == 0 || waits[thread] == nil { waits[thread] = (Date(), false) }
        var wait = waits[thread]!
        let waited = Date().timeIntervalSince(wait.started)
        let announce = !wait.announced && waited >= BusyWait.announceAfter
        if announce { wait.announced = true }
        waits[thread] = waited > BusyWait.limit ? nil : wait
        lock.unlock()
        if waited > BusyWait.limit { return false }
        if announce { BusyWait.report("waiting for \(PendingImport.holderDescription(storePath: path)) to let go of the store's write lock…") }
        // Say so while sleeping, so that an import ends its batch and lets this one in.
        presence.signalWaiting(true)
        usleep(tries < 200 ? 1000 : 2000)
        presence.signalWaiting(false)
        return true
    }
}
