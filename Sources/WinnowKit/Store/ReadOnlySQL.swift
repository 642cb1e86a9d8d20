import Foundation
import GRDB
import GRDBSQLite
#if canImport(Glibc)
    import Glibc
#endif

/// A value read by `winnow sql`, with its text and JSON renderings (blobs as hex).
public enum SQLValue: Sendable, Equatable {
    case null, integer(Int64), real(Double), text(String), blob([UInt8])

    /// Column `column` of a raw statement's current row.
    init(_ stmt: OpaquePointer, _ column: Int32) {
        switch sqlite3_column_type(stmt, column) {
        case SQLITE_NULL: self = .null
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(stmt, column))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(stmt, column))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(stmt, column))
            if let p = sqlite3_column_blob(stmt, column), count > 0 {
                self = .blob([UInt8](UnsafeRawBufferPointer(start: p, count: count)))
            } else {
                self = .blob([])
            }
        default:
            self = .text(Store.columnBytes(stmt, column).map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
    }

    public var text: String {
        switch self {
        case .null: return ""
        case .integer(let n): return String(n)
        case .real(let d): return String(d)
        case .text(let s): return s
        case .blob(let bytes): return ContentHash.hex(bytes)
        }
    }

    public var json: String {
        switch self {
        case .null: return "null"
        case .integer(let n): return String(n)
        case .real(let d): return d.isFinite ? String(d) : "null"
        case .text(let s): return JSONText.quote(s)
        case .blob(let bytes): return JSONText.quote(ContentHash.hex(bytes))
        }
    }
}

/// The limits of one `winnow sql` run.
public struct SQLLimits: Sendable {
    /// Seconds the statement may spend running (time spent writing its output does not count); nil for no limit.
    public var timeout: Double?
    /// Polled while the statement runs: true stops it (Ctrl-C).
    public var cancelled: @Sendable () -> Bool
    public init(timeout: Double?, cancelled: @escaping @Sendable () -> Bool = { false }) {
        self.timeout = timeout
        self.cancelled = cancelled
    }

    /// The default `--timeout`, in seconds.
    public static let defaultTimeout = 60.0
}

/// What the read-only guard lets a statement do, as SQLite's authorizer sees it.
enum SQLGuard {
    /// Pragmas that only read; they may name a table or index.
    static let readingPragmas: Set<String> = [
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "collation_list", "function_list", "pragma_list",
        "module_list", "compile_options", "database_list",
    ]
    /// Pragmas that read a setting when given no value (with one they would set it).
    static let settingPragmas: Set<String> = [
        "user_version", "application_id", "schema_version", "page_count", "page_size", "freelist_count",
        "journal_mode", "encoding", "data_version", "auto_vacuum", "foreign_keys", "max_page_count",
    ]
    /// Functions refused: `fts3_tokenizer` hands out (or takes) native pointers, `load_extension` loads code.
    static let refusedFunctions: Set<String> = ["fts3_tokenizer", "load_extension"]

    /// The authorizer's verdict on one action.
    static func allows(_ action: Int32, _ first: String?, _ second: String?) -> Bool {
        switch action {
        case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE:
            return true
        case SQLITE_FUNCTION:
            return !refusedFunctions.contains((second ?? "").lowercased())
        case SQLITE_PRAGMA:
            let name = (first ?? "").lowercased()
            return readingPragmas.contains(name) || (settingPragmas.contains(name) && second == nil)
        case SQLITE_UPDATE:
            // SQLite reports its own look at the schema this way for table-valued pragmas
            // (pragma_table_info(…)); a real UPDATE of it is still refused as not read-only.
            return ["sqlite_master", "sqlite_schema"].contains((first ?? "").lowercased())
        default:
            return false // writes, schema changes, ATTACH/DETACH, transactions, ANALYZE, …
        }
    }
}

/// The state one running statement's progress handler looks at.
private final class SQLProgress {
    let limits: SQLLimits
    /// Time spent inside sqlite3_step before the current call.
    var spent: Double = 0
    /// When the current sqlite3_step call began, or nil between calls.
    var stepStarted: Double?
    var timedOut = false
    var wasCancelled = false

    init(_ limits: SQLLimits) { self.limits = limits }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// True when the statement must stop.
    func shouldStop() -> Bool {
        if limits.cancelled() { wasCancelled = true; return true }
        if let timeout = limits.timeout, let started = stepStarted, spent + (SQLProgress.now() - started) > timeout {
            timedOut = true
            return true
        }
        return false
    }
}

