import Foundation
import GRDB
import GRDBSQLite
#if canImport(Glibc)
    import Glibc
#endif

/// An import whose batches are still being written. Its `sources` row carries the marker
/// `pending:SHA256:PID:START` in place of the file's SHA-256 (PID and START, the process's
/// start time, tell a running import from one whose process died), and the real SHA-256
/// replaces it in the import's last transaction.
enum PendingImport {
    /// What the store knows of a file, by the SHA-256 of its bytes.
    enum State {
        /// Never imported.
        case new
        /// Imported whole before (by the `sources` row `sourceID`).
        case complete(kind: String, sourceID: Int64)
        /// Being imported by another live process.
        case running(pid: Int32)
        /// Partly imported by a process that died: a new import resumes it.
        case interrupted(Interrupted)
    }

    /// The counts an interrupted import had committed, from which its re-run goes on.
    struct Interrupted: Sendable {
        var sourceID: Int64
        var read: Int, imported: Int, duplicates: Int, labelConflicts: Int, rejected: Int
        var seconds: Double
        /// The `sources.options` it ran with (mapping and error policy): a resume must match.
        var options: String
    }

    /// This process's marker for a file.
    static func marker(sha256: String) -> String {
        "pending:\(sha256):\(getpid()):\(startTime(getpid()) ?? 0)"
    }

    static func state(store: Store, sha256: String) throws -> State {
        try store.read { try state(db: $0, sha256: sha256) }
    }

    static func state(db: Database, sha256: String) throws -> State {
        if let row = try Row.fetchOne(db, sql: "SELECT id, kind FROM sources WHERE sha256 = ?", arguments: [sha256]) {
            return .complete(kind: try row.value("kind"), sourceID: try row.value("id"))
        }
        let rows = try SourceRecord.fetchAll(
            db,
            sql: """
                SELECT * FROM sources WHERE sha256 LIKE 'pending:' || ? || ':%' ORDER BY id
                """, arguments: [sha256])
        var interrupted: Interrupted?
        for row in rows {
            if let owner = owner(of: row.sha256), owner != getpid() { return .running(pid: owner) }
            if interrupted == nil {
                interrupted = Interrupted(
                    sourceID: row.id ?? 0, read: Int(row.read), imported: Int(row.imported),
                    duplicates: Int(row.duplicates), labelConflicts: Int(row.labelConflicts),
                    rejected: Int(row.rejected), seconds: row.seconds, options: row.options)
            }
        }
        return interrupted.map { .interrupted($0) } ?? .new
    }

    /// The live process that writes the import marked `marker`, if it is still running.
    static func owner(of marker: String) -> Int32? {
        let parts = marker.split(separator: ":")
        guard parts.count == 4, parts[0] == "pending", let pid = Int32(parts[2]), let start = UInt64(parts[3]) else { return nil }
        if let now = startTime(pid) { return now == start ? pid : nil } // a reused pid starts later
        // /proc may hide other users' processes (hidepid): then the pid existing must do.
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }

    /// A process's start time (clock ticks since boot, /proc/PID/stat field 22), or nil when
    /// no such process runs.
    static func startTime(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces) start with field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Imports left unfinished by a process that died: (path, records counted so far).
    static func interrupted(db: Database) throws -> [(path: String, read: Int)] {
        try Row.fetchAll(db, sql: "SELECT path, sha256, read FROM sources WHERE sha256 LIKE 'pending:%' ORDER BY id")
            .compactMap { row in
                let marker: String = try row.value("sha256")
                return owner(of: marker) == nil ? (try row.value("path"), try row.value("read")) : nil
            }
    }

    /// Who holds the store's write lock, as far as the store says: a running import, or
    /// "another Winnow process". Reads through a connection of its own (it is called from
    /// a busy handler, where the waiting connection cannot be used).
    static func holderDescription(storePath: String) -> String {
        var handle: OpaquePointer?
        defer { sqlite3_close(handle) }
        guard sqlite3_open_v2(storePath, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { return "another process" }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(handle, "SELECT path, sha256 FROM sources WHERE sha256 LIKE 'pending:%'", -1, &statement, nil) == SQLITE_OK else {
            return "another process"
        }
        guard let prepared = statement else { return "another process" }
        let rows = RawStatement(handle: prepared)
        // A failing read (the store busy, say) just leaves the holder unnamed.
        while (try? rows.step()) == true {
            let path = rows.text(0) ?? "?"
            if let marker = rows.text(1), let pid = owner(of: marker) {
                return "an import of \(path) by process \(pid) (it lets others in between its batches)"
            }
        }
        return "another process writing to the store (an import, snapshot, detect or queue create)"
    }
}

extension Store {
    /// Closes the imports left unfinished by processes that died, as they are: their stored
    /// batches stay, their `sources` row is marked `closed:SHA256:ID` (so the same bytes can
    /// be imported anew, their records then counting as duplicates). Returns what it closed.
    public func closeUnfinishedImports() throws -> [(path: String, read: Int)] {
        try writeImmediate { db in
            var closed: [(path: String, read: Int)] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, path, sha256, read FROM sources WHERE sha256 LIKE 'pending:%'") {
                let marker: String = try row.value("sha256")
                guard PendingImport.owner(of: marker) == nil else { continue }
                let sha = marker.split(separator: ":").dropFirst().first.map(String.init) ?? ""
                let id: Int64 = try row.value("id")
                try db.execute(sql: "UPDATE sources SET sha256 = ? WHERE id = ?", arguments: ["closed:\(sha):\(id)", id])
                closed.append((try row.value("path"), try row.value("read")))
            }
            return closed
        }
    }

    /// Imports left unfinished by a process that died (path, records counted so far): their
    /// batches are visible; running the same import again finishes them.
    public func interruptedImports() throws -> [(path: String, read: Int)] {
        try read { try PendingImport.interrupted(db: $0) }
    }
}
