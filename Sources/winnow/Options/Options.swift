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

    /// Opens the store, and notes any import left unfinished by a killed process.
    func open(_ mode: Store.OpenMode = .existing) throws -> Store {
        let store = try Store(path: path, mode: mode)
        for unfinished in (try? store.interruptedImports()) ?? [] {
            Terminal.note(
                "the import of \(unfinished.path) is unfinished (\(unfinished.read) of its records read and stored before its process stopped); run the same import again to finish it, or close it as it is with `winnow import --close-unfinished`"
            )
        }
        return store
    }
}

/// How a command prints its result: text or an aligned table for people (the default),
/// one JSON document (`--json`), or the table as CSV (`--csv`).
enum OutputFormat {
    case text, json, csv
}

/// The one help text of `--json`, whichever command takes it.
let jsonFlagHelp: ArgumentHelp = "Print one JSON document on stdout (field names in the README)."

/// A command's choice of output format, and the one way every command renders its result.
protocol OutputChoice {
    var format: OutputFormat { get }
}

extension OutputChoice {
    /// Prints a result whose human form is a table: `value` as JSON, `table()` as CSV, else
    /// `text` with the table (which may print it, or a message when it is empty).
    func render<Value: Encodable>(_ value: @autoclosure () -> Value, table: () -> Table, text: (Table) throws -> Void) throws {
        switch format {
        case .json: try JSONOutput.print(value())
        case .csv: emit(table().csv())
        case .text: try text(table())
        }
    }

    /// Prints a result that has no table: `value` as JSON, else `text` for people.
    func render<Value: Encodable>(_ value: @autoclosure () -> Value, text: () throws -> Void) throws {
        if format == .json { try JSONOutput.print(value()) } else { try text() }
    }
}

/// `--json` / `--csv`, for commands whose result is a table.
struct OutputOptions: ParsableArguments, OutputChoice {
    @Flag(name: .long, help: jsonFlagHelp)
    var json = false

    @Flag(name: .long, help: "Print the table as CSV (RFC 4180) on stdout.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together; pick one.") }
    }

    var format: OutputFormat { json ? .json : csv ? .csv : .text }
}

/// `--json` alone, for commands whose result is no table.
struct JSONOption: ParsableArguments, OutputChoice {
    @Flag(name: .long, help: jsonFlagHelp)
    var json = false

    var format: OutputFormat { json ? .json : .text }
}

/// `--label`, `--scene DIM=CAT`, `--source`: the selection samples, queues and snapshots share.
struct SelectionOptions: ParsableArguments {
    @Option(help: "Only samples with this label.")
    var label: String?

    @Option(help: ArgumentHelp("Only samples annotated with this scene category.", valueName: "DIM=CAT"))
    var scene: String?

    @Option(help: "Only samples read from this source (file name, path or source id).")
    var source: String?

    func validate() throws {
        if let scene, sceneParts(scene) == nil {
            throw ValidationError("--scene takes DIM=CAT, for example --scene domain=news.")
        }
    }

    /// The parsed `--scene`, when given.
    var sceneFilter: (dimension: String, category: String)? { scene.flatMap(sceneParts) }

    private func sceneParts(_ text: String) -> (dimension: String, category: String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else { return nil }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }
}

/// Reads a queue, snapshot, scheme or reviewer name by WinnowKit's one rule (`Names.valid`).
func nameArgument(_ kind: NameKind) -> @Sendable (String) throws -> String {
    { raw in
        do { return try Names.valid(raw, kind) } catch let error as WinnowError { throw ValidationError(error.description) }
    }
}

/// The longest `--lease`: a week.
let maxLeaseSeconds = 7 * 86_400.0

/// Refuses a `--lease` that is not a finite number of seconds between 0 and a week.
func validateLease(_ lease: Double) throws {
    guard lease.isFinite, lease > 0, lease <= maxLeaseSeconds else {
        throw ValidationError("--lease takes seconds, more than 0 and at most \(Int(maxLeaseSeconds)) (a week), for example --lease 600.")
    }
}
