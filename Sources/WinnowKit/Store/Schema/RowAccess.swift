import GRDB

extension Row {
    /// The value of `column` as `T`. Unlike GRDB's subscript, which stops the process on a value
    /// it cannot convert, this throws, and `Store.failure` makes that an `unexpectedValue` error:
    /// a store edited outside Winnow gets a message, never a crash.
    func value<T: DatabaseValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(T.self, forColumn: column)
    }
}
