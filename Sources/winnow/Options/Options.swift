import ArgumentParser
import Foundation
import WinnowKit

/// `--db PATH`, shared by every command; falls back to $WINNOW_DB, then ./winnow.db.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (default: $WINNOW_DB, else ./winnow.db).", valueName: "PATH"))
    var db: String?

    /// The store path this invocation uses.
    var path: String {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["WINNOW_DB"], !env.isEmpty { return env }
        return "winnow.db"
    }

    func open(_ mode: Store.OpenMode = .existing) throws -> Store {
        try Store(path: path, mode: mode)
    }
}

/// `--json` / `--csv`, shared by every query command.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document on stdout (field names in the README).")
    var json = false

    @Flag(name: .long, help: "Print the table as CSV (RFC 4180) on stdout.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together; pick one.") }
    }
}

/// Splits `--scene DIM=CAT`.
func parseScene(_ text: String) throws -> (dimension: String, category: String) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
        throw WinnowError.invalidArgument("--scene \(text): expected DIM=CAT, for example --scene domain=news")
    }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}
