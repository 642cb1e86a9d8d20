import Foundation
import GRDB
import GRDBSQLite

/// SQLite's SQLITE_TRANSIENT, which Swift cannot import as a macro.
let SQLITE_TRANSIENT_ = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement driven through SQLite's C API, for the measured hot paths (an import's
/// inserts, a snapshot's member pass, an export's content reads) where GRDB's per-row
/// conversions cost too much. The one place that binds, steps and turns a failed step into
/// a `DatabaseError` (which `Store.read`/`write` then translate like any other).
struct RawStatement {
    /// The SQLite statement handle (valid while the GRDB `Statement` it came from lives).
    let handle: OpaquePointer

    init(_ statement: Statement) {
        handle = statement.sqliteStatement
    }

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Resets the statement for another run (its bindings stay until bound again).
    @inline(__always) func reset() {
        sqlite3_reset(handle)
    }

    /// Binds text (NULL for nil) to the 1-based parameter `index`.
    @inline(__always) func bind(_ index: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(handle, index); return }
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(
                handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), SQLITE_TRANSIENT_)
        }
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds bytes as a blob.
    @inline(__always) func bind(_ index: Int32, blob bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_) }
    }

    /// Steps once: true with a row to read, false when done. A failure resets the statement and
    /// throws SQLite's result code and message.
    @inline(__always) func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }

    /// Runs a statement that returns no rows (an insert, an update).
    @inline(__always) func run() throws {
        _ = try step()
    }

    /// Steps through every row, handing each to `body` (the statement is positioned on it).
    func forEachRow(_ body: () throws -> Void) throws {
        while try step() { try body() }
    }

    /// Whether column `column` of the current row is NULL.
    @inline(__always) func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    @inline(__always) func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// Column `column` of the current row as text; nil for NULL.
    @inline(__always) func text(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: text)
    }
}