extension Store {
    /// Runs one read-only SQL statement for `winnow sql` over the store at `path`, handing each
    /// row to `row` as it is read (nothing is held: the output can be any size).
    ///
    /// The store is opened read-only and never migrated, so an older store stays as it is.
    /// SQLite's authorizer admits only reading (no writes, ATTACH, transactions, pragmas that
    /// set, `fts3_tokenizer` or `load_extension`); the statement stops after `limits.timeout`
    /// seconds of running, or when `limits.cancelled` says so.
    public static func query(
        path: String, _ sql: String, limits: SQLLimits,
        columns: ([String]) throws -> Void, row: ([SQLValue]) throws -> Void
    ) throws {
        if try checkFile(path: path, allowMissing: false),
            let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0
        {
            try preflight(path: path)
        }
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(handle) }
        guard opened == SQLITE_OK, let db = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            throw Store.failure(DatabaseError(resultCode: ResultCode(rawValue: opened), message: message), path: path)
        }
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0)
        sqlite3_set_authorizer(
            db,
            { _, action, first, second, _, _ in
                SQLGuard.allows(action, first.map { String(cString: $0) }, second.map { String(cString: $0) }) ? SQLITE_OK : SQLITE_DENY
            }, nil)
        let progress = SQLProgress(limits)
        let context = Unmanaged.passUnretained(progress).toOpaque()
        sqlite3_progress_handler(
            db, 10_000,
            { context in
                Unmanaged<SQLProgress>.fromOpaque(context!).takeUnretainedValue().shouldStop() ? 1 : 0
            }, context)

        func failure(_ code: Int32) -> WinnowError {
            let message = String(cString: sqlite3_errmsg(db))
            if progress.wasCancelled { return .sqlRefused("interrupted; the query was stopped (the store is unchanged)") }
            if progress.timedOut {
                return .sqlRefused("the query ran longer than \(secondsText(limits.timeout ?? 0)) s and was stopped; pass --timeout SECONDS (0 for no limit) to give it longer")
            }
            if code == SQLITE_AUTH || message.hasPrefix("not authorized") || code == SQLITE_READONLY {
                return .sqlRefused(
                    "winnow sql only reads: this statement would change the store or reach outside it (\(message)). Use winnow's commands (import, review, …) to change the store.")
            }
            if code == SQLITE_CORRUPT || code == SQLITE_NOTADB {
                return .storeDamaged(path: path, detail: message)
            }
            return .sqlRefused("SQL error: \(message); see the schema in the README (or `winnow sql \"SELECT sql FROM sqlite_master\"`)")
        }

        let (prepared, statement, second) = prepareOne(db, sql)
        defer { sqlite3_finalize(statement) }
        if let second {
            var shown = String(second.drop { $0.isWhitespace || $0 == ";" }).trimmingCharacters(in: .whitespacesAndNewlines)
            if shown.hasSuffix(";") { shown = String(shown.dropLast()).trimmingCharacters(in: .whitespaces) }
            if shown.count > 60 { shown = String(shown.prefix(60)) + "…" }
            throw WinnowError.sqlRefused("winnow sql runs one statement, and another follows the first: `\(shown)`; run them one at a time (a `;` ends a statement)")
        }
        guard prepared == SQLITE_OK else { throw failure(sqlite3_errcode(db)) }
        guard let stmt = statement else { throw WinnowError.sqlRefused("no SQL statement given; for example winnow sql \"SELECT count(*) FROM samples\"") }
        guard sqlite3_stmt_readonly(stmt) != 0 else { throw failure(SQLITE_READONLY) }

        let count = sqlite3_column_count(stmt)
        try columns((0..<count).map { String(cString: sqlite3_column_name(stmt, $0)) })
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        while true {
            progress.stepStarted = SQLProgress.now()
            let code = sqlite3_step(stmt)
            progress.spent += SQLProgress.now() - progress.stepStarted!
            progress.stepStarted = nil
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            values.removeAll(keepingCapacity: true)
            for column in 0..<count { values.append(SQLValue(stmt, column)) }
            try row(values)
            if progress.shouldStop() { throw failure(SQLITE_INTERRUPT) }
        }
    }

    /// Prepares the first statement of `sql` (skipping empty ones and comments before it), and
    /// returns the text of a second statement after it, if any (only blanks, comments and `;`
    /// may follow). The caller finalizes the statement.
    private static func prepareOne(_ db: OpaquePointer, _ sql: String) -> (code: Int32, statement: OpaquePointer?, second: String?) {
        var statement: OpaquePointer?
        var second: String?
        // `tail` points into `text`, so both are looked at while it lives (SQLite keeps its own
        // copy of the statement).
        let text = Array(sql.utf8CString)
        let prepared = text.withUnsafeBufferPointer { buffer -> Int32 in
            var rest = buffer.baseAddress!
            var tail: UnsafePointer<CChar>?
            while true {
                let code = sqlite3_prepare_v2(db, rest, -1, &statement, &tail)
                guard code == SQLITE_OK else { return code }
                guard statement == nil, let next = tail, next != rest, next.pointee != 0 else { break }
                rest = next
            }
            while statement != nil, let start = tail, start.pointee != 0 {
                var next: OpaquePointer?
                var after: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(db, start, -1, &next, &after)
                sqlite3_finalize(next)
                if code != SQLITE_OK || next != nil {
                    second = String(cString: start)
                    break
                }
                guard let after, after != start else { break }
                tail = after
            }
            return SQLITE_OK
        }
        return (prepared, statement, second)
    }
}

/// Seconds for messages: whole numbers without a fraction.
private func secondsText(_ s: Double) -> String { s == s.rounded() && s < 1e15 ? String(Int(s)) : String(s) }
