import Foundation
import GRDB

/// A value read by `winnow sql`, with its text and JSON renderings (blobs as hex).
public enum SQLValue: Sendable {
    case null, integer(Int64), real(Double), text(String), blob([UInt8])

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let n): self = .integer(n)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .blob([UInt8](data))
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

extension Store {
    /// Runs one read-only SQL statement for `winnow sql`, handing each row to `row` as it is read.
    /// Statements that would write are refused before they run; the connection is read-only too.
    public func query(_ sql: String, columns: ([String]) -> Void, row: ([SQLValue]) throws -> Void) throws {
        do {
            try pool.read { db in
                let statement: Statement
                do {
                    statement = try db.makeStatement(sql: sql)
                } catch let error as DatabaseError {
                    throw WinnowError.sqlRefused("SQL error: \(error.message ?? "\(error)"); see the schema in the README (or `winnow sql \"SELECT sql FROM sqlite_master\"`)")
                }
                // ATTACH counts as read-only to SQLite but reaches outside the store.
                let head = sql.drop { $0.isWhitespace }.prefix(6).uppercased()
                guard statement.isReadonly, head != "ATTACH", head != "DETACH" else {
                    throw WinnowError.sqlRefused("winnow sql only reads: this statement would change the store. Use winnow's commands (import, review, …) to change it.")
                }
                columns(statement.columnNames)
                let cursor = try Row.fetchCursor(statement)
                while let next = try cursor.next() {
                    try row(next.databaseValues.map(SQLValue.init))
                }
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_READONLY {
                throw WinnowError.sqlRefused("winnow sql only reads: this statement would change the store. Use winnow's commands to change it.")
            }
            throw WinnowError.sqlRefused("SQL error: \(error.message ?? "\(error)")")
        }
    }
}
